"""The notices plugin's hook implementations. It uses only the public SDK and the estate's
public modules, like any third-party plugin would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    hookimpl,
)

MANIFEST = PluginManifest(
    name="notices",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Notices and announcements (通知公告) to a community, building or unit, with read "
    "receipts per unit and the public disclosure board (公示)",
    default_enabled=True,
)

STAFF = ("tenant_admin", "property_staff")
READERS = ("tenant_admin", "property_staff", "committee_member", "auditor")
OWN_READERS = ("tenant_admin", "property_staff", "committee_member", "owner", "resident")


@hookimpl
def register_models() -> list[type]:
    from plugins.notices.models import Notice, NoticeReceipt

    return [Notice, NoticeReceipt]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.notices.graphql import Notice, NoticeReceipts, NoticesMutation, NoticesQuery

    return GraphQLContribution(query=(NoticesQuery,), mutation=(NoticesMutation,), types=(Notice, NoticeReceipts))


@hookimpl
def register_permissions() -> PermissionSet:
    permissions = (
        Permission("notices", "publish", "Write, publish and withdraw notices and disclosures"),
        Permission("notices", "read", "Read every notice of the tenant and its read receipts"),
        Permission("notices", "read_own", "Read notices addressed to one's own units and the community's disclosure board"),
    )
    grants = [Grant(r, "notices", "publish") for r in STAFF]
    grants += [Grant(r, "notices", "read") for r in READERS]
    grants += [Grant(r, "notices", "read_own") for r in OWN_READERS]
    return PermissionSet(permissions=permissions, grants=tuple(grants))


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.notices.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.notices.disclosures import EVENT, on_disclosure_requested
    from plugins.notices.notifications import HANDLERS

    return {**HANDLERS, EVENT: on_disclosure_requested}


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="notices", title={"zh-CN": "通知公告", "en": "Notices"}, permission="notices:read", order=48, icon="notices"),
    ]
