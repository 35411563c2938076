"""GraphQL of the notification service: a person's inbox (``myNotifications``, mark read,
unread count, the ``notificationReceived`` subscription), their preferences and quiet hours,
and the delivery log for staff (``notificationDeliveries``, permission
``notifications:read_log``)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import strawberry
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.errors import BadUserInput, Forbidden, NotFound
from kernel.graphql.ids import to_gid
from kernel.graphql.pagination import PageInfo, requested_page_size
from kernel.graphql.permissions import Allowed, Authenticated
from kernel.notifications import inbox
from kernel.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
)
from kernel.notifications.service import DEFAULT_TIMEZONE, registries
from kernel.notifications.templates import LOCALES
from kernel.outbox import OutboxMessage


def _me(info: strawberry.Info) -> uuid.UUID:
    actor = info.context.actor
    if actor is None or actor.kind != "account" or actor.account_id is None:
        raise Forbidden("only a person's login has an inbox and notification preferences")
    return actor.account_id  # type: ignore[no-any-return]


def _cursor(at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), str(row_id)]).encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        at, rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(rid)
    except Exception as exc:
        raise BadUserInput("the cursor is not valid; use a cursor from a previous page", argument="after") from exc


def _newest_first(model: type, after: tuple[datetime, uuid.UUID] | None):  # type: ignore[no-untyped-def]
    created, rid = model.created_at, model.id  # type: ignore[attr-defined]
    if after is None:
        return None
    return or_(created < after[0], and_(created == after[0], rid < after[1]))


@strawberry.type(description="A notification in the caller's inbox.")
class InboxNotification:
    id: strawberry.ID
    category: str
    template: str
    urgency: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @strawberry.field
    def read(self) -> bool:
        return self.read_at is not None

    @classmethod
    def of(cls, n: Notification) -> InboxNotification:
        return cls(
            id=strawberry.ID(str(to_gid("Notification", n.id))),
            category=n.category,
            template=n.template,
            urgency=n.urgency,
            subject=n.subject,
            body=n.body,
            created_at=n.created_at,
            read_at=n.read_at,
        )


@strawberry.type
class InboxEdge:
    cursor: str
    node: InboxNotification


@strawberry.type
class InboxConnection:
    edges: list[InboxEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[InboxNotification]:
        return [e.node for e in self.edges]


@strawberry.type(description="Whether the caller gets a category of notifications on a channel.")
class NotificationPreferenceEntry:
    category: str
    channel: str
    enabled: bool
    #: True when the person never chose: the channel's default applies.
    default: bool


@strawberry.type
class NotificationSettingsView:
    locale: str | None
    quiet_hours_start: str | None
    quiet_hours_end: str | None
    timezone: str


@strawberry.type(description="One notification on one channel, for staff: the delivery log.")
class NotificationDeliveryEntry:
    id: strawberry.ID
    notification_id: strawberry.ID
    channel: str
    status: str = strawberry.field(description="sent, pending, scheduled (quiet hours), retrying, skipped or failed")
    detail: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    not_before: datetime | None
    sent_at: datetime | None
    created_at: datetime
    template: str
    category: str
    urgency: str
    recipient_account_id: strawberry.ID | None
    #: Masked contact for a recipient without a login.
    recipient_contact: str | None


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: NotificationDeliveryEntry


@strawberry.type
class DeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: PageInfo


def effective_status(d: NotificationDelivery, message: OutboxMessage | None, now: datetime) -> str:
    if d.status != "pending":
        return d.status
    if message is not None and message.status == "dead":
        return "failed"
    if message is not None and message.attempts > 0:
        return "retrying"
    if d.not_before is not None and d.not_before > now:
        return "scheduled"
    return "pending"


def _hhmm(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        t = time.fromisoformat(value)
    except ValueError:
        raise BadUserInput("a time of day is HH:MM", field=field) from None
    return t.hour * 60 + t.minute


def _settings_view(s: NotificationSettings | None) -> NotificationSettingsView:
    if s is None:
        return NotificationSettingsView(locale=None, quiet_hours_start=None, quiet_hours_end=None, timezone=DEFAULT_TIMEZONE)
    return NotificationSettingsView(
        locale=s.locale, quiet_hours_start=_hhmm(s.quiet_start_minute), quiet_hours_end=_hhmm(s.quiet_end_minute), timezone=s.timezone
    )


async def _mine(session: AsyncSession, me: uuid.UUID, gid: strawberry.ID) -> Notification:
    from strawberry import relay

    from kernel.graphql.ids import decode_id

    try:
        nid = decode_id(relay.GlobalID.from_id(str(gid)), "Notification")
    except ValueError:
        raise BadUserInput("malformed notification id", field="id") from None
    n = await session.get(Notification, {"tenant_id": session.info["tenant_id"], "id": nid})
    if n is None or n.account_id != me or not n.in_inbox:
        raise NotFound("no such notification")
    return n


@strawberry.type
class NotificationsQuery:
    @strawberry.field(permission_classes=[Authenticated], description="The caller's inbox, newest first.")
    async def my_notifications(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> InboxConnection:
        me = _me(info)
        size = requested_page_size(info, first)
        stmt = select(Notification).where(Notification.account_id == me, Notification.in_inbox.is_(True))
        if unread_only:
            stmt = stmt.where(Notification.read_at.is_(None))
        cond = _newest_first(Notification, _after(after))
        if cond is not None:
            stmt = stmt.where(cond)
        rows = list((await info.context.db.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(size + 1))).all())
        edges = [InboxEdge(cursor=_cursor(n.created_at, n.id), node=InboxNotification.of(n)) for n in rows[:size]]
        return InboxConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(permission_classes=[Authenticated], description="How many notifications in the caller's inbox are unread.")
    async def unread_notification_count(self, info: strawberry.Info) -> int:
        me = _me(info)
        stmt = select(func.count()).select_from(Notification).where(
            Notification.account_id == me, Notification.in_inbox.is_(True), Notification.read_at.is_(None)
        )
        return int(await info.context.db.scalar(stmt) or 0)

    @strawberry.field(permission_classes=[Authenticated], description="The caller's choice per category and channel.")
    async def my_notification_preferences(self, info: strawberry.Info) -> list[NotificationPreferenceEntry]:
        me = _me(info)
        chosen = {
            (p.category, p.channel): p.enabled
            for p in await info.context.db.scalars(select(NotificationPreference).where(NotificationPreference.account_id == me))
        }
        out = []
        reg = registries(info.context.runtime)
        for category in reg.templates.categories():
            for channel in reg.channels.all():
                if channel.send is None:
                    continue
                found = chosen.get((category, channel.name))
                out.append(
                    NotificationPreferenceEntry(
                        category=category, channel=channel.name, enabled=channel.default_enabled if found is None else found, default=found is None
                    )
                )
        return out

    @strawberry.field(permission_classes=[Authenticated], description="The caller's locale and quiet hours.")
    async def my_notification_settings(self, info: strawberry.Info) -> NotificationSettingsView:
        me = _me(info)
        return _settings_view(await info.context.db.get(NotificationSettings, {"tenant_id": info.context.tenant.id, "account_id": me}))

    @strawberry.field(
        permission_classes=[Allowed("notifications", "read_log")],
        description="The delivery log: every notification per channel with status, attempts and last error, newest first.",
    )
    async def notification_deliveries(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        status: str | None = None,
        channel: str | None = None,
    ) -> DeliveryConnection:
        session: AsyncSession = info.context.db
        size = requested_page_size(info, first)
        stmt = (
            select(NotificationDelivery, Notification, OutboxMessage)
            .join(
                Notification,
                and_(Notification.tenant_id == NotificationDelivery.tenant_id, Notification.id == NotificationDelivery.notification_id),
            )
            .outerjoin(
                OutboxMessage,
                and_(OutboxMessage.tenant_id == NotificationDelivery.tenant_id, OutboxMessage.idempotency_key == NotificationDelivery.outbox_key),
            )
        )
        if channel is not None:
            stmt = stmt.where(NotificationDelivery.channel == channel)
        if status is not None:
            statuses = ("sent", "pending", "scheduled", "retrying", "skipped", "failed")
            if status not in statuses:
                raise BadUserInput(f"status is one of {', '.join(statuses)}", argument="status")
            stored = {"sent": ("sent",), "skipped": ("skipped",), "failed": ("failed", "pending")}.get(status, ("pending",))
            stmt = stmt.where(NotificationDelivery.status.in_(stored))
        cond = _newest_first(NotificationDelivery, _after(after))
        if cond is not None:
            stmt = stmt.where(cond)
        stmt = stmt.order_by(NotificationDelivery.created_at.desc(), NotificationDelivery.id.desc())
        now = utcnow()
        edges: list[DeliveryEdge] = []
        has_more = False
        # statuses computed from the outbox are filtered here, page by page
        offset = 0
        while len(edges) <= size:
            batch = (await session.execute(stmt.offset(offset).limit(size + 1))).all()
            offset += len(batch)
            for d, n, m in batch:
                effective = effective_status(d, m, now)
                if status is not None and effective != status:
                    continue
                if len(edges) == size:
                    has_more = True
                    break
                edges.append(DeliveryEdge(cursor=_cursor(d.created_at, d.id), node=_entry(d, n, m, effective)))
            if has_more or len(batch) <= size:
                break
        return DeliveryConnection(edges=edges, page_info=PageInfo(has_next_page=has_more, end_cursor=edges[-1].cursor if edges else None))


def _entry(d: NotificationDelivery, n: Notification, m: OutboxMessage | None, status: str) -> NotificationDeliveryEntry:
    return NotificationDeliveryEntry(
        id=strawberry.ID(str(to_gid("NotificationDelivery", d.id))),
        notification_id=strawberry.ID(str(to_gid("Notification", n.id))),
        channel=d.channel,
        status=status,
        detail=d.detail,
        attempts=m.attempts if m is not None else (1 if d.status == "sent" else 0),
        last_error=m.last_error if m is not None else None,
        next_attempt_at=m.next_attempt_at if m is not None and m.status == "pending" else None,
        not_before=d.not_before,
        sent_at=d.sent_at,
        created_at=d.created_at,
        template=n.template,
        category=n.category,
        urgency=n.urgency,
        recipient_account_id=strawberry.ID(str(to_gid("Account", n.account_id))) if n.account_id else None,
        recipient_contact=n.contact_hint,
    )


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(permission_classes=[Authenticated], description="Mark one notification of the caller's inbox read.")
    async def mark_notification_read(self, info: strawberry.Info, id: strawberry.ID) -> InboxNotification:
        n = await _mine(info.context.db, _me(info), id)
        if n.read_at is None:
            n.read_at = utcnow()
        return InboxNotification.of(n)

    @strawberry.mutation(permission_classes=[Authenticated], description="Mark every notification of the caller's inbox read; returns how many changed.")
    async def mark_all_notifications_read(self, info: strawberry.Info) -> int:
        me = _me(info)
        result = await info.context.db.execute(
            update(Notification)
            .where(Notification.account_id == me, Notification.in_inbox.is_(True), Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @strawberry.mutation(permission_classes=[Authenticated], description="Turn a category of notifications on or off for a channel.")
    async def set_notification_preference(self, info: strawberry.Info, category: str, channel: str, enabled: bool) -> NotificationPreferenceEntry:
        me = _me(info)
        reg = registries(info.context.runtime)
        if category not in reg.templates.categories():
            raise BadUserInput(f"no notification category {category!r}", field="category")
        found = reg.channels.get(channel)
        if found is None:
            raise BadUserInput(f"no notification channel {channel!r}", field="channel")
        if found.send is None:
            raise BadUserInput("the inbox keeps every notification; turn off the other channels instead", field="channel")
        session = info.context.db
        key = {"tenant_id": info.context.tenant.id, "account_id": me, "category": category, "channel": channel}
        pref = await session.get(NotificationPreference, key)
        if pref is None:
            session.add(NotificationPreference(account_id=me, category=category, channel=channel, enabled=enabled))
        else:
            pref.enabled = enabled
        return NotificationPreferenceEntry(category=category, channel=channel, enabled=enabled, default=False)

    @strawberry.mutation(
        permission_classes=[Authenticated],
        description="Set the caller's locale (zh-CN or en) and quiet hours (HH:MM to HH:MM, in the time zone; "
        "both empty: none). Every argument replaces the stored value; urgent notifications ignore quiet hours.",
    )
    async def set_notification_settings(
        self,
        info: strawberry.Info,
        locale: str | None = None,
        quiet_hours_start: str | None = None,
        quiet_hours_end: str | None = None,
        timezone: str | None = None,
    ) -> NotificationSettingsView:
        me = _me(info)
        if locale is not None and locale not in LOCALES:
            raise BadUserInput(f"locale is one of {', '.join(LOCALES)}", field="locale")
        start, end = _minutes(quiet_hours_start, "quietHoursStart"), _minutes(quiet_hours_end, "quietHoursEnd")
        if (start is None) != (end is None):
            raise BadUserInput("give both ends of the quiet hours, or neither", field="quietHoursEnd")
        tz = timezone or DEFAULT_TIMEZONE
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadUserInput(f"unknown time zone {tz!r}", field="timezone") from None
        session = info.context.db
        row = await session.get(NotificationSettings, {"tenant_id": info.context.tenant.id, "account_id": me})
        if row is None:
            row = NotificationSettings(account_id=me)
            session.add(row)
        row.locale, row.quiet_start_minute, row.quiet_end_minute, row.timezone = locale, start, end, tz
        return _settings_view(row)


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(
        permission_classes=[Authenticated],
        description="The caller's new inbox notifications as they commit (WebSocket, graphql-transport-ws).",
    )
    async def notification_received(self, info: strawberry.Info) -> AsyncGenerator[InboxNotification, None]:
        me = _me(info)
        ctx = info.context
        tenant_id = ctx.tenant.id
        mine = str(me)
        async with inbox.hub(ctx.runtime).subscribe(tenant_id) as queue:
            while True:
                signal = await queue.get()
                ids = [uuid.UUID(n) for a, n in signal.deliveries if a == mine]
                if not ids:
                    continue
                async with ctx.runtime.db.tenant(tenant_id) as s:
                    rows = list(
                        (await s.scalars(select(Notification).where(Notification.id.in_(ids), Notification.account_id == me).order_by(Notification.created_at))).all()
                    )
                for n in rows:
                    yield InboxNotification.of(n)
