"""The signed webhook channel: a JSON POST for an SMS or WeChat gateway to turn into a message.

Settings ``LINLI_NOTIFY_WEBHOOK_URL`` and ``LINLI_NOTIFY_WEBHOOK_SECRET``. Each request carries

* ``X-Linli-Timestamp``: Unix seconds when it was signed;
* ``X-Linli-Signature: sha256=<hex>``: HMAC-SHA256 with the secret over
  ``<timestamp>.<raw body>`` — the receiver recomputes it, compares in constant time and refuses
  a timestamp older than a few minutes (replay);
* ``X-Linli-Notification``: the notification id, the same on every retry (idempotency key).

A 2xx answer is delivered; 5xx, 408, 429 and connection errors are retried by the outbox with
back-off (:class:`ChannelUnavailable`); any other answer is final (:class:`DeliveryRejected`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from kernel.notifications.channels import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    OutgoingMessage,
)

SERVICE = "notifications.webhook_http"
RETRYABLE = {408, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``timestamp + "." + body``)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str, *, max_age_seconds: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        age = (now or time.time()) - int(timestamp)
    except ValueError:
        return False
    return abs(age) <= max_age_seconds and hmac.compare_digest(signature(secret, timestamp, body), header)


def body_of(message: OutgoingMessage) -> bytes:
    return json.dumps(
        {
            "id": str(message.notification_id),
            "tenant_id": str(message.tenant_id),
            "to": {"phone": message.address, "account_id": str(message.account_id) if message.account_id else None},
            "template": message.template,
            "category": message.category,
            "urgency": message.urgency,
            "locale": message.locale,
            "subject": message.subject,
            "body": message.body,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def _client(runtime: Any) -> httpx.AsyncClient:
    found = runtime.services.get(SERVICE)
    if found is None:
        found = runtime.services[SERVICE] = httpx.AsyncClient(timeout=runtime.settings.notify_webhook_timeout_seconds)
    return found  # type: ignore[no-any-return]


async def send_webhook(runtime: Any, message: OutgoingMessage) -> None:
    s = runtime.settings
    if not s.notify_webhook_url or not s.notify_webhook_secret:
        raise DeliveryRejected("the notification webhook is not configured (LINLI_NOTIFY_WEBHOOK_URL and _SECRET)")
    body = body_of(message)
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/json; charset=utf-8",
        "x-linli-timestamp": ts,
        "x-linli-signature": signature(s.notify_webhook_secret, ts, body),
        "x-linli-notification": str(message.notification_id),
    }
    try:
        response = await _client(runtime).post(s.notify_webhook_url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ChannelUnavailable(f"webhook unreachable: {type(exc).__name__}") from exc
    if 200 <= response.status_code < 300:
        return
    if response.status_code >= 500 or response.status_code in RETRYABLE:
        raise ChannelUnavailable(f"webhook answered {response.status_code}")
    raise DeliveryRejected(f"webhook answered {response.status_code}")


async def close(runtime: Any) -> None:
    client = runtime.services.pop(SERVICE, None)
    if client is not None:
        await client.aclose()


WEBHOOK = NotificationChannel(
    name="webhook",
    address="phone",
    send=send_webhook,
    description="Signed JSON POST to an SMS/WeChat gateway (LINLI_NOTIFY_WEBHOOK_URL, _SECRET)",
    # a text message costs money and wakes people: opt-in per category, except urgent ones
    default_enabled=False,
)
