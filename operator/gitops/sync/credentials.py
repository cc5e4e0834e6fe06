"""Git credentials from a Secret, handed to git through files in a private temp folder."""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PASSTHROUGH = ("PATH", "GIT_SSL_CAINFO", "SSL_CERT_FILE", "HTTPS_PROXY", "https_proxy", "NO_PROXY")
ASKPASS = """#!/bin/sh
case "$1" in
  Username*) exec cat '{dir}/username' ;;
  *) exec cat '{dir}/password' ;;
esac
"""
USERINFO = re.compile(r"(://)[^/@\s]+@")
HIDDEN = "***"


class CredentialsError(ValueError):
    """The Secret cannot be used as git credentials; the message names it and says why."""


@dataclass(frozen=True)
class Credentials:
    """The values of a git Secret; repr never shows them."""

    secret: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    identity: str | None = field(default=None, repr=False)
    known_hosts: str | None = field(default=None, repr=False)

    @classmethod
    def from_secret(cls, secret: str, data: Mapping[str, str]) -> Credentials:
        """Decode a Secret's base64 data; raise CredentialsError when it holds nothing usable."""
        values = {key: _decode(secret, key, data[key]) for key in data}
        creds = cls(
            secret=secret,
            username=values.get("username"),
            password=values.get("password"),
            identity=values.get("identity"),
            known_hosts=values.get("known_hosts"),
        )
        if not creds.password and not creds.identity:
            raise CredentialsError(
                f"Secret {secret} holds neither 'password' (a token, with 'username') for https"
                " nor 'identity' (a private key, with 'known_hosts') for ssh"
            )
        return creds

    def secrets(self) -> list[str]:
        """Every value that must never appear in text the operator writes."""
        found = [self.password, self.identity]
        if self.identity:
            found.extend(line for line in self.identity.splitlines() if len(line) >= 8)
        return [value for value in found if value]


def _decode(secret: str, key: str, value: str) -> str:
    """One base64 value of a Secret as text."""
    try:
        return base64.b64decode(value, validate=True).decode()
    except ValueError:
        raise CredentialsError(f"Secret {secret} key {key!r} is not valid base64 text") from None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret value and any URL user-info replaced by ***."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if value.strip():
            text = text.replace(value, HIDDEN).replace(value.strip(), HIDDEN)
    return USERINFO.sub(rf"\1{HIDDEN}@", text)


@contextmanager
def git_environment(creds: Credentials | None) -> Iterator[dict[str, str]]:
    """Yield an environment for git that reads credentials from 0600 files, then delete them."""
    folder = Path(tempfile.mkdtemp(prefix="gitsync-"))
    try:
        env = {key: os.environ[key] for key in PASSTHROUGH if key in os.environ}
        env.update(
            HOME=str(folder),
            LANG="C",
            GIT_TERMINAL_PROMPT="0",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_ASKPASS="/bin/false",
            SSH_ASKPASS="/bin/false",
        )
        env["GIT_SSH_COMMAND"] = _ssh_command(folder, creds)
        if creds is not None and creds.password:
            env["GIT_ASKPASS"] = str(_askpass(folder, creds))
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _private(path: Path, text: str) -> Path:
    """Write text to a file only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def _askpass(folder: Path, creds: Credentials) -> Path:
    """A GIT_ASKPASS script that prints the username or the token from private files."""
    _private(folder / "username", (creds.username or "git") + "\n")
    _private(folder / "password", (creds.password or "") + "\n")
    script = _private(folder / "askpass.sh", ASKPASS.format(dir=folder))
    script.chmod(0o700)
    return script


def _ssh_command(folder: Path, creds: Credentials | None) -> str:
    """GIT_SSH_COMMAND that checks the host key and uses only the Secret's key."""
    known = _private(folder / "known_hosts", (creds.known_hosts if creds else None) or "")
    parts = ["ssh", "-F", os.devnull, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
    # Only the Secret's host keys and private key count: ssh reads ~ from the passwd entry, not
    # HOME, so without these it would trust /etc/ssh and offer the operator's own keys.
    parts += ["-o", f"UserKnownHostsFile={known}", "-o", f"GlobalKnownHostsFile={os.devnull}"]
    parts += ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
    key = folder / "identity"
    if creds is not None and creds.identity:
        # A key saved with CRLF line ends makes ssh fail with "error in libcrypto".
        lines = creds.identity.strip().splitlines()
        _private(key, "\n".join(line.rstrip() for line in lines) + "\n")
    # Without an identity this file does not exist, and ssh offers no key at all.
    parts += ["-o", f"IdentityFile={key}"]
    return shlex.join(parts)
