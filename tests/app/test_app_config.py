"""Configuration: environments, production variables and their validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, database_path, load_config


def test_development_is_the_default_with_a_file_under_instance() -> None:
    settings = load_config({})
    assert settings["ENV_NAME"] == "development"
    assert settings["DATABASE"] is None
    app = create_app({"APP_ENV": "development"})
    assert app.config["DATABASE_TARGET"] == str(Path(app.instance_path) / "myfoodbudget.db")


def test_flask_env_is_honoured_too() -> None:
    assert load_config({"FLASK_ENV": "testing"})["DATABASE"] == ":memory:"


def test_production_reads_the_environment() -> None:
    settings = load_config(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 32,
            "DATABASE_URL": "sqlite:////data/x.db",
            "SESSION_LIFETIME_MINUTES": "30",
            "LOG_LEVEL": "warning",
            "HSTS_SECONDS": "3600",
            "PAGE_CACHE_SIZE": "0",
        }
    )
    assert settings["PAGE_CACHE_SIZE"] == 0
    assert settings["DATABASE"] == "/data/x.db"
    assert settings["SESSION_LIFETIME_MINUTES"] == 30
    assert settings["LOG_LEVEL"] == "WARNING"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert load_config({"APP_ENV": "production", "SECRET_KEY": "s" * 32})["DATABASE"] == (
        "/data/myfoodbudget.db"
    )


def test_production_lists_one_line_per_bad_variable() -> None:
    env = {
        "APP_ENV": "production",
        "DATABASE_URL": "postgres://x",
        "SESSION_LIFETIME_MINUTES": "soon",
        "LOG_LEVEL": "LOUD",
    }
    with pytest.raises(ConfigError) as info:
        load_config(env)
    problems = info.value.problems
    assert len(problems) == 4
    assert any(p.startswith("SECRET_KEY is required") for p in problems)
    assert any(p.startswith("DATABASE_URL must look like sqlite:////") for p in problems)
    assert any(p.startswith("SESSION_LIFETIME_MINUTES must be a whole number") for p in problems)
    assert any(p.startswith("LOG_LEVEL must be one of") for p in problems)
    assert info.value.format_message().count("\n") == 4


def test_short_secret_and_unknown_environment_are_refused() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is too short"):
        load_config({"APP_ENV": "production", "SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="APP_ENV must be one of"):
        load_config({"APP_ENV": "staging"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config({"APP_ENV": "development", "DATABASE_URL": "mysql://db"})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/app.db", "data/app.db"),
        ("sqlite:////var/lib/app.db", "/var/lib/app.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_database_urls(url: str, path: str) -> None:
    assert database_path(url) == path


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite:///x.db?mode=ro", "file:x.db"])
def test_bad_database_urls(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        database_path(url)


def test_testing_config_uses_a_private_in_memory_database() -> None:
    first = create_app({"APP_ENV": "testing"})
    second = create_app({"APP_ENV": "testing"})
    assert first.config["DATABASE_TARGET"] != second.config["DATABASE_TARGET"]
    client = first.test_client()
    assert client.get("/readyz").status_code == 200
    body = {"username": "mem", "email": "mem@example.com", "password": "pw-12345678"}
    assert client.post("/api/v1/users", json=body).status_code == 201
