"""Fixtures for the GitSync tests: real git remotes on disk and over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitops.sync.testing import GitHttpsServer, GitRemote

TOKEN = "canary-tok-7f3a9c1e5b2d4806"


@pytest.fixture
def token() -> str:
    """The token the HTTPS remote accepts; a canary that must never appear in any output."""
    return TOKEN


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    """A bare repository with a work tree to commit from."""
    return GitRemote(tmp_path / "git")


@pytest.fixture
def https(
    remote: GitRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GitHttpsServer]:
    """The remote served by git http-backend over HTTPS with Basic auth (user `ci`, TOKEN)."""
    certs = tmp_path / "certs"
    certs.mkdir()
    server = GitHttpsServer(remote.root, "ci", TOKEN, certs)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(server.cert))
    with server:
        yield server
