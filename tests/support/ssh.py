"""A real OpenSSH sshd on 127.0.0.1 that serves git (and, when asked, SFTP) to one client key."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gitops.sync.process import CommandFailed, run_command

SBIN = "/usr/local/sbin:/usr/sbin:/sbin"
CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {folder}/host_ed25519
PidFile {folder}/sshd.pid
AuthorizedKeysFile {folder}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
PermitUserRC no
"""
SFTP_SUBSYSTEM = "Subsystem sftp internal-sftp\n"  # what a NAS serves restic's sftp: backend


class SshUnavailable(Exception):
    """sshd cannot run here; the message says why."""


@dataclass(frozen=True)
class KeyPair:
    """An ed25519 key pair without a passphrase."""

    private: str
    public: str


def make_key(path: Path, comment: str) -> KeyPair:
    """Generate an ed25519 key at path (and path.pub) with ssh-keygen."""
    args = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    run_command(args, timeout=30)
    public = path.with_name(path.name + ".pub").read_text().strip()
    return KeyPair(path.read_text(), public)


def find_sshd() -> str:
    """The absolute path of sshd (it re-executes itself, so it must be absolute)."""
    found = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}:{SBIN}")
    if found is None:
        raise SshUnavailable("sshd is not installed (Debian: apt-get install openssh-server)")
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        raise SshUnavailable("ssh is not installed (Debian: apt-get install openssh-client)")
    return os.path.abspath(found)


class GitSshServer:
    """`sshd -D -e` on a free loopback port that lets the current user in with one key.

    With `sftp=True` it also serves the sftp subsystem (OpenSSH's internal-sftp), as a NAS
    that holds restic repositories does.
    """

    def __init__(self, folder: Path, authorized: str, *, sftp: bool = False) -> None:
        self.sshd = find_sshd()
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.host_key = make_key(folder / "host_ed25519", "gitsync-test-host")
        (folder / "authorized_keys").write_text(authorized.strip() + "\n")
        self.log = folder / "sshd.log"
        self.port = 0
        self.extra_config = SFTP_SUBSYSTEM if sftp else ""
        self._proc: subprocess.Popen[bytes] | None = None

    def url(self, repo: Path) -> str:
        """The ssh:// URL of a repository on this machine, by its absolute path."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}{repo.resolve()}"

    def known_hosts_line(self, public: str | None = None) -> str:
        """A known_hosts line for this server: its own host key, or the public key given."""
        kind, key = (public or self.host_key.public).split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"

    def start(self, timeout: float = 15.0) -> None:
        """Start sshd and wait until it greets; retry on a port taken in between."""
        if os.geteuid() == 0:
            # The privilege separation directory; /run is often empty in containers.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        deadline = time.monotonic() + timeout
        for _ in range(3):
            self.port = _free_port()
            config = self.folder / "sshd_config"
            text = CONFIG.format(port=self.port, folder=self.folder, user=self.user)
            config.write_text(text + self.extra_config)
            with self.log.open("wb") as log:
                self._proc = subprocess.Popen(
                    [self.sshd, "-D", "-e", "-f", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if _greets(self._proc, self.port, deadline):
                return
            self.stop()
            if "Address already in use" not in self.log_text():
                break
        raise SshUnavailable(f"sshd did not start: {self.log_text().strip() or 'no output'}")

    def login_problem(self, identity: Path) -> str | None:
        """Why the current user cannot log in with identity (None when it can)."""
        args = ["ssh", "-F", os.devnull, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
        args += ["-o", f"UserKnownHostsFile={self.folder}/probe_known_hosts"]
        args += ["-o", "StrictHostKeyChecking=accept-new", "-i", str(identity)]
        args += ["-p", str(self.port), f"{self.user}@127.0.0.1", "true"]
        try:
            run_command(args, timeout=30)
        except CommandFailed as error:
            return f"{error}; sshd says: {self.log_text().strip()}"
        return None

    def stop(self) -> None:
        """Stop sshd and wait for it to exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def log_text(self) -> str:
        """What sshd wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> GitSshServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _greets(proc: subprocess.Popen[bytes], port: int, deadline: float) -> bool:
    """Poll until sshd sends its SSH banner on port; False once it exits or time is up."""
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(8).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False
