"""Fixtures for the tests on the real images, in the engine of scripts/engine.sh.

`make test` (or `make images`) starts the engine and builds the images first. Without an engine
or without the images every test here fails with one line saying so: nothing is skipped.
Every container and volume a test makes carries this session's label and is removed by id.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from images_support import Engine
from support.engine import engine_environment

ROOT = Path(__file__).resolve().parents[2]
APP_IMAGE = os.environ.get("MYFOODBUDGET_APP_IMAGE", "myfoodbudget/app:dev")
OPERATOR_IMAGE = os.environ.get("MYFOODBUDGET_OPERATOR_IMAGE", "myfoodbudget/operator:dev")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an `images` test (and slow: it starts containers)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.images)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The engine, answering; a test fails in one line when there is none."""
    env = engine_environment()
    found = Engine(env.get("MYFOODBUDGET_DOCKER", "docker"), env, uuid.uuid4().hex[:12])
    problem = found.problem()
    if problem:
        pytest.fail(
            f"no container engine: {problem}; run `make images` (it starts one with "
            "scripts/engine.sh, as root) or set DOCKER_HOST",
            pytrace=False,
        )
    yield found
    found.remove_everything()


def require_image(engine: Engine, image: str) -> str:
    """The image reference, or a one-line failure saying how to build it."""
    if not engine.has_image(image):
        pytest.fail(f"image {image} is not in the engine: run `make images`", pytrace=False)
    return image


@pytest.fixture(scope="session")
def app_image(engine: Engine) -> str:
    """The app image under test (myfoodbudget/app:dev)."""
    return require_image(engine, APP_IMAGE)


@pytest.fixture(scope="session")
def operator_image(engine: Engine) -> str:
    """The operator image under test (myfoodbudget/operator:dev)."""
    return require_image(engine, OPERATOR_IMAGE)


@pytest.fixture
def port() -> int:
    """A TCP port free on 127.0.0.1 right now (containers use the host's network)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def volume(engine: Engine) -> str:
    """A fresh named volume (removed at the end of the session, by name)."""
    return engine.volume()
