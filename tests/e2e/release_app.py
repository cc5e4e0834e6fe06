"""The app and the notification sink over HTTP, for the Release e2e tests."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from base64 import b64encode
from typing import Any

from support.webhook import Webhook as Webhook


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, body) of a GET."""
    return http("GET", url, None, headers)


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """(status, body) of one request; HTTP errors are answers, not exceptions."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def basic(user: str, password: str) -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + b64encode(f"{user}:{password}".encode()).decode()}


def answers(url: str) -> bool:
    """True when url answers 200."""
    try:
        return http_get(url)[0] == 200
    except OSError:
        return False


def version_of(url: str) -> dict[str, Any] | None:
    """The JSON of the app's /version, or None while nothing serves it."""
    try:
        code, body = http_get(f"{url}/version")
    except OSError:
        return None
    return json.loads(body) if code == 200 else None


PASSWORD = "correct-horse-battery"


def seed_users(url: str, count: int = 3) -> list[str]:
    """Register accounts through the app's API (rows that must survive every release)."""
    users = [f"cook{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
    for user in users:
        body = {"username": user, "email": f"{user}@example.org", "password": PASSWORD}
        code, text = http("POST", f"{url}/api/v1/users", body)
        assert code == 201, text
    return users


def users_present(url: str, users: list[str]) -> bool:
    """True when every account can still get a token (its row is in the database)."""
    return all(
        http("POST", f"{url}/api/v1/tokens", {}, basic(user, PASSWORD))[0] == 201 for user in users
    )


class Poller:
    """A client polling one URL throughout a release, as a user would: every answer it got
    (status and body) and every request that failed to get one."""

    def __init__(self, url: str, interval: float = 0.05) -> None:
        self.url, self.interval = url, interval
        self.answers: list[tuple[int, str]] = []
        self.failures: list[str] = []
        self.samples: list[tuple[float, bool]] = []  # (monotonic time, answered 200)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                answer = http_get(self.url)
            except OSError as error:
                self.failures.append(f"{type(error).__name__}: {error}")
                self.samples.append((started, False))
            else:
                self.answers.append(answer)
                self.samples.append((started, answer[0] == 200))
            self._stop.wait(self.interval)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def statuses(self) -> set[int]:
        """The HTTP statuses it got."""
        return {status for status, _ in self.answers}

    def failed(self) -> int:
        """Requests that got no 200."""
        return sum(1 for _, ok in self.samples if not ok)

    def downtime(self) -> float:
        """Seconds from each failed request to the next one that got a 200, summed."""
        down, since = 0.0, None
        for moment, ok in self.samples:
            if not ok and since is None:
                since = moment
            elif ok and since is not None:
                down, since = down + moment - since, None
        if since is not None:
            down += self.samples[-1][0] - since
        return down
