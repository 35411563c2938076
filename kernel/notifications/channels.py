"""Notification channels: how a notification leaves the platform.

A channel is contributed through ``register_notification_channels``. It names the address it
needs (``account`` — the login itself, ``email`` or ``phone``) and an ``async send(runtime,
message)``. Sending happens in the outbox worker after the notifying transaction committed, at
least once: a channel that raises :class:`ChannelUnavailable` (or anything else) is retried with
back-off; one that raises :class:`DeliveryRejected` is recorded as failed and not retried (the
address is wrong, the gateway refused the message for good). A repeated send of the same
``message.notification_id`` can happen after a crash: pass it on as an idempotency key when the
far side supports one (the webhook channel sends it as ``X-Linli-Notification``).

The in-app inbox is the built-in channel without ``send``: the notification row written in the
caller's transaction *is* its delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

AddressKind = Literal["account", "email", "phone"]


class ChannelUnavailable(RuntimeError):
    """The channel could not deliver now (server down, 5xx, timeout): try again later."""


class DeliveryRejected(RuntimeError):
    """The channel will never deliver this message (bad address, 4xx): record it as failed."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification on its way through one channel."""

    tenant_id: uuid.UUID
    notification_id: uuid.UUID
    channel: str
    template: str
    category: str
    urgency: str
    locale: str
    subject: str
    body: str
    #: The login it is for, if any.
    account_id: uuid.UUID | None
    #: The e-mail address or phone number the channel needs (``None`` for ``account`` channels).
    address: str | None
    #: The template's data (empty for templates marked ``secret``).
    data: dict[str, Any]


Sender = Callable[[Any, OutgoingMessage], Awaitable[None]]


@dataclass(frozen=True)
class NotificationChannel:
    """A way to reach a person.

    :param name: stable key (``email``, ``webhook``, ``wechat``) used in preferences and the log.
    :param address: what it needs: ``account`` (the login), ``email`` or ``phone``.
    :param send: ``async send(runtime, message)``; ``None`` only for the built-in inbox.
    :param default_enabled: whether a person who set no preference for a category gets it
        (an SMS gateway that costs money per message would say ``False``: opt-in).
    :param quiet_hours: whether a person's quiet hours delay it (urgent messages ignore them).
    """

    name: str
    address: AddressKind
    send: Sender | None
    description: str = ""
    default_enabled: bool = True
    quiet_hours: bool = True


class ChannelRegistry:
    def __init__(self) -> None:
        self._by_name: dict[str, tuple[str, NotificationChannel]] = {}

    def add(self, owner: str, channels: Iterable[NotificationChannel]) -> None:
        for c in channels:
            if not isinstance(c, NotificationChannel):
                raise TypeError(f"{owner}: register_notification_channels must return NotificationChannel objects")
            found = self._by_name.get(c.name)
            if found is not None and found[1] != c:
                raise ValueError(f"notification channel {c.name!r} is defined by both {found[0]!r} and {owner!r}")
            self._by_name[c.name] = (owner, c)

    def get(self, name: str) -> NotificationChannel | None:
        found = self._by_name.get(name)
        return found[1] if found else None

    def all(self) -> list[NotificationChannel]:
        return [c for _, c in self._by_name.values()]


#: The built-in in-app inbox: its delivery is the notification row itself, written in the
#: notifying transaction (no outbox, no quiet hours); shown by ``myNotifications``.
INBOX = NotificationChannel(
    name="inbox",
    address="account",
    send=None,
    description="The in-app inbox (myNotifications, notificationReceived)",
    quiet_hours=False,
)
