"""Remotes that lie or hang and Secrets that miss keys, on a GitSync that already applied a commit.

Each case is one sync attempt against the sandbox API with real git (file://, a real sshd, a
local TCP listener that never answers); the attempt must fail with a message that says what is
wrong, and every object the GitSync applied must keep its resourceVersion.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from gitops.kube import Kube, namespaced
from gitops.sync import reasons
from gitops.sync.attempt import SyncConfig
from support.git import GitRemote
from support.reliability import bad_input
from support.ssh import GitSshServer, KeyPair, make_key
from test_sync_attempt import GOOD, Syncer, config, kube, namespace, syncer

pytestmark = pytest.mark.e2e
__all__ = ["config", "kube", "namespace", "syncer"]


def follow(syncer: Syncer, url: str, **spec: Any) -> Syncer:
    """The same GitSync (its inventory and status) with a changed spec."""
    changed = Syncer(syncer.kube, syncer.config, syncer.namespace, url, **spec)
    changed.inventory, changed.status = syncer.inventory, syncer.status
    return changed


def secret(kube: Kube, namespace: str, name: str, **values: str) -> None:
    """Create a Secret with these keys."""
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    body = {"metadata": {"name": name}, "data": data}
    asyncio.run(kube.create(namespaced("v1", "secrets", namespace), body))


def refused(syncer: Syncer, changed: Syncer, area: str, given: str) -> str:
    """One attempt of the changed GitSync; it must fail and leave every object as it was."""
    before, applied = syncer.objects(), syncer.status.last_applied_commit
    result = changed.sync()
    assert result.outcome is not None
    message = result.outcome.message
    unchanged = syncer.objects() == before and changed.status.last_applied_commit == applied
    bad_input(area, given, message, unchanged=unchanged, namespace=syncer.namespace)
    assert not result.outcome.ok
    assert not result.changed_cluster
    assert unchanged
    assert syncer.data("settings") == {"value": "1"}
    return message


@pytest.fixture
def silent() -> Iterator[int]:
    """A TCP listener on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    done.set()
    server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
    server.close()
    for conn in held:
        conn.close()
    thread.join(timeout=5)


def test_a_branch_that_does_not_exist_is_named(syncer: Syncer, remote: GitRemote) -> None:
    changed = follow(syncer, remote.url, branch="no-such-branch")
    message = refused(syncer, changed, "git remote", "a branch that does not exist")
    assert "no-such-branch" in message


def test_a_remote_that_accepts_and_never_answers_times_out(syncer: Syncer, silent: int) -> None:
    url = f"https://127.0.0.1:{silent}/site.git"
    changed = follow(syncer, url, timeout="2s")
    message = refused(syncer, changed, "git remote", "a remote that accepts and never answers")
    assert "timed out" in message or "out of time" in message


def test_a_host_key_that_is_not_the_known_one_is_refused(
    kube: Kube,
    config: SyncConfig,
    namespace: str,
    remote: GitRemote,
    sshd: GitSshServer,
    client_key: KeyPair,
    tmp_path: Any,
) -> None:
    remote.commit(GOOD)
    syncer = Syncer(kube, config, namespace, remote.url)
    syncer.synced()
    syncer.settle()
    other = make_key(tmp_path / "other_host", "another-host")
    secret(
        kube,
        namespace,
        "git-ssh",
        identity=client_key.private,
        known_hosts=sshd.known_hosts_line(other.public),
    )
    changed = follow(syncer, sshd.url(remote.bare), secretRef={"name": "git-ssh"})
    message = refused(syncer, changed, "git remote", "an ssh host key other than known_hosts'")
    assert "host key verification failed" in message
    assert "Accepted publickey" not in sshd.log_text()


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"username": "ci"}, "holds neither"),
        ({"known_hosts": "[127.0.0.1]:22 ssh-ed25519 AAAA"}, "holds neither"),
    ],
    ids=["username-only", "known-hosts-only"],
)
def test_a_git_secret_missing_its_keys_is_named(
    syncer: Syncer, remote: GitRemote, values: dict[str, str], said: str
) -> None:
    secret(syncer.kube, syncer.namespace, "git-auth", **values)
    changed = follow(syncer, remote.url, secretRef={"name": "git-auth"})
    keys = ", ".join(sorted(values))
    message = refused(syncer, changed, "git auth Secret", f"a Secret with only {keys}")
    assert said in message
    assert f"{syncer.namespace}/git-auth" in message


def test_the_reasons_are_fetch_failures(syncer: Syncer, remote: GitRemote) -> None:
    changed = follow(syncer, remote.url, branch="gone")
    result = changed.sync()
    assert result.outcome is not None
    assert result.outcome.reason == reasons.FETCH_FAILED
