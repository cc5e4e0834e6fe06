"""Notifications reach a real local HTTP server and a real local SMTP server; secrets stay out."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from gitops.notify import (
    Channels,
    Notification,
    NotifyError,
    decode_secret,
    notify,
    send_mail,
    send_webhook,
)
from support.canary import CANARIES
from support.reliability import bad_input

NOTE = Notification(
    subject="shop rolled back",
    text="ghcr.io/o/app:2 never became ready; serving ghcr.io/o/app:1 again",
    fields={"release": "web/shop", "phase": "RolledBack"},
)
TOKEN = CANARIES["notify-token"]
SMTP_PASSWORD = CANARIES["notify-password"]


class Webhook(BaseHTTPRequestHandler):
    """Records each POSTed JSON body; answers with the server's configured status."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.received.append((self.path, json.loads(self.rfile.read(length))))  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def webhook() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    server.received = []  # type: ignore[attr-defined]
    server.status = 204  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server: HTTPServer) -> str:
    """The webhook URL, with a token in its path as real webhook URLs have."""
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"


class SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        envelope: dict[str, Any] = {"rcpt": []}
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(line.split()[-1]).split(b"\0")
                ok = (user, password) == (b"ops", SMTP_PASSWORD.encode())
                self.reply("235 ok" if ok else "535 authentication failed")
            elif verb == "MAIL":
                envelope["from"] = line
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["rcpt"].append(line)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = []
                while (chunk := self.rfile.readline().decode()) != ".\r\n":
                    data.append(chunk)
                envelope["data"] = "".join(data)
                self.server.messages.append(envelope)  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSession)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def smtp_data(server: socketserver.TCPServer, **extra: str) -> dict[str, str]:
    """Secret data pointing at the local SMTP server."""
    return {
        "smtp-host": "127.0.0.1",
        "smtp-port": str(server.server_address[1]),
        "smtp-from": "operator@example.org",
        "smtp-to": "me@example.org, you@example.org",
        "smtp-starttls": "false",
        **extra,
    }


def test_webhook_receives_the_notification_as_json(webhook: HTTPServer) -> None:
    asyncio.run(send_webhook(url_of(webhook), NOTE, timeout=5))
    ((path, payload),) = webhook.received  # type: ignore[attr-defined]
    assert path == f"/hooks/{TOKEN}"
    assert payload == {"subject": NOTE.subject, "text": NOTE.text, **NOTE.fields}


def test_webhook_error_names_the_status_but_not_the_url(webhook: HTTPServer) -> None:
    webhook.status = 500  # type: ignore[attr-defined]
    with pytest.raises(NotifyError) as caught:
        asyncio.run(send_webhook(url_of(webhook), NOTE, timeout=5))
    assert "HTTP 500" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_unreachable_webhook_is_a_clear_error(webhook: HTTPServer) -> None:
    url = url_of(webhook)
    webhook.shutdown()
    webhook.server_close()
    with pytest.raises(NotifyError, match="unreachable") as caught:
        asyncio.run(send_webhook(url, NOTE, timeout=5))
    assert TOKEN not in str(caught.value)


def test_mail_is_delivered_to_every_recipient(smtp_server: socketserver.TCPServer) -> None:
    channels = Channels.from_data(
        smtp_data(smtp_server, **{"smtp-username": "ops", "smtp-password": SMTP_PASSWORD})
    )
    assert channels.smtp is not None
    send_mail(channels.smtp, NOTE, timeout=5)
    (message,) = smtp_server.messages  # type: ignore[attr-defined]
    assert len(message["rcpt"]) == 2
    assert "Subject: shop rolled back" in message["data"]
    assert "phase: RolledBack" in message["data"]


