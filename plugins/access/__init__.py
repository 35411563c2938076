"""Access control and visitors (门禁、访客): access points, who may pass where, cards, rotating
QR codes and face references (with separate biometric consent), decisions asked by readers or
reported as telemetry, anti-passback, a blacklist, visitor and courier passes, remote opening,
and access records kept for a configurable time. See docs/access.md."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
    WebPage,
    hookimpl,
)
from kernel.sdk.jobs import for_each_enabled_tenant
from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="access",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Access points, credentials (card, rotating QR, face reference), decisions, visitor passes",
)

RETENTION_INTERVAL_SECONDS = 3600.0

PERMISSIONS = (
    Permission("access", "read", "See every access point, pass and access record of the firm"),
    Permission(
        "access", "manage", "Set up points, grants, cards, the blacklist, staff passes, retention"
    ),
    Permission(
        "access", "use", "Own QR code, own records, visitor passes, remote opening, own face"
    ),
)
STAFF = ("tenant_admin", "property_staff")
GRANTS = (
    *(Grant(r, "access", "read") for r in (*STAFF, "auditor")),
    *(Grant(r, "access", "manage") for r in STAFF),
    *(
        Grant(r, "access", "use")
        for r in (
            "owner",
            "resident",
            "property_staff",
            "technician",
            "grid_worker",
            "tenant_admin",
        )
    ),
)


@hookimpl
def register_models() -> list[type]:
    from plugins.access import models as m

    return [
        m.AccessPoint,
        m.AccessGrant,
        m.AccessCredential,
        m.VisitorPass,
        m.BlacklistEntry,
        m.AccessRecord,
        m.UsedCode,
        m.AccessSettings,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.access.graphql import AccessMutation, AccessQuery
    from plugins.access.types import AccessCredential, AccessPoint, VisitorPass

    return GraphQLContribution(
        query=(AccessQuery,),
        mutation=(AccessMutation,),
        types=(AccessPoint, AccessCredential, VisitorPass),  # Relay nodes (``node(id:)``)
    )


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_routes() -> list[Any]:
    from plugins.access.device_api import router

    return [router]


@hookimpl
def register_device_profiles() -> list[Any]:
    from plugins.access.profile import ACCESS_READER

    return [ACCESS_READER]


@hookimpl
def register_consent_purposes() -> list[Any]:
    from kernel.sdk.consent import (
        ConsentPurpose,
    )  # loads SQLAlchemy: not at import (`linli --help`)

    return [
        ConsentPurpose(
            key="access.face_recognition",
            description="刷脸通行：由门禁厂商保存您的人脸特征，本平台只保存厂商的引用编号，仅用于本小区门禁 "
            "(face access: the vendor keeps your face template; Linli keeps only its reference)",
            categories=("biometric_reference",),
            sensitive=True,
            wording_version="1",
            title_zh="刷脸通行",
            title_en="Face access",
        )
    ]


async def _on_consent_revoked(ctx: Any, event: Any) -> None:
    from plugins.access.service import on_consent_revoked

    if isinstance(event.payload, dict):
        await on_consent_revoked(ctx.runtime, ctx.session, ctx.tenant_id, event.payload)


async def _on_credential_disabled(ctx: Any, event: Any) -> None:
    from plugins.access.service import tell_readers

    if isinstance(event.payload, dict) and event.payload.get("kind") == "face":
        await tell_readers(
            ctx.runtime, ctx.tenant_id, uuid.UUID(str(event.payload["credential_id"]))
        )


async def _on_telemetry_event(ctx: Any, event: Any) -> None:
    from plugins.access.telemetry import on_scan_reported

    if isinstance(event.payload, dict):
        await on_scan_reported(ctx.runtime, ctx.session, ctx.tenant_id, event.payload)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {
        "consent.revoked": _on_consent_revoked,
        "device.telemetry_event": _on_telemetry_event,
        "access.credential_disabled": _on_credential_disabled,
    }


async def purge_all(runtime: Runtime, *, now: Any = None) -> int:
    """The retention job: delete access records past each tenant's retention (and seal any plate
    still stored in clear from before migration ac0002)."""
    from plugins.access.service import purge_expired, seal_legacy_plates

    async def work(session: Any, tenant: Any) -> int:
        await seal_legacy_plates(runtime.vault, session, tenant.id)
        return await purge_expired(session, now=now)

    counts = await for_each_enabled_tenant(
        runtime, "access", work, failure_event="access_retention_failed"
    )
    return sum(counts)


#: The demo firm's gate in each community (``linli demo``): owners, residents and renters pass a
#: community's gates by default, so the resident app's visitor passes work for ``demo-owner``.
DEMO_GATE = "南门 main gate"


async def seed_demo_points(runtime: Runtime, tenant_id: uuid.UUID) -> int:
    """Give each community of the demo firm a community gate unless it has an access point
    already (idempotent: ``linli demo`` runs it on every invocation); returns how many were made.
    Nothing when the firm has not enabled the plugin."""
    from sqlalchemy import select

    from kernel.sdk import enabled_plugins
    from kernel.sdk.estate import community_names
    from plugins.access.models import AccessPoint
    from plugins.access.service import create_point

    async with runtime.db.tenant(tenant_id) as session:
        if MANIFEST.name not in await enabled_plugins(session):
            return 0
        served = set((await session.scalars(select(AccessPoint.community_id))).all())
        made = 0
        for community_id in sorted(await community_names(session), key=str):
            if community_id in served:
                continue
            await create_point(
                runtime,
                session,
                community_id=community_id,
                name=DEMO_GATE,
                kind="gate",
                actor="demo",
            )
            made += 1
        return made


@hookimpl
async def on_demo_seeded(runtime: Runtime, tenant_id: uuid.UUID) -> None:
    await seed_demo_points(runtime, tenant_id)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("access.purge_records", RETENTION_INTERVAL_SECONDS, purge_all)]


@hookimpl
def register_web_pages() -> list[WebPage]:
    return [
        # the console ships this screen (module=None): web/console/pages/
        WebPage(key="access", title={"zh-CN": "门禁", "en": "Access"}, permission="access:read", order=54, icon="access"),
        # the resident app's visitor passes (plain ES modules in web/, served under /web-plugins/access/)
        WebPage(
            key="passes",
            title={"zh-CN": "访客通行证", "en": "Visitor passes"},
            client="app",
            permission="access:use",
            module=str(Path(__file__).resolve().parent / "web" / "passes.js"),
            order=40,
            icon="passes",
        ),
    ]
