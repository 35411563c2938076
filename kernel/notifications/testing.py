"""Real servers for testing notifications (used by Linli's tests, its benchmark, and plugin
authors): an SMTP server (aiosmtpd, the ``test`` extra) and an HTTP server for the webhook, both
on a free local port in the caller's event loop, recording what arrived.

    async with MailSink() as mail:            # settings: smtp_host=mail.host, smtp_port=mail.port
        ...
        assert mail.messages[0]["To"] == "a@example.com"

    async with WebhookReceiver(statuses=[500, 200]) as hook:   # first answer 500, then 200
        ...
        assert hook.requests[-1].json()["body"]
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.sink.messages.append(msg)  # type: ignore[arg-type]
        self.sink.arrived.set()
        return "250 Message accepted for delivery"


class MailSink:
    """An aiosmtpd SMTP server on 127.0.0.1; ``messages`` are the parsed mails that arrived."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = {a.lower() for a in refuse}
        self.arrived = asyncio.Event()
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> MailSink:
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        handler = _Handler(self)
        self._server = await loop.create_server(lambda: SMTP(handler, hostname="linli.test"), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> MailSink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        async def until() -> None:
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), within)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A small HTTP/1.1 server on 127.0.0.1 answering each POST with the next of ``statuses``
    (the last one repeats); ``requests`` are what arrived."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[ReceivedRequest] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/sms"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(ReceivedRequest(method, path, headers, body))
                status = self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)]
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
