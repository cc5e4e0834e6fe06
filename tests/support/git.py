"""Real git remotes for tests and benchmarks: a bare repository over file:// or HTTPS."""

from __future__ import annotations

import base64
import hmac
import os
import ssl
import subprocess
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gitops.sync.process import run_command


def git_env(home: Path) -> dict[str, str]:
    """An environment for git that ignores the user's and the system's configuration."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }


class GitRemote:
    """A bare repository (the remote) and a work tree that commits and pushes to it."""

    def __init__(self, root: Path, branch: str = "main", owner: int | None = None) -> None:
        """With `owner` (a uid), the repositories belong to that user and git runs as it: git
        refuses repositories of another user, and an operator in a container reads them as
        its own user (10001)."""
        self.root, self.branch, self.owner = root, branch, owner
        self.bare, self.work = root / "remote.git", root / "work"
        self.env = git_env(root)
        if owner is not None:
            root.mkdir(parents=True, exist_ok=True)
            os.chown(root, owner, owner)
        self._git("init", "-q", "--bare", "-b", branch, str(self.bare))
        self._git("init", "-q", "-b", branch, str(self.work))
        self._git("-C", str(self.work), "remote", "add", "origin", str(self.bare))

    @property
    def url(self) -> str:
        """The file:// URL of the bare repository."""
        return f"file://{self.bare}"

    def _git(self, *args: str) -> str:
        """Run git (as the owner, if any) and return its output."""
        if self.owner is None:
            return run_command(["git", *args], timeout=30, env=self.env).strip()
        done = subprocess.run(
            ["git", *args], env=self.env, capture_output=True, text=True, timeout=30,
            user=self.owner, group=self.owner, extra_groups=[], check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(self, files: Mapping[str, str | None], message: str = "change") -> str:
        """Write (or, for None, delete) files, commit, push; return the commit id."""
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        work = ("-C", str(self.work))
        self._git(*work, "add", "-A")
        self._git(*work, "commit", "-q", "--allow-empty", "-m", message)
        self._git(*work, "push", "-q", "origin", f"HEAD:refs/heads/{self.branch}")
        return self._git(*work, "rev-parse", "HEAD")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; returns (certificate, key)."""
    cert, key = folder / "server.crt", folder / "server.key"
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    args += ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1"]
    args += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    run_command(args, timeout=30)
    return cert, key


class GitHttpsServer:
    """`git http-backend` behind HTTPS with Basic auth on 127.0.0.1; stop() and start() again."""

    def __init__(
        self,
        project_root: Path,
        username: str,
        password: str,
        certs: Path,
        port: int = 0,
        owner: int | None = None,
    ) -> None:
        """Serve on `port` (any free one by default); `git http-backend` runs as `owner`, the
        repositories' user, when given."""
        self.project_root, self.owner = project_root, owner
        self.credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.cert, self.key = make_certificate(certs)
        self.port = port
        self.requests = 0
        self.gate = threading.Event()  # cleared: requests wait (a remote that hangs) until set
        self.gate.set()
        self.held = 0  # requests that waited at the closed gate
        self._server: ThreadingHTTPServer | None = None

    def url(self, repo: str) -> str:
        """The HTTPS URL of a repository under the project root."""
        return f"https://127.0.0.1:{self.port}/{repo}"

    def start(self) -> None:
        """Serve (again, on the same port once one was picked)."""
        handler = _handler(self)
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving; the port is refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHttpsServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _handler(owner: GitHttpsServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one server's settings."""

    owner_uid = owner.owner

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet; tests read results, not access logs."""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            owner.requests += 1
            if not owner.gate.is_set():
                owner.held += 1
                owner.gate.wait()
            given = self.headers.get("Authorization", "").removeprefix("Basic ")
            if not hmac.compare_digest(given, owner.credentials):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._backend()

        def _backend(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": os.environ.get("PATH", ""),
                "GIT_PROJECT_ROOT": str(owner.project_root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_USER": "git",
                "REMOTE_ADDR": "127.0.0.1",
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, capture_output=True, env=env, check=False,
                user=owner_uid, group=owner_uid, extra_groups=None if owner_uid is None else [],
            )  # fmt: skip
            status, headers, payload = _cgi_response(done.stdout)
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _cgi_response(output: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The status, headers and body of a CGI program's output (git http-backend's)."""
    head, _, payload = output.partition(b"\r\n\r\n")
    status, headers = 200, []
    for line in head.decode().split("\r\n"):
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        elif key:
            headers.append((key, value.strip()))
    return status, headers, payload
