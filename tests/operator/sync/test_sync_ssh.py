"""Fetching over ssh from a real sshd on loopback, with the key and host key from a Secret."""

from __future__ import annotations

import base64
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from gitops.sync.credentials import Credentials, git_environment
from gitops.sync.fetch import FetchError, checkout, fetch_branch
from gitops.sync.process import run_command
from support.git import GitRemote
from support.ssh import GitSshServer, KeyPair, make_key

SECRET = "default/git-ssh"


def _creds(identity: str, known_hosts: str) -> Credentials:
    """Credentials decoded from a Secret's base64 data, as the operator reads them."""
    values = {"identity": identity, "known_hosts": known_hosts}
    data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
    return Credentials.from_secret(SECRET, data)


def _key_lines(key: KeyPair) -> list[str]:
    """The lines of a private key that must never be shown."""
    return [line for line in key.private.splitlines() if "PRIVATE KEY" not in line]


def _fetch(sshd: GitSshServer, remote: GitRemote, creds: Credentials, cache: Path) -> str:
    """fetch_branch over ssh with the environment and secrets the operator passes."""
    with git_environment(creds) as env:
        for line in creds.secrets():
            assert line not in str(env)
        return fetch_branch(
            sshd.url(remote.bare),
            "main",
            cache,
            timeout=30,
            env=env,
            secrets=creds.secrets(),
        )


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda key: key, id="as-written"),
        pytest.param(lambda key: key.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda key: key.rstrip("\n"), id="no-final-newline"),
    ],
)
def test_ssh_fetch_with_identity_and_known_hosts_from_secret(
    sshd: GitSshServer,
    remote: GitRemote,
    client_key: KeyPair,
    tmp_path: Path,
    layout: Callable[[str], str],
) -> None:
    commit = remote.commit({"a.txt": "over ssh"})
    creds = _creds(layout(client_key.private), sshd.known_hosts_line())
    cache = tmp_path / "cache"
    got = _fetch(sshd, remote, creds, cache)
    assert got == commit
    with git_environment(None) as env:
        checkout(cache, commit, timeout=30, env=env)
    assert (cache / "a.txt").read_text() == "over ssh"
    assert f"Accepted publickey for {sshd.user}" in sshd.log_text()


def test_ssh_changed_host_key_is_refused_before_the_key_is_offered(
    sshd: GitSshServer, remote: GitRemote, client_key: KeyPair, tmp_path: Path
) -> None:
    remote.commit({"a.txt": "one"})
    other = make_key(tmp_path / "other_host", "another-host")
    creds = _creds(client_key.private, sshd.known_hosts_line(other.public))
    message = _refused(sshd, remote, creds, tmp_path, client_key)
    assert message.startswith("ssh host key verification failed: the host key (SHA256:")
    assert f"that [127.0.0.1]:{sshd.port} sent differs from the one in 'known_hosts'" in message
    assert "gitsync-" not in message  # nor the path of the deleted temp known_hosts
    assert "Accepted publickey" not in sshd.log_text()


def test_ssh_host_missing_from_known_hosts_is_refused(
    sshd: GitSshServer, remote: GitRemote, client_key: KeyPair, tmp_path: Path
) -> None:
    remote.commit({"a.txt": "one"})
    elsewhere = sshd.known_hosts_line().replace(f"]:{sshd.port} ", "]:2222 ")
    creds = _creds(client_key.private, elsewhere)
    message = _refused(sshd, remote, creds, tmp_path, client_key)
    assert f"'known_hosts' holds no key for [127.0.0.1]:{sshd.port} (ED25519 key)" in message
    assert "Accepted publickey" not in sshd.log_text()


def test_ssh_wrong_identity_is_refused_without_showing_it(
    sshd: GitSshServer, remote: GitRemote, tmp_path: Path
) -> None:
    remote.commit({"a.txt": "one"})
    wrong = make_key(tmp_path / "wrong_client", "wrong-client")
    creds = _creds(wrong.private, sshd.known_hosts_line())
    message = _refused(sshd, remote, creds, tmp_path, wrong)
    assert "Permission denied (publickey)" in message
    assert "Accepted publickey" not in sshd.log_text()


def test_ssh_identity_that_is_not_a_key_says_so(
    sshd: GitSshServer, remote: GitRemote, tmp_path: Path
) -> None:
    remote.commit({"a.txt": "one"})
    garbage = KeyPair("canary-not-a-key-4c8e2a7f91d3\n", "")
    creds = _creds(garbage.private, sshd.known_hosts_line())
    message = _refused(sshd, remote, creds, tmp_path, garbage)
    assert message.startswith("ssh cannot use the private key in 'identity' (")
    assert message.endswith("it must be an unencrypted OpenSSH or PEM private key")


def _refused(
    sshd: GitSshServer, remote: GitRemote, creds: Credentials, tmp_path: Path, key: KeyPair
) -> str:
    """The FetchError message of a fetch that must fail; it never shows the key."""
    with pytest.raises(FetchError) as caught:
        _fetch(sshd, remote, creds, tmp_path / "cache")
    message = str(caught.value)
    for line in _key_lines(key):
        assert line not in message
    assert not (tmp_path / "cache" / ".git" / "refs" / "gitsync").exists()
    return message


@pytest.mark.parametrize("with_identity", [True, False])
def test_ssh_trusts_only_the_secret(client_key: KeyPair, with_identity: bool) -> None:
    identity = client_key.private if with_identity else None
    creds = Credentials(SECRET, identity=identity, known_hosts="host ssh-ed25519 AAAA\n")
    with git_environment(creds) as env:
        folder = Path(env["HOME"])
        ssh = [*shlex.split(env["GIT_SSH_COMMAND"]), "-G", "-p", "22", "git@example.invalid"]
        resolved = run_command(ssh, timeout=30, env=env).splitlines()
        assert (folder / "identity").exists() is with_identity
    settings = {tuple(line.split(" ", 1)) for line in resolved}
    assert ("identityfile", str(folder / "identity")) in settings
    assert [line for line in resolved if line.startswith("identityfile ")] == [
        f"identityfile {folder / 'identity'}"
    ]
    assert ("identityagent", "none") in settings
    assert ("identitiesonly", "yes") in settings
    assert ("globalknownhostsfile", os.devnull) in settings
    assert ("userknownhostsfile", str(folder / "known_hosts")) in settings
    assert ("stricthostkeychecking", "true") in settings
