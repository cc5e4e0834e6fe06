"""Fetch one branch shallowly into a cached repository and check out a commit."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from gitops.sync.credentials import scrub
from gitops.sync.process import CommandFailed, run_command

HEAD_REF = "refs/gitsync/head"
COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
HOST_KEY_CHANGED = re.compile(r"Host key for (\S+) has changed")
HOST_KEY_UNKNOWN = re.compile(r"No (\S+) host key is known for (\S+)")
FINGERPRINT = re.compile(r"key sent by the remote host is\s+(\S+?)\.?$", re.MULTILINE)
BAD_KEY = re.compile(r'Load key "[^"]*": (.+)')


class FetchError(Exception):
    """git could not fetch or check out; the message is already free of secrets."""


TIMED_OUT = (
    "git timed out: it did not finish within spec.timeout; check that the remote answers "
    "(a host that accepts connections and never replies looks like this), or raise spec.timeout"
)


def fetch_branch(  # noqa: PLR0913 - what git needs, all but the where by keyword
    url: str,
    branch: str,
    repo_dir: Path,
    *,
    timeout: float,
    env: Mapping[str, str],
    secrets: Iterable[str] = (),
) -> str:
    """Fetch the tip of branch from url into repo_dir (depth 1) and return its commit id."""
    deadline = time.monotonic() + timeout
    hidden = list(secrets)
    if not (repo_dir / ".git").is_dir():
        repo_dir.mkdir(parents=True, exist_ok=True)
        _git(["init", "-q", str(repo_dir)], deadline, env, hidden)
    refspec = f"+refs/heads/{branch}:{HEAD_REF}"
    fetch = ["fetch", "--quiet", "--depth", "1", "--no-tags", "--no-recurse-submodules"]
    _git(["-C", str(repo_dir), *fetch, "--", url, refspec], deadline, env, hidden)
    # Older commits become unreachable once the ref moves; let git pack and expire them.
    _git(["-C", str(repo_dir), "gc", "--auto", "--quiet"], deadline, env, hidden)
    commit = _git(["-C", str(repo_dir), "rev-parse", "--verify", HEAD_REF], deadline, env, hidden)
    commit = commit.strip()
    if not COMMIT.match(commit):
        raise FetchError(f"git returned {commit!r} instead of a commit id")
    return commit


def checkout(repo_dir: Path, commit: str, *, timeout: float, env: Mapping[str, str]) -> Path:
    """Check out commit into repo_dir's work tree, removing anything left from before."""
    deadline = time.monotonic() + timeout
    where = ["-C", str(repo_dir), "-c", "advice.detachedHead=false"]
    _git([*where, "checkout", "-q", "--force", commit], deadline, env, [])
    _git([*where, "clean", "-q", "-ffdx"], deadline, env, [])
    return repo_dir


def _git(args: list[str], deadline: float, env: Mapping[str, str], secrets: list[str]) -> str:
    """Run one git command within what is left of the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(TIMED_OUT)
    try:
        return run_command(["git", *args], timeout=remaining, env=env)
    except CommandFailed as error:
        if str(error).startswith("timed out after"):
            raise FetchError(TIMED_OUT) from None
        raise FetchError(_explain(scrub(str(error), secrets))) from None
    except OSError as error:
        raise FetchError(f"cannot run git: {error.strerror}") from None


def _tidy(stderr: str) -> str:
    """git's error output on one line, without the leading 'fatal: '."""
    lines = [line.removeprefix("fatal: ").strip() for line in stderr.splitlines()]
    return "; ".join(line for line in lines if line)


def _explain(stderr: str) -> str:
    """git's error, with ssh's key problems said briefly and with what to change."""
    if bad := BAD_KEY.search(stderr):
        return (
            f"ssh cannot use the private key in 'identity' ({bad.group(1)}); it must be an"
            " unencrypted OpenSSH or PEM private key"
        )
    if "Host key verification failed" not in stderr:
        return _tidy(stderr)
    if changed := HOST_KEY_CHANGED.search(stderr):
        offered = FINGERPRINT.search(stderr)
        key = f" ({offered.group(1)})" if offered else ""
        return (
            f"ssh host key verification failed: the host key{key} that {changed.group(1)} sent"
            " differs from the one in 'known_hosts'; if the server's key really changed, put"
            " its new key line in 'known_hosts'"
        )
    unknown = HOST_KEY_UNKNOWN.search(stderr)
    host = f"{unknown.group(2)} ({unknown.group(1)} key)" if unknown else "the server"
    return (
        f"ssh host key verification failed: 'known_hosts' holds no key for {host}; add the"
        " server's key line, e.g. from `ssh-keyscan -p PORT HOST`, checked against a trusted copy"
    )
