"""Fetching with the git CLI from real repositories over file:// and HTTPS."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from gitops.sync.credentials import Credentials, CredentialsError, git_environment, scrub
from gitops.sync.fetch import FetchError, checkout, fetch_branch
from support.git import GitHttpsServer, GitRemote


def _secret(**values: str) -> dict[str, str]:
    """Secret data as the API returns it (base64)."""
    return {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}


def test_file_fetch_returns_the_branch_tip_and_checks_it_out(
    remote: GitRemote, tmp_path: Path
) -> None:
    first = remote.commit({"a.txt": "one"})
    cache = tmp_path / "cache"
    with git_environment(None) as env:
        assert fetch_branch(remote.url, "main", cache, timeout=30, env=env) == first
        second = remote.commit({"a.txt": "two", "b.txt": "new"})
        assert fetch_branch(remote.url, "main", cache, timeout=30, env=env) == second
        checkout(cache, second, timeout=30, env=env)
    assert (cache / "a.txt").read_text() == "two"
    assert (cache / "b.txt").read_text() == "new"
    shallow = (cache / ".git" / "shallow").read_text().split()
    assert second in shallow


def test_checkout_removes_files_of_the_previous_commit(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"keep.txt": "k", "drop.txt": "d"})
    second = remote.commit({"drop.txt": None})
    cache = tmp_path / "cache"
    with git_environment(None) as env:
        fetch_branch(remote.url, "main", cache, timeout=30, env=env)
        checkout(cache, second, timeout=30, env=env)
        (cache / "stray.txt").write_text("left over")
        checkout(cache, second, timeout=30, env=env)
    assert sorted(p.name for p in cache.iterdir() if p.name != ".git") == ["keep.txt"]


def test_missing_branch_names_it(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.txt": "one"})
    with git_environment(None) as env, pytest.raises(FetchError, match="nope"):
        fetch_branch(remote.url, "nope", tmp_path / "cache", timeout=30, env=env)


def test_https_with_token_from_secret(
    remote: GitRemote, https: GitHttpsServer, tmp_path: Path, token: str
) -> None:
    commit = remote.commit({"a.txt": "one"})
    creds = Credentials.from_secret("default/git-auth", _secret(username="ci", password=token))
    with git_environment(creds) as env:
        assert token not in str(env)
        got = fetch_branch(https.url("remote.git"), "main", tmp_path / "c", timeout=30, env=env)
    assert got == commit


def test_https_wrong_token_fails_without_showing_it(
    remote: GitRemote, https: GitHttpsServer, tmp_path: Path
) -> None:
    remote.commit({"a.txt": "one"})
    wrong = "canary-wrong-0b9e4d7a21c6"
    creds = Credentials.from_secret("default/git-auth", _secret(username="ci", password=wrong))
    with git_environment(creds) as env, pytest.raises(FetchError) as caught:
        fetch_branch(
            https.url("remote.git"),
            "main",
            tmp_path / "c",
            timeout=30,
            env=env,
            secrets=creds.secrets(),
        )
    assert "Authentication failed" in str(caught.value)
    assert wrong not in str(caught.value)
    assert https.requests >= 2


def test_unreachable_remote_fails_quickly(tmp_path: Path) -> None:
    with git_environment(None) as env, pytest.raises(FetchError):
        fetch_branch("https://127.0.0.1:9/none.git", "main", tmp_path / "c", timeout=10, env=env)


def test_timeout_kills_git(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.txt": "one"})
    with git_environment(None) as env, pytest.raises(FetchError, match=r"timed out|out of time"):
        fetch_branch(remote.url, "main", tmp_path / "c", timeout=0.001, env=env)


def test_credential_files_are_private_and_removed() -> None:
    creds = Credentials.from_secret(
        "ns/s",
        _secret(
            identity="-----BEGIN KEY-----\nabcdefgh12345678\n-----END KEY-----",
            known_hosts="host ssh-ed25519 AAAA",
        ),
    )
    with git_environment(creds) as env:
        folder = Path(env["HOME"])
        modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
        assert modes == {"identity": 0o600, "known_hosts": 0o600}
        assert "StrictHostKeyChecking=yes" in env["GIT_SSH_COMMAND"]
        assert str(folder / "identity") in env["GIT_SSH_COMMAND"]
        assert "abcdefgh12345678" not in str(env)
    assert not folder.exists()
    assert "abcdefgh12345678" not in repr(creds)


def test_secret_without_credentials_is_refused_by_name() -> None:
    with pytest.raises(CredentialsError, match="Secret ns/empty holds neither"):
        Credentials.from_secret("ns/empty", _secret(username="only"))
    with pytest.raises(CredentialsError, match="not valid base64"):
        Credentials.from_secret("ns/bad", {"password": "***not base64***"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token s3cr3t-value failed", "token *** failed"),
        ("https://user:pw@host/repo.git", "https://***@host/repo.git"),
        ("nothing to hide", "nothing to hide"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text, ["s3cr3t-value"]) == expected
