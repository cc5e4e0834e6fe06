"""restic, run by the backup Jobs: its settings from the mounted Secret, never a command line.

restic does the encryption, deduplication, retention and checking; this module only runs it.
The Secret named by spec.backup.offsite.secretRef is mounted as a folder: each key that looks
like an environment variable (RESTIC_PASSWORD, AWS_ACCESS_KEY_ID, ...) goes into restic's
environment; `ssh-privatekey` and `known_hosts` are copied into a private folder for the ssh
that restic's sftp backend runs. A value never reaches a command line, a log line or a result:
restic's own error text is scrubbed of every value before it is reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

from gitops.dbfiles import SnapshotError

ENV_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*$")
PASSWORD_KEYS = ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND")
SSH_KEY, KNOWN_HOSTS = "ssh-privatekey", "known_hosts"
NOT_A_REPOSITORY = ("Is there a repository at the following location?", "unable to open config")
TIMEOUT_SECONDS = 3600
SFTP_URL = re.compile(r"^sftp://(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?/")
FRACTION = re.compile(r"\.\d+")
SFTP_SHORT = re.compile(r"^sftp:(?:(?P<user>[^@/:]+)@)?(?P<host>[^:/]+):")


class ResticError(SnapshotError):
    """restic refused or failed; the message holds its own words, scrubbed of secrets."""


@dataclass(frozen=True)
class Snapshot:
    """One restic snapshot: its id, time and our key=value tags."""

    id: str
    short_id: str
    time: datetime
    tags: Mapping[str, str]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Snapshot:
        """From `restic snapshots --json` (its times carry nanoseconds and an offset)."""
        tags = dict(t.split("=", 1) for t in raw.get("tags") or [] if "=" in t)
        text = FRACTION.sub(lambda m: m[0][:7], str(raw["time"]).replace("Z", "+00:00"))
        short = str(raw.get("short_id") or raw["id"][:8])
        return cls(str(raw["id"]), short, datetime.fromisoformat(text), tags)


def zoneinfo_folder() -> str:
    """The time zone database restic (Go) reads: the tzdata package's, so an image without
    /usr/share/zoneinfo still counts days in the Release's zone."""
    folder = resources.files("tzdata") / "zoneinfo"
    return str(folder) if folder.is_dir() else ""


def read_secret(folder: Path, name: str) -> tuple[dict[str, str], dict[str, str]]:
    """(restic's environment, ssh files) from the mounted Secret; refuse one without a password."""
    files = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    if not files:
        raise ResticError(
            f"the Secret {name!r} (spec.backup.offsite.secretRef) is missing or empty: create it "
            "with RESTIC_PASSWORD and what the repository needs (docs/operations.md)"
        )
    env = {key: path.read_text().strip() for key, path in files.items() if ENV_KEY.match(key)}
    if not any(env.get(key) for key in PASSWORD_KEYS):
        raise ResticError(f"the Secret {name!r} has no RESTIC_PASSWORD key: add it")
    ssh = {key: files[key].read_text() for key in (SSH_KEY, KNOWN_HOSTS) if key in files}
    return env, ssh


def sftp_command(repository: str, key: Path, known_hosts: Path) -> str | None:
    """The ssh command restic's sftp backend runs, for an sftp: repository (else None)."""
    if not repository.startswith("sftp:"):
        return None
    match = SFTP_URL.match(repository) or SFTP_SHORT.match(repository)
    if match is None:
        raise ResticError(
            f"repository {repository!r} is not sftp:user@host:/path nor sftp://user@host:port//path"
        )
    target = f"{match['user']}@{match['host']}" if match["user"] else match["host"]
    port = match.groupdict().get("port") or "22"
    options = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    options += ["-i", str(key), "-o", f"UserKnownHostsFile={known_hosts}"]
    options += ["-o", "StrictHostKeyChecking=yes", "-p", port]
    return " ".join(["ssh", *options, target, "-s", "sftp"])


