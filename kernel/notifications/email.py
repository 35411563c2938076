"""The e-mail channel: plain-text UTF-8 mail over SMTP (``LINLI_SMTP_*``).

One connection per process is kept open and reused (a fan-out of a thousand mails does not open
a thousand connections); it is reopened after the server drops it. A 5xx answer to the
recipient or the message is final (:class:`DeliveryRejected`: a bad address never gets
better); anything else — connection refused, timeouts, 4xx — is :class:`ChannelUnavailable` and
retried by the outbox. The ``Message-ID`` carries the notification id, so a mail sent twice
after a crash is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
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
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds, start_tls=s.smtp_starttls, use_tls=False
        )
        await client.connect()
        if s.smtp_username:
            await client.login(s.smtp_username, s.smtp_password)
        return client

    async def send(self, mail: EmailMessage) -> None:
        if not self.settings.smtp_host:
            raise DeliveryRejected("e-mail is not configured (set LINLI_SMTP_HOST)")
        async with self._lock:
            for attempt in (1, 2):
                try:
                    if self._client is None or not self._client.is_connected:
                        self._client = await self._connect()
                    errors, _ = await self._client.send_message(mail)
                    return
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    if any(r.code >= 500 for r in exc.recipients):
                        raise DeliveryRejected(f"recipient refused: {exc.recipients[0].code}") from exc
                    raise ChannelUnavailable(f"recipient deferred: {exc.recipients[0].code}") from exc
                except aiosmtplib.SMTPResponseException as exc:
                    if exc.code >= 500:
                        raise DeliveryRejected(f"SMTP {exc.code}") from exc
                    raise ChannelUnavailable(f"SMTP {exc.code}") from exc
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    await self.close()
                    if attempt == 2:
                        raise ChannelUnavailable(f"SMTP server unreachable: {type(exc).__name__}") from exc

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()


def sender(runtime: Any) -> SmtpSender:
    found = runtime.services.get(SERVICE)
    if found is None:
        found = runtime.services[SERVICE] = SmtpSender(runtime.settings)
    return found  # type: ignore[no-any-return]


def compose(settings: Any, message: OutgoingMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = message.address or ""
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=str(message.notification_id), domain="linli")
    mail["X-Linli-Notification"] = str(message.notification_id)
    mail.set_content(message.body)
    mail["Content-Language"] = message.locale  # after set_content, which resets Content-* headers
    return mail


async def send_email(runtime: Any, message: OutgoingMessage) -> None:
    await sender(runtime).send(compose(runtime.settings, message))


EMAIL = NotificationChannel(
    name="email",
    address="email",
    send=send_email,
    description="E-mail over SMTP (LINLI_SMTP_HOST, _PORT, _USERNAME, _PASSWORD, _FROM, _STARTTLS)",
)
