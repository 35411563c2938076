"""Consent records: purposes declared by a plugin, a person's grants and revocations through
GraphQL (time, actor, wording version), ``require_consent``, the ``consent.revoked`` event,
staff reads, tenant isolation and coded errors."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from fixtures.notifications import code, firm, ok

from kernel import sdk

FACE = sdk.ConsentPurpose(
    key="tests.face", description="刷脸开门：采集并保存您的人脸特征", categories=("biometric_reference",), sensitive=True, wording_version="2"
)
HEARD: list[tuple[str, dict[str, Any]]] = []

PURPOSES = "{ consentPurposes { key description categories sensitive wordingVersion } }"
MINE = "{ myConsents { purpose granted wordingVersion grantedAt revokedAt } }"
GRANT = "mutation($p: String!, $v: String!) { grantConsent(purpose: $p, wordingVersion: $v) { purpose granted wordingVersion grantedAt } }"
REVOKE = "mutation($p: String!) { revokeConsent(purpose: $p) { purpose granted revokedAt } }"
STAFF = "query($id: ID!) { personConsents(personId: $id) { purpose granted wordingVersion } }"
HISTORY = "query($id: ID!) { personConsentHistory(personId: $id) { purpose action wordingVersion actor at } }"


def _plugin() -> ModuleType:
    mod = ModuleType("consent_test_plugin")
    mod.MANIFEST = sdk.PluginManifest(name="consent_test_plugin", version="0", sdk_api=sdk.SDK_API_VERSION, default_enabled=True)  # type: ignore[attr-defined]  # core is reserved (sdk)

    @sdk.hookimpl
    def register_consent_purposes() -> list[sdk.ConsentPurpose]:
        return [FACE]

    async def on_revoked(ctx: Any, event: sdk.Event) -> None:
        HEARD.append((event.type, event.payload))

    @sdk.hookimpl
    def register_event_handlers() -> dict[str, Any]:
        return {"consent.revoked": on_revoked}

    mod.register_consent_purposes = register_consent_purposes  # type: ignore[attr-defined]
    mod.register_event_handlers = register_event_handlers  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def runtime(make_runtime):  # type: ignore[no-untyped-def]
    return make_runtime(extra_plugins=[_plugin()])


async def test_hook_register_consent_purposes(runtime, gql_factory):
    """A declared purpose is listed, granted, checked, revoked (heard by plugins), and every step
    is recorded with time, actor and wording version."""
    gql = gql_factory(runtime)
    f = await firm(runtime)
    HEARD.clear()
    assert {"key": "tests.face", "description": FACE.description, "categories": ["biometric_reference"], "sensitive": True, "wordingVersion": "2"} in ok(
        await gql(PURPOSES, token=f.owner_token)
    )["consentPurposes"]
    assert {"purpose": "tests.face", "granted": False, "wordingVersion": None, "grantedAt": None, "revokedAt": None} in ok(
        await gql(MINE, token=f.owner_token)
    )["myConsents"]
    async with runtime.db.tenant(f.tenant_id) as s:
        with pytest.raises(sdk.Forbidden) as refused:
            await sdk.require_consent(s, f.owner_person_id, "tests.face")
    assert refused.value.details["reason"] == "consent_required"

    # the wording shown must be the current one
    r = await gql(GRANT, {"p": "tests.face", "v": "1"}, token=f.owner_token)
    assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["current"] == "2"
    assert code(await gql(GRANT, {"p": "tests.nope", "v": "1"}, token=f.owner_token)) == "BAD_USER_INPUT"
    g = ok(await gql(GRANT, {"p": "tests.face", "v": "2"}, token=f.owner_token))["grantConsent"]
    assert g["granted"] is True and g["wordingVersion"] == "2" and g["grantedAt"]
    ok(await gql(GRANT, {"p": "tests.face", "v": "2"}, token=f.owner_token))  # again: nothing new recorded
    async with runtime.db.tenant(f.tenant_id) as s:
        await sdk.require_consent(s, f.owner_person_id, "tests.face")

    rv = ok(await gql(REVOKE, {"p": "tests.face"}, token=f.owner_token))["revokeConsent"]
    assert rv["granted"] is False and rv["revokedAt"]
    assert code(await gql(REVOKE, {"p": "tests.face"}, token=f.owner_token)) == "NOT_FOUND"
    async with runtime.db.tenant(f.tenant_id) as s:
        with pytest.raises(sdk.Forbidden):
            await sdk.require_consent(s, f.owner_person_id, "tests.face")
    await runtime.outbox.drain(f.tenant_id)
    assert HEARD == [("consent.revoked", {"person_id": str(f.owner_person_id), "purpose": "tests.face"})]

    # staff read the state and the history; the owner may not read anyone's
    pid = str(f.owner_person_id)
    assert {"purpose": "tests.face", "granted": False, "wordingVersion": "2"} in ok(await gql(STAFF, {"id": pid}, token=f.admin_token))["personConsents"]
    history = ok(await gql(HISTORY, {"id": pid}, token=f.admin_token))["personConsentHistory"]
    assert [(h["action"], h["wordingVersion"], h["actor"]) for h in history] == [
        ("granted", "2", f"account:{f.owner_id}"),
        ("revoked", "2", f"account:{f.owner_id}"),
    ]
    assert history[0]["at"] <= history[1]["at"]
    assert code(await gql(STAFF, {"id": pid}, token=f.owner_token)) == "FORBIDDEN"


async def test_consent_bad_input_and_tenant_isolation(runtime, gql_factory):
    gql = gql_factory(runtime)
    a, b = await firm(runtime), await firm(runtime)
    # a login without a register person has no consents to give
    assert code(await gql(MINE, token=a.other_token)) == "NOT_FOUND"
    assert code(await gql(GRANT, {"p": "tests.face", "v": "2"}, token=a.other_token)) == "NOT_FOUND"
    # another tenant's person answers like an unknown one
    ok(await gql(GRANT, {"p": "tests.face", "v": "2"}, token=a.owner_token))
    for pid in (str(a.owner_person_id), str(uuid.uuid4())):
        assert code(await gql(STAFF, {"id": pid}, token=b.admin_token)) == "NOT_FOUND"
        assert code(await gql(HISTORY, {"id": pid}, token=b.admin_token)) == "NOT_FOUND"
    assert code(await gql(STAFF, {"id": "not-a-uuid"}, token=a.admin_token)) == "BAD_USER_INPUT"
    async with runtime.db.tenant(b.tenant_id) as s:
        with pytest.raises(sdk.Forbidden):
            await sdk.require_consent(s, a.owner_person_id, "tests.face")
        with pytest.raises(sdk.NotFound):
            await sdk.grant_consent(s, person_id=a.owner_person_id, purpose="tests.face", actor="test", wording_version="2")
