"""``notify``: one call that reaches people, and the outbox deliverer behind it.

What :func:`notify` does, inside the caller's transaction (it flushes, never commits):

1. renders the template for every recipient in their locale (a missing placeholder fails first,
   before anything is written);
2. writes one ``notifications`` row per recipient not yet notified under ``key`` — for a login,
   that row is its inbox entry (the inbox's delivery: it needs no log row and no retry);
3. per channel the recipient can be reached on and wants (preferences per category and channel;
   quiet hours hold back channels other than the inbox; ``urgent`` ignores both), writes a
   delivery-log row and an outbox message, delayed to the end of the quiet hours if need be;
4. signals the inbox's live subscribers once the transaction commits.

The outbox worker then hands the messages to :func:`deliver_messages` in batches, at least
once; a channel that is down is retried with back-off by the outbox, and the request that called ``notify`` never waits for
a channel. Templates and channels are per runtime (its plugins'); a runtime registers itself
with :func:`install` when it is built, and ``notify`` finds it through the session's engine.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import mask_phone
from kernel.db.base import utcnow
from kernel.errors import BadUserInput
from kernel.notifications import inbox
from kernel.notifications.channels import INBOX as INBOX_CHANNEL
from kernel.notifications.channels import (
    ChannelRegistry,
    DeliveryRejected,
    NotificationChannel,
    OutgoingMessage,
)
from kernel.notifications.contacts import account_contacts
from kernel.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
)
from kernel.notifications.templates import LOCALES, TemplateError, TemplateRegistry
from kernel.outbox import OutboxMessage

log = structlog.get_logger("linli.notifications")

Urgency = Literal["low", "normal", "urgent"]
URGENCIES: tuple[str, ...] = get_args(Urgency)
TOPIC = "notification"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{5,20}$")


@dataclass(frozen=True)
class Recipient:
    """Whom to notify: a login of the tenant (inbox plus that person's channels), or a raw
    contact for someone without a login yet (an invitation, a claim code)."""

    account_id: uuid.UUID | None = None
    email: str | None = None
    phone: str | None = None
    locale: str = "zh-CN"

    def key(self) -> str:
        if self.account_id is not None:
            return f"account:{self.account_id}"
        contact = f"{(self.email or '').lower()}|{self.phone or ''}"
        return "contact:" + hashlib.sha256(contact.encode()).hexdigest()

    def hint(self) -> str | None:
        if self.account_id is not None:
            return None
        parts = []
        if self.email:
            name, _, domain = self.email.partition("@")
            parts.append(f"{name[:1]}***@{domain}")
        if self.phone:
            parts.append(mask_phone(self.phone) or "")
        return " ".join(parts)[:120]


# -- runtimes ------------------------------------------------------------------------------------


@dataclass
class Registries:
    """A runtime's templates and channels (the kernel's plus its plugins')."""

    templates: TemplateRegistry
    channels: ChannelRegistry


#: Without a runtime (a script's session): the kernel's templates, no channel but the inbox.
_BARE = Registries(TemplateRegistry(), ChannelRegistry())
_BARE.channels.add("kernel", [INBOX_CHANNEL])
_RUNTIMES: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
SERVICE = "notifications.registries"


def install(runtime: Any) -> Registries:
    """Register a runtime: collect its plugins' templates and channels, let its outbox worker
    deliver topic ``notification``, and let :func:`notify` on a session of its database find
    it (to use its registries, reach its live subscribers and wake its worker)."""
    found = runtime.services.get(SERVICE)
    if found is not None:
        return found  # type: ignore[no-any-return]
    reg = Registries(TemplateRegistry(), ChannelRegistry())
    for plugin, templates in runtime.host.notification_templates():
        reg.templates.add(plugin, templates or ())
    for plugin, channels in runtime.host.notification_channels():
        reg.channels.add(plugin, channels or ())
    runtime.services[SERVICE] = reg
    # one message per recipient and channel, independent of each other: delivered in batches
    runtime.outbox.batch_deliverers.setdefault(TOPIC, _batch_deliverer(runtime))
    _RUNTIMES[id(runtime.db.engine.sync_engine)] = runtime
    return reg


def registries(runtime: Any | None) -> Registries:
    if runtime is None:
        return _BARE
    found = runtime.services.get(SERVICE)
    return found if found is not None else install(runtime)


def runtime_for(session: AsyncSession) -> Any | None:
    bind = session.bind
    return _RUNTIMES.get(id(getattr(bind, "sync_engine", None))) if bind is not None else None


# -- notify --------------------------------------------------------------------------------------


def _recipients(recipients: Sequence[Recipient | uuid.UUID]) -> list[Recipient]:
    out: dict[str, Recipient] = {}
    for r in recipients:
        if isinstance(r, uuid.UUID):
            r = Recipient(account_id=r)
        if not isinstance(r, Recipient):
            raise BadUserInput("a recipient is a Recipient or an account id", field="recipients")
        if r.account_id is None and not (r.email or r.phone):
            raise BadUserInput("a recipient needs an account id, an e-mail address or a phone number", field="recipients")
        if r.email is not None and not _EMAIL.match(r.email):
            raise BadUserInput("that is not an e-mail address", field="email")
        if r.phone is not None and not _PHONE.match(r.phone):
            raise BadUserInput("a phone number is 5–20 digits, optionally after +", field="phone")
        if r.locale not in LOCALES:
            raise BadUserInput(f"locale is one of {', '.join(LOCALES)}", field="locale")
        out.setdefault(r.key(), r)
    return list(out.values())


def quiet_until(now: datetime, start: int | None, end: int | None, tz: str = DEFAULT_TIMEZONE) -> datetime | None:
    """The end of the quiet hours ``[start, end)`` (minutes after local midnight) if ``now``
    falls inside them, else ``None``. ``start > end`` wraps midnight."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(tz))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    until = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until.astimezone(UTC)


def _wants(channel: NotificationChannel, prefs: Mapping[str, bool], urgent: bool) -> bool:
    if urgent:
        return True
    return prefs.get(channel.name, channel.default_enabled)


async def notify(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    recipients: Sequence[Recipient | uuid.UUID],
    template: str,
    data: Mapping[str, Any],
    urgency: Urgency = "normal",
    key: str,
) -> None:
    """Notify ``recipients`` with ``template`` rendered from ``data``; delivered after commit.

    :param session: a session scoped to ``tenant_id``; flushed, never committed.
    :param recipients: logins (``Recipient(account_id=…)`` or a bare account id) and raw contacts.
    :param template: key of a registered :class:`NotificationTemplate`.
    :param data: JSON-able values for the template's placeholders.
    :param urgency: ``low``, ``normal`` or ``urgent`` (urgent ignores preferences and quiet hours).
    :param key: idempotency key of the cause (``notice:<id>:published``): a recipient is
        notified at most once per key, so an event handler that runs twice notifies once.
    :raises TemplateError: unknown template or missing placeholder (a programming error).
    :raises BadUserInput: a malformed recipient, urgency or key.
    """
    if urgency not in URGENCIES:
        raise BadUserInput(f"urgency is one of {', '.join(URGENCIES)}", field="urgency")
    if not key or len(key) > 160:
        raise BadUserInput("a notification key is 1–160 characters", field="key")
    runtime = runtime_for(session)
    reg = registries(runtime)
    tpl = reg.templates.get(template)
    values = dict(data)
    try:
        stored_data = {} if tpl.secret else json.loads(json.dumps(values, default=str))
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"notification data for {template!r} must be JSON-able: {exc}") from exc
    tpl.render("zh-CN", values)
    people = _recipients(recipients)
    if not people:
        return
    existing = set(
        (
            await session.scalars(
                select(Notification.recipient).where(Notification.key == key, Notification.recipient.in_([p.key() for p in people]))
            )
        ).all()
    )
    people = [p for p in people if p.key() not in existing]
    if not people:
        return
    account_ids = [p.account_id for p in people if p.account_id is not None]
    settings: dict[uuid.UUID, NotificationSettings] = {}
    prefs: dict[uuid.UUID, dict[str, bool]] = {}
    contacts = {}
    if account_ids:
        settings = {
            s.account_id: s
            for s in await session.scalars(select(NotificationSettings).where(NotificationSettings.account_id.in_(account_ids)))
        }
        for pref in await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.account_id.in_(account_ids), NotificationPreference.category == tpl.category
            )
        ):
            prefs.setdefault(pref.account_id, {})[pref.channel] = pref.enabled
        contacts = await account_contacts(session, account_ids)
    now = utcnow()
    urgent = urgency == "urgent"
    channels = reg.channels.all()
    # plain rows for one multi-row INSERT per table: a notice to a thousand residents is three
    # statements, not three thousand ORM objects
    notifications: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    live: list[tuple[uuid.UUID, uuid.UUID]] = []

    def delivery(notification_id: uuid.UUID, channel: str, outbox_key: str, not_before: datetime | None) -> None:
        deliveries.append({
            "tenant_id": tenant_id, "id": uuid.uuid4(), "notification_id": notification_id, "channel": channel, "status": "pending",
            "detail": None, "outbox_key": outbox_key, "not_before": not_before, "sent_at": None, "created_at": now,
        })

    for person in people:
        setting = settings.get(person.account_id) if person.account_id else None
        locale = setting.locale if setting is not None and setting.locale else person.locale
        subject, body = tpl.render(locale, values)
        nid = uuid.uuid4()
        in_inbox = person.account_id is not None and not tpl.secret
        notifications.append({
            "tenant_id": tenant_id, "id": nid, "recipient": person.key(), "account_id": person.account_id,
            "contact_hint": person.hint(), "key": key, "template": tpl.key, "category": tpl.category, "urgency": urgency,
            "locale": locale, "subject": "" if tpl.secret else subject, "body": "" if tpl.secret else body,
            "data": stored_data, "in_inbox": in_inbox, "read_at": None, "created_at": now,
        })
        if in_inbox:  # the row is the inbox delivery: no log row, nothing to retry
            live.append((person.account_id, nid))  # type: ignore[arg-type]
        quiet = (
            quiet_until(now, setting.quiet_start_minute, setting.quiet_end_minute, setting.timezone)
            if setting is not None and not urgent
            else None
        )
        for channel in channels:
            if channel.send is None:
                continue
            payload: dict[str, Any] = {"notification_id": str(nid), "channel": channel.name}
            if person.account_id is not None:
                if not _wants(channel, prefs.get(person.account_id, {}), urgent):
                    continue
                found = contacts.get(person.account_id)
                if channel.address != "account" and (found is None or not found.has(channel.address)):
                    continue
            else:
                address = person.email if channel.address == "email" else person.phone if channel.address == "phone" else None
                if address is None:
                    continue
                payload["address"] = address
            if tpl.secret:
                payload.update(subject=subject, body=body)
            not_before = quiet if channel.quiet_hours else None
            outbox_key = f"{TOPIC}:{nid}:{channel.name}"
            delivery(nid, channel.name, outbox_key, not_before)
            messages.append({
                "tenant_id": tenant_id, "id": uuid.uuid4(), "topic": TOPIC, "idempotency_key": outbox_key, "payload": payload,
                "status": "pending", "attempts": 0, "next_attempt_at": not_before or now, "delivered_at": None,
                "last_error": None, "created_at": now,
            })
    for model, rows in ((Notification, notifications), (NotificationDelivery, deliveries), (OutboxMessage, messages)):
        if rows:
            await session.execute(insert(model), rows)
    queued = len(messages)
    if runtime is not None:
        if live:
            await inbox.announce(runtime, session, tenant_id, live)
        if queued:
            runtime.poke_workers()


# -- delivery ------------------------------------------------------------------------------------


def _batch_deliverer(runtime: Any) -> Any:
    async def deliver(session: AsyncSession, messages: list[OutboxMessage]) -> dict[uuid.UUID, str | None]:
        return await deliver_messages(runtime, session, messages)

    return deliver


async def deliver_messages(runtime: Any, session: AsyncSession, messages: list[OutboxMessage]) -> dict[uuid.UUID, str | None]:
    """Send a batch of outbox messages (one per notification and channel) and log each outcome,
    in the worker's transaction: the notifications, their log rows and the logins' contacts are
    read in three queries, the sends run concurrently (``LINLI_NOTIFY_DELIVERY_CONCURRENCY``).

    Returns, per message, ``None`` (done: sent, skipped or rejected for good — see the log) or
    the error text of a channel that failed now (the outbox retries it with back-off)."""
    if not messages:
        return {}
    ids = {uuid.UUID(m.payload["notification_id"]) for m in messages}
    notes = {n.id: n for n in await session.scalars(select(Notification).where(Notification.id.in_(ids)))}
    logs = {
        (d.notification_id, d.channel): d
        for d in await session.scalars(select(NotificationDelivery).where(NotificationDelivery.notification_id.in_(ids)))
    }
    channels = registries(runtime).channels
    wanted = {
        n.account_id
        for m in messages
        if "address" not in m.payload
        and (n := notes.get(uuid.UUID(m.payload["notification_id"]))) is not None
        and n.account_id is not None
        and (c := channels.get(m.payload["channel"])) is not None
        and c.address != "account"
    }
    contacts = await account_contacts(session, wanted) if wanted else {}  # type: ignore[arg-type]
    gate = asyncio.Semaphore(max(1, runtime.settings.notify_delivery_concurrency))

    async def one(msg: OutboxMessage) -> str | None:
        payload = msg.payload
        n = notes.get(uuid.UUID(payload["notification_id"]))
        name = payload["channel"]
        d = logs.get((n.id, name)) if n is not None else None
        if n is None or d is None or d.status != "pending":
            return None  # delivered before a crash, or gone with its tenant: nothing to do
        channel = channels.get(name)
        if channel is None or channel.send is None:
            return f"LookupError: no notification channel {name!r} in this process"
        address = payload.get("address")
        if address is None and channel.address != "account" and n.account_id is not None:
            found = contacts.get(n.account_id)
            address = found.address(channel.address, runtime.vault, msg.tenant_id) if found else None
            if address is None:
                d.status, d.detail = "skipped", "no_address"
                return None
        message = OutgoingMessage(
            tenant_id=msg.tenant_id,
            notification_id=n.id,
            channel=name,
            template=n.template,
            category=n.category,
            urgency=n.urgency,
            locale=n.locale,
            subject=payload.get("subject", n.subject),
            body=payload.get("body", n.body),
            account_id=n.account_id,
            address=address,
            data=dict(n.data),
        )
        try:
            async with gate:
                await channel.send(runtime, message)
        except DeliveryRejected as exc:
            d.status, d.detail = "failed", str(exc)[:300]
            log.warning("notification_rejected", channel=name, notification_id=str(n.id), error=type(exc).__name__)
            return None
        except Exception as exc:
            log.warning("notification_channel_failed", channel=name, notification_id=str(n.id), error=type(exc).__name__)
            return f"{type(exc).__name__}: {exc}"[:1000]
        d.status, d.sent_at = "sent", utcnow()
        return None

    outcomes = await asyncio.gather(*(one(m) for m in messages))
    for msg, error in zip(messages, outcomes, strict=True):
        if error is None:
            _scrub(msg)
    return {m.id: e for m, e in zip(messages, outcomes, strict=True)}


def _scrub(msg: OutboxMessage) -> None:
    """Keep no contact or secret in a delivered message: only the ids remain."""
    msg.payload = {k: msg.payload[k] for k in ("notification_id", "channel") if k in msg.payload}
