"""E-mail and webhook delivery against real servers started by the test: an aiosmtpd SMTP
server and a local HTTP server (signature checked, 500 retried). A channel that is down loses
nothing and does not disturb the request that notified."""

from __future__ import annotations

import socket
import uuid

import pytest
from fixtures.notifications import LOG, PREF, code, firm, make_due, ok
from sqlalchemy import func, select

from kernel import sdk
from kernel.notifications import Notification
from kernel.notifications.testing import MailSink, WebhookReceiver
from kernel.notifications.webhook import verify
from kernel.outbox import OutboxMessage

SECRET = "whsec-" + "k" * 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _invite(runtime, tenant_id, recipient, key="invite:1") -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant_id) as s:
        await sdk.notify(
            s,
            tenant_id=tenant_id,
            recipients=[recipient],
            template="identity.invitation",
            data={"firm": "幸福物业", "code": "K7Q2-9XZ4", "link": "https://linli.test/join?c=K7Q2-9XZ4", "roles": "property_staff", "expires_at": "2026-12-10 09:00"},
            urgency="urgent",
            key=key,
        )


async def test_an_invitation_by_email_arrives_over_smtp_and_leaves_no_code_behind(make_runtime, gql_factory):
    async with MailSink(refuse=["nobody@example.com"]) as mail:
        runtime = make_runtime(smtp_host=mail.host, smtp_port=mail.port, smtp_from="幸福物业 <noreply@linli.test>")
        gql = gql_factory(runtime)
        f = await firm(runtime)
        await _invite(runtime, f.tenant_id, sdk.Recipient(email="li.lei@example.com", locale="en"))
        await _invite(runtime, f.tenant_id, sdk.Recipient(email="li.lei@example.com", locale="en"))  # same key: once
        await _invite(runtime, f.tenant_id, sdk.Recipient(email="nobody@example.com"), key="invite:2")
        await runtime.outbox.drain(f.tenant_id)
        await mail.wait_for(1)
        assert len(mail.messages) == 1
        m = mail.messages[0]
        assert m["To"] == "li.lei@example.com" and m["Subject"] == "幸福物业 invites you" and "noreply@linli.test" in m["From"]
        assert "Invitation code: K7Q2-9XZ4" in m.get_content() and m["Content-Language"] == "en"
        # the refused address is final: failed, not retried
        log = ok(await gql(LOG, token=f.admin_token))["notificationDeliveries"]["edges"]
        by_contact = {e["node"]["recipientContact"]: e["node"] for e in log}
        assert by_contact["l***@example.com"]["status"] == "sent"
        assert by_contact["n***@example.com"]["status"] == "failed" and "550" in by_contact["n***@example.com"]["detail"]
        # the code is nowhere in the database any more: not in the notification, not in the outbox
        async with runtime.db.tenant(f.tenant_id) as s:
            rows = (await s.scalars(select(Notification))).all()
            messages = (await s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notification"))).all()
        assert all(n.body == "" and n.subject == "" and n.data == {} and not n.in_inbox for n in rows)
        assert all("K7Q2" not in str(msg.payload) and "example.com" not in str(msg.payload) for msg in messages)
        assert all("example.com" not in (n.recipient or "") for n in rows)


async def test_smtp_down_is_retried_with_back_off_and_nothing_is_lost(make_runtime, gql_factory):
    port = _free_port()
    runtime = make_runtime(smtp_host="127.0.0.1", smtp_port=port)
    gql = gql_factory(runtime)
    f = await firm(runtime)
    # the request that notifies commits although no SMTP server listens
    await _invite(runtime, f.tenant_id, sdk.Recipient(email="wang@example.com"))
    await runtime.outbox.drain(f.tenant_id)
    entry = ok(await gql(LOG, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
    assert entry["status"] == "retrying" and entry["attempts"] == 1 and "unreachable" in entry["lastError"]
    async with runtime.db.tenant(f.tenant_id) as s:
        msg = await s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "notification"))
        assert msg is not None and msg.status == "pending" and msg.next_attempt_at > sdk.utcnow()
        assert "K7Q2-9XZ4" in msg.payload["body"]  # kept until it is delivered
    # the server comes up; the retry delivers
    mail = MailSink()
    mail.port = port
    async with mail:
        await make_due(runtime, f.tenant_id)
        await runtime.outbox.drain(f.tenant_id)
        assert [m["To"] for m in mail.messages] == ["wang@example.com"]
    entry = ok(await gql(LOG, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
    assert entry["status"] == "sent" and entry["attempts"] == 2


async def test_webhook_is_signed_retried_on_500_and_reaches_the_phone_of_the_linked_person(make_runtime, gql_factory):
    async with WebhookReceiver(statuses=[500, 200, 400]) as hook:
        runtime = make_runtime(notify_webhook_url=hook.url, notify_webhook_secret=SECRET)
        gql = gql_factory(runtime)
        f = await firm(runtime, owner_phone="13912345678")
        async with runtime.db.tenant(f.tenant_id) as s:
            await sdk.notify(
                s, tenant_id=f.tenant_id, recipients=[f.owner_id], template="identity.password_reset", data={"code": "482913", "minutes": 10}, urgency="urgent", key="reset:1"
            )
        await runtime.outbox.drain(f.tenant_id)
        entry = ok(await gql(LOG, {"c": "webhook"}, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
        assert (entry["status"], entry["attempts"], entry["lastError"]) == ("retrying", 1, "ChannelUnavailable: webhook answered 500")
        await make_due(runtime, f.tenant_id)
        await runtime.outbox.drain(f.tenant_id)
        assert len(hook.requests) == 2
        for request in hook.requests:
            h = request.headers
            assert verify(SECRET, h["x-linli-timestamp"], request.body, h["x-linli-signature"])
            assert not verify("another-secret", h["x-linli-timestamp"], request.body, h["x-linli-signature"])
            assert not verify(SECRET, h["x-linli-timestamp"], request.body + b" ", h["x-linli-signature"])
        assert hook.requests[0].headers["x-linli-notification"] == hook.requests[1].headers["x-linli-notification"]
        sms = hook.requests[1].json()
        assert sms["to"] == {"phone": "13912345678", "account_id": str(f.owner_id)}
        assert "482913" in sms["body"] and sms["template"] == "identity.password_reset" and sms["urgency"] == "urgent"
        entry = ok(await gql(LOG, {"c": "webhook"}, token=f.admin_token))["notificationDeliveries"]["edges"][0]["node"]
        assert (entry["status"], entry["attempts"]) == ("sent", 2)
        # the secret was never in the inbox; its e-mail was skipped (no address), not queued
        assert ok(await gql("{ unreadNotificationCount }", token=f.owner_token))["unreadNotificationCount"] == 0
        # a 4xx answer is final
        async with runtime.db.tenant(f.tenant_id) as s:
            await sdk.notify(
                s, tenant_id=f.tenant_id, recipients=[sdk.Recipient(phone="13700000000")], template="identity.verification_code",
                data={"code": "111111", "minutes": 5, "purpose": "claim"}, urgency="urgent", key="verify:1",
            )
        await runtime.outbox.drain(f.tenant_id)
        failed = ok(await gql(LOG, {"s": "failed"}, token=f.admin_token))["notificationDeliveries"]["edges"]
        assert [(e["node"]["channel"], e["node"]["detail"], e["node"]["recipientContact"]) for e in failed] == [
            ("webhook", "webhook answered 400", "137****0000")
        ]


async def test_a_login_without_contacts_gets_only_the_inbox_and_opting_in_without_an_address_queues_nothing(make_runtime, gql_factory):
    runtime = make_runtime(notify_webhook_url="http://127.0.0.1:9/x", notify_webhook_secret=SECRET)
    gql = gql_factory(runtime)
    f = await firm(runtime, owner_phone=None)
    ok(await gql(PREF, {"c": "security", "ch": "webhook", "e": True}, token=f.owner_token))
    async with runtime.db.tenant(f.tenant_id) as s:
        await sdk.notify(s, tenant_id=f.tenant_id, recipients=[f.owner_id], template="identity.password_reset", data={"code": "1", "minutes": 1}, key="r")
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "notification")) == 0


async def test_unconfigured_channels_fail_visibly_instead_of_retrying_forever(make_runtime, gql_factory):
    runtime = make_runtime()
    gql = gql_factory(runtime)
    f = await firm(runtime)
    await _invite(runtime, f.tenant_id, sdk.Recipient(email="a@example.com", phone="13800000000"), key=f"i:{uuid.uuid4()}")
    await runtime.outbox.drain(f.tenant_id)
    failed = ok(await gql(LOG, {"s": "failed"}, token=f.admin_token))["notificationDeliveries"]["edges"]
    details = sorted(e["node"]["detail"] for e in failed)
    assert details == [
        "e-mail is not configured (set LINLI_SMTP_HOST)",
        "the notification webhook is not configured (LINLI_NOTIFY_WEBHOOK_URL and _SECRET)",
    ]
    assert code(await gql(LOG, {"s": "lost"}, token=f.admin_token)) == "BAD_USER_INPUT"


def test_signature_rejects_old_timestamps():
    from kernel.notifications.webhook import signature

    body = b'{"a":1}'
    sig = signature(SECRET, "1000", body)
    assert verify(SECRET, "1000", body, sig, now=1200)
    assert not verify(SECRET, "1000", body, sig, now=2000)
    assert not verify(SECRET, "abc", body, sig)
    assert pytest.approx(0) == 0
