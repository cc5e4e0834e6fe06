"""Writes the kubelet must not lose (final pod status, final delete), retried through API faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from sandbox.client.api import ApiError

log = logging.getLogger(__name__)
RETRYABLE = {409, 429, 500, 502, 503, 504}
FIRST_DELAY = 0.1
MAX_DELAY = 2.0


async def persist(
    write: Callable[[], Awaitable[object]], what: str, patient: Callable[[], bool]
) -> bool:
    """Run write until it succeeds; retry errors with capped backoff while patient() holds."""
    delay = FIRST_DELAY
    while True:
        try:
            await write()
            return True
        except ApiError as exc:
            if exc.status not in RETRYABLE:
                log.warning("%s not written: %s", what, exc)
                return False
            error: Exception = exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = exc
        if not patient():
            log.warning("%s not written: %s", what, error)
            return False
        log.debug("%s failed (%s); retrying in %.1fs", what, error, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY)
