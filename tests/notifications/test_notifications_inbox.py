"""The notification service's inbox, idempotency, templates, preferences, quiet hours and bad
input, through ``sdk.notify`` and GraphQL, on SQLite and PostgreSQL (application role, RLS)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from fixtures.notifications import (
    INBOX,
    LOG,
    MARK,
    MARK_ALL,
    PREF,
    SETTINGS,
    UNREAD,
    code,
    firm,
    ok,
)
from sqlalchemy import func, select

from kernel import sdk
from kernel.db.base import utcnow
from kernel.errors import BadUserInput
from kernel.notifications import Notification, NotificationDelivery, TemplateError, quiet_until
from kernel.outbox import OutboxMessage

NOTICE = sdk.NotificationTemplate(
    key="tests.notice",
    category="tests",
    subject={"zh-CN": "通知：{title}", "en": "Notice: {title}"},
    body={"zh-CN": "{title}，请留意。", "en": "{title}, please note."},
)


def _templates_plugin(*channels: sdk.NotificationChannel) -> ModuleType:
    mod = ModuleType("notify_test_templates")
    mod.MANIFEST = sdk.PluginManifest(name="notify_test_templates", version="0", sdk_api=sdk.SDK_API_VERSION, default_enabled=True)  # type: ignore[attr-defined]

    @sdk.hookimpl
    def register_notification_templates() -> list[sdk.NotificationTemplate]:
        return [NOTICE]

    @sdk.hookimpl
    def register_notification_channels() -> list[sdk.NotificationChannel]:
        return list(channels)

    mod.register_notification_templates = register_notification_templates  # type: ignore[attr-defined]
    mod.register_notification_channels = register_notification_channels  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def runtime(make_runtime):  # type: ignore[no-untyped-def]
    return make_runtime(extra_plugins=[_templates_plugin()])


async def _notify(runtime, tenant_id, recipients, key, *, title="停水", urgency="normal", template="tests.notice") -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant_id) as s:
        await sdk.notify(s, tenant_id=tenant_id, recipients=recipients, template=template, data={"title": title}, urgency=urgency, key=key)


async def test_inbox_lists_reads_and_counts_and_notify_is_idempotent_per_recipient_and_key(runtime, gql_factory):
    gql = gql_factory(runtime)
    f = await firm(runtime)
    await _notify(runtime, f.tenant_id, [f.owner_id, sdk.Recipient(account_id=f.other_id, locale="en")], "n:1")
    # the same cause again (an event handler run twice), and a duplicate in one call: no new rows
    await _notify(runtime, f.tenant_id, [f.owner_id, f.owner_id], "n:1", title="改了")
    await _notify(runtime, f.tenant_id, [f.owner_id], "n:2", title="停电")

    mine = ok(await gql(INBOX, {"f": 10}, token=f.owner_token))["myNotifications"]
    assert [e["node"]["subject"] for e in mine["edges"]] == ["通知：停电", "通知：停水"]
    assert mine["edges"][1]["node"]["body"] == "停水，请留意。" and mine["edges"][1]["node"]["category"] == "tests"
    theirs = ok(await gql(INBOX, {"f": 10}, token=f.other_token))["myNotifications"]["edges"]
    assert [e["node"]["subject"] for e in theirs] == ["Notice: 停水"]  # the recipient's locale
    # pages, newest first
    page = ok(await gql(INBOX, {"f": 1}, token=f.owner_token))["myNotifications"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = ok(await gql(INBOX, {"f": 1, "a": page["pageInfo"]["endCursor"]}, token=f.owner_token))["myNotifications"]
    assert [e["node"]["subject"] for e in rest["edges"]] == ["通知：停水"] and rest["pageInfo"]["hasNextPage"] is False

    assert ok(await gql(UNREAD, token=f.owner_token))["unreadNotificationCount"] == 2
    first = mine["edges"][0]["node"]["id"]
    assert ok(await gql(MARK, {"id": first}, token=f.owner_token))["markNotificationRead"]["read"] is True
    assert ok(await gql(UNREAD, token=f.owner_token))["unreadNotificationCount"] == 1
    assert [e["node"]["subject"] for e in ok(await gql(INBOX, {"u": True}, token=f.owner_token))["myNotifications"]["edges"]] == ["通知：停水"]
    # someone else's notification: exactly like an unknown one
    assert code(await gql(MARK, {"id": first}, token=f.other_token)) == "NOT_FOUND"
    assert code(await gql(MARK, {"id": "bm9wZQ=="}, token=f.other_token)) == "BAD_USER_INPUT"
    assert ok(await gql(MARK_ALL, token=f.owner_token))["markAllNotificationsRead"] == 1
    assert ok(await gql(UNREAD, token=f.owner_token))["unreadNotificationCount"] == 0
    assert ok(await gql(UNREAD, token=f.other_token))["unreadNotificationCount"] == 1

    async with runtime.db.tenant(f.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 3
        inbox_log = (await s.scalars(select(NotificationDelivery.status).where(NotificationDelivery.channel == "inbox"))).all()
    assert inbox_log == ["sent"] * 3


async def test_another_tenant_sees_nothing_of_this_tenants_inbox(runtime, gql_factory):
    gql = gql_factory(runtime)
    a, b = await firm(runtime), await firm(runtime)
    await _notify(runtime, a.tenant_id, [a.owner_id], "n:iso")
    nid = ok(await gql(INBOX, token=a.owner_token))["myNotifications"]["edges"][0]["node"]["id"]
    assert ok(await gql(INBOX, token=b.owner_token))["myNotifications"]["edges"] == []
    assert code(await gql(MARK, {"id": nid}, token=b.owner_token)) == "NOT_FOUND"
    assert code(await gql(MARK, {"id": nid}, token=b.admin_token)) == "NOT_FOUND"
    # a's admin sees a's delivery log, b's admin sees nothing of it
    assert ok(await gql(LOG, token=a.admin_token))["notificationDeliveries"]["edges"]
    assert ok(await gql(LOG, token=b.admin_token))["notificationDeliveries"]["edges"] == []
    # a's notification to one of b's account ids stays in a (b's login never sees it)
    await _notify(runtime, a.tenant_id, [b.owner_id], "n:foreign")
    assert ok(await gql(INBOX, token=b.owner_token))["myNotifications"]["edges"] == []


async def test_bad_input_is_refused_before_anything_is_written(runtime, gql_factory):
    gql = gql_factory(runtime)
    f = await firm(runtime)
    tid = f.tenant_id
    with pytest.raises(TemplateError, match="no notification template"):
        await _notify(runtime, tid, [f.owner_id], "k", template="tests.nope")
    async with runtime.db.tenant(tid) as s:
        with pytest.raises(TemplateError, match="needs data for title"):
            await sdk.notify(s, tenant_id=tid, recipients=[f.owner_id], template="tests.notice", data={}, key="k")
    for recipient, message in (
        (sdk.Recipient(), "needs an account id"),
        (sdk.Recipient(email="not-an-address"), "e-mail"),
        (sdk.Recipient(phone="12ab"), "phone"),
        (sdk.Recipient(account_id=f.owner_id, locale="fr"), "locale"),
    ):
        with pytest.raises(BadUserInput, match=message):
            await _notify(runtime, tid, [recipient], "k")
    with pytest.raises(BadUserInput, match="urgency"):
        await _notify(runtime, tid, [f.owner_id], "k", urgency="critical")
    with pytest.raises(BadUserInput, match="key"):
        await _notify(runtime, tid, [f.owner_id], "")
    async with runtime.db.tenant(tid) as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "notification")) == 0

    # GraphQL: coded errors
    assert code(await gql(PREF, {"c": "nope", "ch": "email", "e": False}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(PREF, {"c": "tests", "ch": "pigeon", "e": False}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(PREF, {"c": "tests", "ch": "inbox", "e": False}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(SETTINGS, {"s": "25:00", "e": "07:00"}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(SETTINGS, {"s": "22:00"}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(SETTINGS, {"tz": "Mars/Olympus"}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(SETTINGS, {"l": "fr"}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(INBOX, {"a": "garbage"}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(INBOX, {"f": 100000}, token=f.owner_token)) == "BAD_USER_INPUT"
    assert code(await gql(UNREAD)) == "UNAUTHENTICATED"
    # the delivery log is for staff
    assert code(await gql(LOG, token=f.owner_token)) == "FORBIDDEN"


def _window_around_now(tz: str = "Asia/Shanghai") -> tuple[str, str]:
    local = utcnow().astimezone(ZoneInfo(tz))
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    return start, end


async def test_preferences_and_quiet_hours_hold_back_other_channels_but_not_the_inbox_nor_urgent(runtime, gql_factory):
    gql = gql_factory(runtime)
    f = await firm(runtime)
    # the SMS webhook is opt-in: nothing but the inbox by default
    await _notify(runtime, f.tenant_id, [f.owner_id], "q:0")
    prefs = ok(await gql("{ myNotificationPreferences { category channel enabled default } }", token=f.owner_token))["myNotificationPreferences"]
    assert {"category": "tests", "channel": "webhook", "enabled": False, "default": True} in prefs
    assert {"category": "tests", "channel": "email", "enabled": True, "default": True} in prefs
    ok(await gql(PREF, {"c": "tests", "ch": "webhook", "e": True}, token=f.owner_token))
    start, end = _window_around_now()
    s = ok(await gql(SETTINGS, {"s": start, "e": end}, token=f.owner_token))["setNotificationSettings"]
    assert s == {"locale": None, "quietHoursStart": start, "quietHoursEnd": end, "timezone": "Asia/Shanghai"}
    await _notify(runtime, f.tenant_id, [f.owner_id], "q:1")
    await _notify(runtime, f.tenant_id, [f.owner_id], "q:2", urgency="urgent")
    log = ok(await gql(LOG, {"c": "webhook"}, token=f.admin_token))["notificationDeliveries"]["edges"]
    by_urgency = {e["node"]["urgency"]: e["node"] for e in log}
    assert set(by_urgency) == {"normal", "urgent"}  # q:0 was not queued for the webhook at all
    assert by_urgency["normal"]["status"] == "scheduled" and by_urgency["normal"]["notBefore"]
    assert by_urgency["urgent"]["status"] == "pending" and by_urgency["urgent"]["notBefore"] is None
    async with runtime.db.tenant(f.tenant_id) as s:
        due = dict(
            (await s.execute(select(OutboxMessage.idempotency_key, OutboxMessage.next_attempt_at).where(OutboxMessage.topic == "notification"))).all()
        )
    assert len(due) == 2
    assert sorted(due.values())[1] - utcnow() > timedelta(minutes=50)
    # the inbox got all three at once
    assert ok(await gql(UNREAD, token=f.owner_token))["unreadNotificationCount"] == 3

    # turning the webhook off again: a normal notification skips it, an urgent one does not
    ok(await gql(PREF, {"c": "tests", "ch": "webhook", "e": False}, token=f.owner_token))
    ok(await gql(SETTINGS, {}, token=f.owner_token))  # no quiet hours
    await _notify(runtime, f.tenant_id, [f.owner_id], "q:3")
    await _notify(runtime, f.tenant_id, [f.owner_id], "q:4", urgency="urgent")
    log = ok(await gql(LOG, {"c": "webhook"}, token=f.admin_token))["notificationDeliveries"]["edges"]
    assert len(log) == 3


def test_quiet_until_wraps_midnight_and_is_none_outside():
    from datetime import datetime

    tz = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 12, 7, 23, 30, tzinfo=tz)
    assert quiet_until(at, 22 * 60, 7 * 60) == datetime(2026, 12, 8, 7, 0, tzinfo=tz)
    assert quiet_until(datetime(2026, 12, 8, 6, 59, tzinfo=tz), 22 * 60, 7 * 60) == datetime(2026, 12, 8, 7, 0, tzinfo=tz)
    assert quiet_until(datetime(2026, 12, 8, 7, 0, tzinfo=tz), 22 * 60, 7 * 60) is None
    assert quiet_until(datetime(2026, 12, 8, 13, 0, tzinfo=tz), 12 * 60, 14 * 60) == datetime(2026, 12, 8, 14, 0, tzinfo=tz)
    assert quiet_until(at, None, None) is None


async def test_hook_register_notification_templates(runtime, gql_factory):
    """A plugin's template renders in each recipient's locale; two plugins cannot define one key
    differently."""
    from kernel.notifications.templates import TemplateRegistry

    gql = gql_factory(runtime)
    f = await firm(runtime)
    ok(await gql(SETTINGS, {"l": "en"}, token=f.owner_token))
    await _notify(runtime, f.tenant_id, [f.owner_id, f.other_id], "t:1", title="Lift")
    assert ok(await gql(INBOX, token=f.owner_token))["myNotifications"]["edges"][0]["node"]["subject"] == "Notice: Lift"
    assert ok(await gql(INBOX, token=f.other_token))["myNotifications"]["edges"][0]["node"]["subject"] == "通知：Lift"
    registry = TemplateRegistry()
    registry.add("a", [NOTICE])
    registry.add("a", [NOTICE])  # the same definition again (a second runtime) is fine
    clash = sdk.NotificationTemplate(key="tests.notice", category="x", subject=NOTICE.subject, body=NOTICE.body)
    with pytest.raises(TemplateError, match="defined by both 'a' and 'b'"):
        registry.add("b", [clash])
    with pytest.raises(TemplateError, match="lacks the locale"):
        sdk.NotificationTemplate(key="x", category="x", subject={"zh-CN": "只有中文"}, body={"zh-CN": "只有中文"})


async def test_hook_register_notification_channels(make_runtime, gql_factory):
    """A plugin's channel gets every notification after commit, through the outbox; raising
    ChannelUnavailable is retried, DeliveryRejected is final."""
    sent: list[sdk.OutgoingMessage] = []
    answers: list[Exception | None] = [sdk.ChannelUnavailable("pager network down"), None]

    async def page(runtime, message: sdk.OutgoingMessage) -> None:  # type: ignore[no-untyped-def]
        answer = answers.pop(0) if answers else sdk.DeliveryRejected("pager number unknown")
        if answer is not None:
            raise answer
        sent.append(message)

    pager = sdk.NotificationChannel(name="pager", address="account", send=page, quiet_hours=False)
    runtime = make_runtime(extra_plugins=[_templates_plugin(pager)])
    gql = gql_factory(runtime)
    f = await firm(runtime)
    await _notify(runtime, f.tenant_id, [f.owner_id], "p:1", title="水管爆裂")
    await runtime.outbox.drain(f.tenant_id)
    assert sent == []
    entry = ok(await gql(LOG, {"c": "pager"}, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
    assert (entry["status"], entry["attempts"]) == ("retrying", 1) and "pager network down" in entry["lastError"]
    from fixtures.notifications import make_due

    await make_due(runtime, f.tenant_id)
    await runtime.outbox.drain(f.tenant_id)
    assert [(m.subject, m.account_id, m.channel) for m in sent] == [("通知：水管爆裂", f.owner_id, "pager")]
    entry = ok(await gql(LOG, {"c": "pager"}, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
    assert (entry["status"], entry["attempts"]) == ("sent", 2) and entry["sentAt"]
    await _notify(runtime, f.tenant_id, [f.owner_id], "p:2")
    await runtime.outbox.drain(f.tenant_id)
    failed = ok(await gql(LOG, {"s": "failed"}, token=f.admin_token))["notificationDeliveries"]["edges"]
    assert [(e["node"]["channel"], e["node"]["detail"]) for e in failed] == [("pager", "pager number unknown")]


async def test_subscription_streams_the_callers_new_notifications_only(runtime, gql_factory):
    from types import SimpleNamespace

    from gateway.context import close_context, open_context
    from kernel.notifications import inbox

    gql = gql_factory(runtime)
    f = await firm(runtime)
    contexts = []
    query = "subscription { notificationReceived { subject urgency read } }"
    streams = []
    for token in (f.owner_token, f.other_token):
        request = SimpleNamespace(headers={"authorization": f"Bearer {token}"}, client=None)
        contexts.append(await open_context(runtime, request, "sub"))
        streams.append(await gql.app.state.schema.subscribe(query, context_value=contexts[-1]))
    mine, theirs = (asyncio.ensure_future(s.__anext__()) for s in streams)
    for _ in range(400):
        if len(inbox.hub(runtime)._subscribers.get(f.tenant_id, {})) == 2:
            break
        await asyncio.sleep(0.025)
    # a transaction that rolls back signals nothing
    with pytest.raises(RuntimeError):
        async with runtime.db.tenant(f.tenant_id) as s:
            await sdk.notify(s, tenant_id=f.tenant_id, recipients=[f.owner_id], template="tests.notice", data={"title": "回滚"}, key="s:0")
            raise RuntimeError("rolled back")
    await _notify(runtime, f.tenant_id, [f.owner_id], "s:1", title="电梯维保", urgency="urgent")
    got = await asyncio.wait_for(mine, 5)
    assert not got.errors, got.errors
    assert got.data["notificationReceived"] == {"subject": "通知：电梯维保", "urgency": "urgent", "read": False}
    await asyncio.sleep(0.2)
    assert not theirs.done()
    theirs.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await theirs
    for s in streams:
        await s.aclose()
    for ctx in contexts:
        await close_context(ctx)


async def test_unknown_ids_are_never_in_anyones_inbox(runtime, gql_factory):
    gql = gql_factory(runtime)
    f = await firm(runtime)
    await _notify(runtime, f.tenant_id, [uuid.uuid4()], "ghost")
    assert ok(await gql(INBOX, token=f.owner_token))["myNotifications"]["edges"] == []