def test_refused_login_reports_the_code_not_the_password(
    smtp_server: socketserver.TCPServer,
) -> None:
    data = smtp_data(smtp_server, **{"smtp-username": "ops", "smtp-password": "wrong-pw"})
    smtp = Channels.from_data(data).smtp
    assert smtp is not None
    with pytest.raises(NotifyError, match="code 535") as caught:
        send_mail(smtp, NOTE, timeout=5)
    assert "wrong-pw" not in str(caught.value)
    assert "wrong-pw" not in repr(smtp)
    assert smtp_server.messages == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"webhook-url": "ftp://x"}, "webhook-url must start with http"),
        ({"smtp-host": "mail", "smtp-to": "a@b"}, "smtp-from missing"),
        (
            {"smtp-host": "mail", "smtp-from": "a@b", "smtp-to": "a@b", "smtp-port": "x"},
            "smtp-port",
        ),
    ],
)
def test_bad_secret_data_names_the_key(data: dict[str, str], problem: str) -> None:
    with pytest.raises(NotifyError, match=problem):
        Channels.from_data(data)


def test_secret_values_are_base64_decoded() -> None:
    secret = {"data": {"webhook-url": base64.b64encode(b"https://h/x").decode()}}
    assert decode_secret(secret) == {"webhook-url": "https://h/x"}
    with pytest.raises(NotifyError, match="webhook-url"):
        decode_secret({"data": {"webhook-url": "%%%"}})


class SecretStore:
    """Stands in for the API's Secret read (the API itself is exercised by the e2e tests)."""

    def __init__(self, secrets: dict[str, dict[str, Any]]) -> None:
        self.secrets = secrets

    async def get(self, path: str) -> dict[str, Any] | None:
        return self.secrets.get(path)


def encoded(data: dict[str, str]) -> dict[str, Any]:
    """A Secret object holding data."""
    return {"data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def test_notify_sends_on_both_channels(
    webhook: HTTPServer, smtp_server: socketserver.TCPServer
) -> None:
    store = SecretStore({"/s": encoded({"webhook-url": url_of(webhook), **smtp_data(smtp_server)})})
    assert asyncio.run(notify(store, "/s", NOTE, timeout=5)) == []
    assert len(webhook.received) == 1  # type: ignore[attr-defined]
    assert len(smtp_server.messages) == 1  # type: ignore[attr-defined]


def test_notify_logs_failures_without_secrets(
    webhook: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.status = 503  # type: ignore[attr-defined]
    store = SecretStore({"/s": encoded({"webhook-url": url_of(webhook)})})
    with caplog.at_level(logging.WARNING):
        problems = asyncio.run(notify(store, "/s", NOTE, timeout=5))
    assert problems == ["webhook answered HTTP 503"]
    assert "HTTP 503" in caplog.text
    assert TOKEN not in caplog.text


def test_notify_without_a_configured_or_existing_secret() -> None:
    assert asyncio.run(notify(SecretStore({}), None, NOTE, timeout=5)) == []
    problems = asyncio.run(notify(SecretStore({}), "/missing", NOTE, timeout=5))
    assert problems == ["the notification Secret does not exist"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"smtp-host": "mail", "smtp-to": "a@b"}, "smtp-from missing"),
        (
            {"smtp-host": "mail", "smtp-from": "a@b", "smtp-to": "a@b", "smtp-port": "x"},
            "smtp-port",
        ),
    ],
    ids=["no-smtp-from", "smtp-port-not-a-number"],
)
def test_a_secret_missing_a_key_is_named_and_nothing_is_sent(
    webhook: HTTPServer, data: dict[str, str], said: str
) -> None:
    store = SecretStore({"/s": encoded({"webhook-url": url_of(webhook), **data})})
    problems = asyncio.run(notify(store, "/s", NOTE, timeout=5))
    sent = webhook.received  # type: ignore[attr-defined]
    given = f"a Secret with webhook-url and only {', '.join(sorted(data))}"
    bad_input("notification Secret", given, "; ".join(problems), unchanged=sent == [])
    assert len(problems) == 1
    assert said in problems[0]
    assert sent == []