@dataclass
class Restic:
    """One repository, with restic's settings from the Secret; a context manager for ssh files."""

    repository: str
    env: dict[str, str]
    ssh: dict[str, str] = field(default_factory=dict, repr=False)
    time_zone: str = "UTC"
    _ssh_dir: Path | None = field(default=None, repr=False)

    @classmethod
    def from_secret(cls, repository: str, folder: Path, name: str, time_zone: str) -> Restic:
        """Read the mounted Secret."""
        env, ssh = read_secret(folder, name)
        return cls(repository, env, ssh, time_zone)

    def __enter__(self) -> Restic:
        return self

    def __exit__(self, *_: object) -> None:
        if self._ssh_dir is not None:
            shutil.rmtree(self._ssh_dir, ignore_errors=True)
            self._ssh_dir = None

    def _options(self) -> list[str]:
        """Global flags: no cache (a Job starts empty), and the sftp command when there is one."""
        if not self.repository.startswith("sftp:") or SSH_KEY not in self.ssh:
            return ["--no-cache"]
        if KNOWN_HOSTS not in self.ssh:
            raise ResticError(
                "the Secret has ssh-privatekey but no known_hosts: add the server's host key "
                "(ssh-keyscan -p PORT HOST), restic's ssh checks it"
            )
        if self._ssh_dir is None:
            self._ssh_dir = Path(tempfile.mkdtemp(prefix="restic-ssh-"))
            for name, text in self.ssh.items():
                path = self._ssh_dir / name
                path.write_text(text if text.endswith("\n") else text + "\n")
                path.chmod(0o600)
        key, hosts = self._ssh_dir / SSH_KEY, self._ssh_dir / KNOWN_HOSTS
        return ["--no-cache", "-o", f"sftp.command={sftp_command(self.repository, key, hosts)}"]

    def scrub(self, text: str) -> str:
        """restic's words with every Secret value replaced by ***."""
        for value in sorted((*self.env.values(), *self.ssh.values()), key=len, reverse=True):
            if len(value.strip()) >= 4:
                text = text.replace(value.strip(), "***")
        return text

    def run(
        self,
        args: Sequence[str],
        *,
        stdin: IO[bytes] | None = None,
        stdout: IO[bytes] | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> str:
        """Run `restic ARGS`; return its stdout (unless sent to a file); ResticError on failure."""
        env = {**os.environ, **self.env, "RESTIC_REPOSITORY": self.repository}
        env["TZ"], env["ZONEINFO"] = self.time_zone, zoneinfo_folder()
        command = ["restic", *self._options(), *args]
        try:
            done = subprocess.run(
                command, env=env, stdin=stdin, stdout=stdout or subprocess.PIPE,
                stderr=subprocess.PIPE, timeout=timeout, check=False,
            )  # fmt: skip
        except FileNotFoundError:
            raise ResticError("restic is not installed (Debian: apt-get install restic)") from None
        except subprocess.TimeoutExpired:
            raise ResticError(f"restic {args[0]} did not finish within {timeout:.0f}s") from None
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip().splitlines()[-6:]
            text = self.scrub(" / ".join(said)) or "no output"
            raise ResticError(f"restic {args[0]} failed (exit {done.returncode}): {text}")
        return done.stdout.decode(errors="replace") if stdout is None else ""

    def ensure_repository(self) -> bool:
        """Initialise the repository on first use; True when it was created now."""
        try:
            self.run(["cat", "config"])
        except ResticError as error:
            if not any(words in str(error) for words in NOT_A_REPOSITORY):
                raise
            self.run(["init"])
            return True
        return False

    def snapshots(self, host: str) -> list[Snapshot]:
        """This host's snapshots, oldest first."""
        raw = json.loads(self.run(["snapshots", "--json", "--host", host]) or "[]")
        return sorted((Snapshot.from_json(s) for s in raw or []), key=lambda s: s.time)

    def backup_file(
        self, source: Path, name: str, host: str, tags: Sequence[str], when: str
    ) -> str:
        """Back up one file as /<name> of `host` at local time `when`; return the snapshot id."""
        args = ["backup", "--json", "--stdin", "--stdin-filename", name, "--host", host]
        args += ["--time", when, *(flag for tag in tags for flag in ("--tag", tag))]
        with source.open("rb") as data:
            out = self.run(args, stdin=data)
        for line in out.splitlines():
            if line.startswith("{") and '"summary"' in line:
                return str(json.loads(line)["snapshot_id"])
        raise ResticError(f"restic backup gave no summary: {self.scrub(out[-300:])}")

    def forget(self, host: str, flags: Sequence[str]) -> list[str]:
        """Apply the keep rule to this host's snapshots; prune what it removed; their ids."""
        if not flags:
            return []
        groups = json.loads(self.run(["forget", "--json", "--host", host, *flags]) or "[]")
        removed = [str(s["id"]) for g in groups or [] for s in g.get("remove") or []]
        if removed:
            self.run(["prune"])
        return removed

    def dump(self, snapshot: str, name: str, target: Path) -> None:
        """Write /<name> of a snapshot into the file `target`."""
        with target.open("wb") as out:
            self.run(["dump", snapshot, f"/{name}"], stdout=out)

    def check(self, subset: str) -> str:
        """`restic check --read-data-subset SUBSET`: the repository's structure and a sample."""
        return self.run(["check", f"--read-data-subset={subset}"])
