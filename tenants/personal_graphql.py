"""GraphQL for a person's own data: ``exportMyData`` (PIPL art. 45, the right to a copy), answered
from :mod:`tenants.personal_export`. Contributed by the estate core plugin (``tenants/plugin.py``);
any logged-in member of a firm may ask, for themselves only."""

from __future__ import annotations

import base64
import json

import strawberry

from kernel import audit
from kernel.errors import Forbidden
from kernel.graphql.permissions import Authenticated


@strawberry.type
class PersonalTable:
    name: str
    rows: int


@strawberry.type
class PersonalExportFile:
    file_name: str
    tables: list[PersonalTable]
    manifest: str = strawberry.field(description="manifest.json of the archive (tables, rows, PIPL categories)")
    archive_base64: str = strawberry.field(description="The zip: <table>.json and <table>.csv per table, base64")


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(
        permission_classes=[Authenticated],
        description="Everything this firm's Linli holds about me — my login, my register entries and every row "
        "naming them, in every plugin — as a zip of JSON and CSV. Secrets (password hashes, codes) are never "
        "included. Audited.",
    )
    async def export_my_data(self, info: strawberry.Info) -> PersonalExportFile:
        from tenants.personal_export import export_person

        ctx = info.context
        if ctx.actor is None or ctx.actor.account_id is None or ctx.actor.kind != "account":
            raise Forbidden("only a person's own login can export their data")
        result = await export_person(ctx.runtime, ctx.tenant.id, ctx.actor.account_id)
        await audit.record(
            ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="privacy.personal_export",
            target=str(ctx.actor.account_id), detail={"tables": len(result.manifest["tables"])},
        )
        return PersonalExportFile(
            file_name=f"{ctx.tenant.slug}-my-data.zip",
            tables=[PersonalTable(name=n, rows=t["rows"]) for n, t in sorted(result.manifest["tables"].items())],
            manifest=json.dumps(result.manifest, ensure_ascii=False, sort_keys=True),
            archive_base64=base64.b64encode(result.archive).decode(),
        )
