"""Notifications on rollback and failure: a webhook (JSON POST) and/or an e-mail over SMTP.

The channels come from a Secret named by NOTIFY_SECRET in the operator's namespace, read at send
time so a rotated Secret is picked up. Keys: `webhook-url`; `smtp-host`, `smtp-port` (587),
`smtp-username`, `smtp-password`, `smtp-from`, `smtp-to` (comma-separated), `smtp-starttls`
("true" unless "false"). Values never reach logs, events or exceptions.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import aiohttp

from gitops.metrics import NOTIFICATIONS

log = logging.getLogger(__name__)


class NotifyError(Exception):
    """A channel is misconfigured or refused the message (the text holds no secret)."""


@dataclass(frozen=True)
class Notification:
    """What happened to which Release, as a subject line, a text and flat fields."""

    subject: str
    text: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Smtp:
    """Where and how to send e-mail."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True


@dataclass(frozen=True)
class Channels:
    """The configured channels (either may be absent)."""

    webhook_url: str | None = field(default=None, repr=False)
    smtp: Smtp | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, str]) -> Channels:
        """Build from decoded Secret data; NotifyError names bad keys, never their values."""
        url = data.get("webhook-url", "").strip() or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise NotifyError("key webhook-url must start with http:// or https://")
        host = data.get("smtp-host", "").strip()
        if not host:
            return cls(url, None)
        missing = [k for k in ("smtp-from", "smtp-to") if not data.get(k, "").strip()]
        if missing:
            raise NotifyError(f"smtp-host is set but {', '.join(missing)} missing")
        port = data.get("smtp-port", "587").strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise NotifyError("key smtp-port must be a port number such as 587")
        smtp = Smtp(
            host=host,
            port=int(port),
            sender=data["smtp-from"].strip(),
            recipients=tuple(r.strip() for r in data["smtp-to"].split(",") if r.strip()),
            username=data.get("smtp-username", "").strip(),
            password=data.get("smtp-password", ""),
            starttls=data.get("smtp-starttls", "true").strip().lower() != "false",
        )
        return cls(url, smtp)


def decode_secret(secret: Mapping[str, Any]) -> dict[str, str]:
    """The Secret's data, base64-decoded (stringData is honoured too)."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise NotifyError(f"key {key} of the notification Secret is not base64 text") from None
    out.update(secret.get("stringData") or {})
    return out


async def send_webhook(url: str, note: Notification, timeout: float) -> None:
    """POST the notification as JSON; raise NotifyError on a non-2xx answer or no answer."""
    payload = {"subject": note.subject, "text": note.text, **note.fields}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(url, json=payload) as response,
        ):
            if response.status >= 300:
                raise NotifyError(f"webhook answered HTTP {response.status}")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise NotifyError(f"webhook unreachable ({type(error).__name__})") from None


def send_mail(smtp: Smtp, note: Notification, timeout: float) -> None:
    """Send the notification as a plain-text e-mail; raise NotifyError when refused."""
    message = EmailMessage()
    message["Subject"] = note.subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    lines = [note.text, "", *(f"{k}: {v}" for k, v in note.fields.items())]
    message.set_content("\n".join(lines))
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except smtplib.SMTPResponseException as error:
        raise NotifyError(f"SMTP server refused the message (code {error.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as error:
        raise NotifyError(f"SMTP delivery failed ({type(error).__name__})") from None


class SecretReader(Protocol):
    """The one API call notifications need (gitops.kube.Kube satisfies it)."""

    async def get(self, path: str) -> dict[str, Any] | None:
        """The object at path, or None."""


async def _deliver(channels: Channels, note: Notification, timeout: float) -> list[str]:
    """Send on every configured channel; return one problem line per failed channel."""
    problems = []
    if channels.webhook_url:
        try:
            await send_webhook(channels.webhook_url, note, timeout)
            NOTIFICATIONS.labels("webhook", "sent").inc()
        except NotifyError as error:
            NOTIFICATIONS.labels("webhook", "failed").inc()
            problems.append(str(error))
    if channels.smtp:
        try:
            await asyncio.to_thread(send_mail, channels.smtp, note, timeout)
            NOTIFICATIONS.labels("smtp", "sent").inc()
        except NotifyError as error:
            NOTIFICATIONS.labels("smtp", "failed").inc()
            problems.append(str(error))
    return problems


async def notify(
    kube: SecretReader, secret_path: str | None, note: Notification, timeout: float
) -> list[str]:
    """Deliver a notification; never raises: problems are logged and returned."""
    if not secret_path:
        return []
    try:
        secret = await kube.get(secret_path)
        if secret is None:
            raise NotifyError("the notification Secret does not exist")
        problems = await _deliver(Channels.from_data(decode_secret(secret)), note, timeout)
    except NotifyError as error:
        problems = [str(error)]
    for problem in problems:
        log.warning("Notification not delivered: %s", problem)
    return problems
