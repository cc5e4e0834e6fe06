"""Configuration classes picked by APP_ENV (or FLASK_ENV) and validated at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

DEFAULT_PRODUCTION_URL = "sqlite:////data/myfoodbudget.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(click.ClickException):
    """The environment does not describe a runnable configuration (one line per problem)."""

    def __init__(self, problems: list[str]) -> None:
        """Keep the problems and show them one per line."""
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    DATABASE: str | None = None  # None: instance/myfoodbudget.db
    SESSION_LIFETIME_MINUTES = 60 * 24 * 7
    TOKEN_LIFETIME_MINUTES = 60 * 24 * 30  # API tokens
    LOG_LEVEL = "INFO"
    JSON_LOGS = False
    HSTS_SECONDS = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_REFRESH_EACH_REQUEST = False  # the session lasts SESSION_LIFETIME_MINUTES from login
    SESSION_COOKIE_SECURE = False
    LOGIN_RATE_LIMIT = 5
    LOGIN_RATE_WINDOW_SECONDS = 60
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    MAX_CONTENT_LENGTH = 256 * 1024
    APP_IMAGE = ""
    GIT_COMMIT = ""
    PAGE_CACHE_SIZE = 256
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a hashing method, not a secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        """Return the settings as a dict, reading overrides from env."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        settings["APP_IMAGE"] = env.get("APP_IMAGE", "")
        settings["GIT_COMMIT"] = env.get("GIT_COMMIT", "")
        if env.get("DATABASE_URL"):
            settings["DATABASE"] = database_path(env["DATABASE_URL"])
        return settings


class DevelopmentConfig(Config):
    """Local development: a SQLite file under instance/ and a fixed, dev-only secret."""

    ENV_NAME = "development"
    SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105
    LOG_LEVEL = "DEBUG"


class TestingConfig(Config):
    """Tests: an in-memory database, no CSRF token checks on the test client."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    DATABASE = ":memory:"
    WTF_CSRF_ENABLED = False
    LOGIN_RATE_LIMIT = 1000
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (fast hashing for tests)


class ProductionConfig(Config):
    """Production: everything sensitive comes from the environment."""

    ENV_NAME = "production"
    JSON_LOGS = True
    SESSION_COOKIE_SECURE = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        """Read and validate SECRET_KEY, DATABASE_URL, SESSION_LIFETIME_MINUTES, LOG_LEVEL."""
        problems: list[str] = []
        try:
            settings = super().from_env({"DATABASE_URL": DEFAULT_PRODUCTION_URL, **env})
        except ValueError as exc:
            problems.append(str(exc))
            settings = super().from_env({k: v for k, v in env.items() if k != "DATABASE_URL"})
        secret = env.get("SECRET_KEY", "")
        if not secret:
            problems.append("SECRET_KEY is required: set it to a long random string")
        elif len(secret) < 16:
            problems.append("SECRET_KEY is too short: use at least 16 characters")
        settings["SECRET_KEY"] = secret
        for name, low in (
            ("SESSION_LIFETIME_MINUTES", 1),
            ("TOKEN_LIFETIME_MINUTES", 1),
            ("HSTS_SECONDS", 0),
            ("PAGE_CACHE_SIZE", 0),
        ):
            raw = env.get(name)
            if raw is None:
                continue
            if not raw.isdigit() or int(raw) < low:
                problems.append(f"{name} must be a whole number >= {low}, got {raw!r}")
            else:
                settings[name] = int(raw)
        level = env.get("LOG_LEVEL", settings["LOG_LEVEL"]).upper()
        if level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        settings["LOG_LEVEL"] = level
        if problems:
            raise ConfigError(problems)
        return settings


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def database_path(url: str) -> str:
    """Turn sqlite:///relative or sqlite:////absolute into a file path (or :memory:)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(
            f"DATABASE_URL must look like sqlite:////data/myfoodbudget.db, got {url!r}"
        )
    path = url[len(prefix) :]
    if path == ":memory:":
        return path
    if "?" in path or "\x00" in path:
        raise ValueError(f"DATABASE_URL must be a plain sqlite file path, got {url!r}")
    return str(Path(path))


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Pick the config class named by APP_ENV/FLASK_ENV and return validated settings."""
    env = os.environ if env is None else env
    name = env.get("APP_ENV") or env.get("FLASK_ENV") or "development"
    cls = CONFIGS.get(name.lower())
    if cls is None:
        raise ConfigError([f"APP_ENV must be one of {', '.join(CONFIGS)}, got {name!r}"])
    try:
        return cls.from_env(env)
    except ValueError as exc:
        raise ConfigError([str(exc)]) from None
