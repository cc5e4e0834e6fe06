"""Fixtures for the GitSync tests: real git remotes on disk, over HTTPS and over ssh."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from support.canary import CANARIES
from support.git import GitHttpsServer, GitRemote
from support.ssh import GitSshServer, KeyPair, SshUnavailable, find_sshd, make_key

TOKEN = CANARIES["git-token"]


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


def _without_ssh(reason: str) -> NoReturn:
    """Fail as root (CI must run the ssh tests); skip for other users, who may be locked out."""
    if os.geteuid() == 0:
        pytest.fail(f"sshd must run as root: {reason}")
    pytest.skip(f"sshd cannot serve this non-root user here: {reason}")


@pytest.fixture
def client_key(tmp_path: Path) -> KeyPair:
    """The key pair the ssh remote accepts; its private half must never appear in any output."""
    try:
        find_sshd()
    except SshUnavailable as error:
        _without_ssh(str(error))
    return make_key(tmp_path / "client_ed25519", "gitsync-test-client")


@pytest.fixture
def sshd(tmp_path: Path, client_key: KeyPair) -> Iterator[GitSshServer]:
    """A real sshd on 127.0.0.1 letting the current user in with client_key only."""
    server = GitSshServer(tmp_path / "sshd", client_key.public)
    try:
        server.start()
        # Root logs in with the key alone; another user may be locked or lack a login shell.
        problem = None if os.geteuid() == 0 else server.login_problem(tmp_path / "client_ed25519")
    except SshUnavailable as error:
        problem = str(error)
    if problem:
        server.stop()
        _without_ssh(problem)
    try:
        yield server
    finally:
        server.stop()
