"""The e-mail channel: plain-text UTF-8 mail over SMTP (``LINLI_SMTP_*``).

A few connections per process (``LINLI_NOTIFY_DELIVERY_CONCURRENCY``, as many as deliveries run
at once) are kept open and reused: a fan-out of a thousand mails does not open a thousand
connections; a dropped one is reopened. A 5xx answer to the
recipient or the message is final (:class:`DeliveryRejected`: a bad address never gets
better); anything else — connection refused, timeouts, 4xx — is :class:`ChannelUnavailable` and
retried by the outbox. The ``Message-ID`` carries the notification id, so a mail sent twice
after a crash is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

import aiosmtplib

from kernel.notifications.channels import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    OutgoingMessage,
)

SERVICE = "notifications.smtp"


class SmtpSender:
    """A small pool of SMTP connections (as many as deliveries run at once), each reused for
    many messages and reopened when the server dropped it."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.size = max(1, int(getattr(settings, "notify_delivery_concurrency", 1)))
        self._idle: list[aiosmtplib.SMTP] = []
        self._gate = asyncio.Semaphore(self.size)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds, start_tls=s.smtp_starttls, use_tls=False
        )
        await client.connect()
        if s.smtp_username:
            await client.login(s.smtp_username, s.smtp_password)
        return client

    async def send(self, mail: Mail) -> None:
        if not self.settings.smtp_host:
            raise DeliveryRejected("e-mail is not configured (set LINLI_SMTP_HOST)")
        async with self._gate:
            client = self._idle.pop() if self._idle else None
            for attempt in (1, 2):
                try:
                    if client is None or not client.is_connected:
                        client = await self._connect()
                    await client.sendmail(mail.sender, [mail.recipient], mail.data)
                    self._idle.append(client)
                    return
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    await _drop(client)  # a fresh connection for the next message, whatever state this one is in
                    if any(r.code >= 500 for r in exc.recipients):
                        raise DeliveryRejected(f"recipient refused: {exc.recipients[0].code}") from exc
                    raise ChannelUnavailable(f"recipient deferred: {exc.recipients[0].code}") from exc
                except aiosmtplib.SMTPResponseException as exc:
                    await _drop(client)
                    if exc.code >= 500:
                        raise DeliveryRejected(f"SMTP {exc.code}") from exc
                    raise ChannelUnavailable(f"SMTP {exc.code}") from exc
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    await _drop(client)
                    client = None
                    if attempt == 2:
                        raise ChannelUnavailable(f"SMTP server unreachable: {type(exc).__name__}") from exc

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await _drop(client)


async def _drop(client: aiosmtplib.SMTP | None) -> None:
    if client is None or not client.is_connected:
        return
    try:
        await client.quit()
    except Exception:
        client.close()


def sender(runtime: Any) -> SmtpSender:
    found = runtime.services.get(SERVICE)
    if found is None:
        found = runtime.services[SERVICE] = SmtpSender(runtime.settings)
    return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Mail:
    """A composed message: envelope sender and recipient, and the RFC 5322 bytes."""

    sender: str
    recipient: str
    data: bytes


def _one_line(text: str) -> str:
    # a subject comes from template data (a notice's title): never let it add a header
    return " ".join(text.splitlines())


def compose(settings: Any, message: OutgoingMessage) -> Mail:
    """Plain-text UTF-8 mail (base64 body, RFC 2047 subject and sender name). Built on the
    ``compat32`` classes: the ``EmailMessage`` header registry cost more CPU per mail than the
    SMTP conversation (bench/notify_fanout.py)."""
    name, address = parseaddr(settings.smtp_from)
    mail = MIMEText(message.body, "plain", "utf-8")
    mail["From"] = formataddr((name, address), charset="utf-8")
    mail["To"] = message.address or ""
    mail["Subject"] = Header(_one_line(message.subject), "utf-8").encode()
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{message.notification_id}@linli>"
    mail["Content-Language"] = message.locale
    mail["X-Linli-Notification"] = str(message.notification_id)
    return Mail(sender=address, recipient=message.address or "", data=mail.as_bytes())


async def send_email(runtime: Any, message: OutgoingMessage) -> None:
    await sender(runtime).send(compose(runtime.settings, message))


EMAIL = NotificationChannel(
    name="email",
    address="email",
    send=send_email,
    description="E-mail over SMTP (LINLI_SMTP_HOST, _PORT, _USERNAME, _PASSWORD, _FROM, _STARTTLS)",
)
