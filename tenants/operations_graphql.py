"""GraphQL for tenant operations a tenant admin runs on their own data: CSV import of units and
owners (``importUnits``) and the complete export (``exportTenant``). Contributed by the estate
core plugin (``tenants/plugin.py``)."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Annotated

import strawberry
from strawberry import relay

from kernel import audit
from kernel.errors import NotFound, QuotaExceeded
from kernel.graphql.ids import decode_id
from kernel.graphql.permissions import Allowed
from tenants.estate import models as m
from tenants.estate.importer import import_units
from tenants.estate.service import format_area

#: Archives larger than this are refused over GraphQL; use ``linli tenant export``.
MAX_GRAPHQL_EXPORT_BYTES = 20 * 1024 * 1024


@strawberry.type
class ImportRowError:
    line: int = strawberry.field(description="Line in the file (1 = header)")
    column: str
    message: str


@strawberry.type
class UnitImport:
    ok: bool = strawberry.field(description="False when any row is bad; then nothing was written")
    units: int
    buildings_created: int
    persons_created: int
    persons_reused: int
    ownerships: int
    area_m2: str
    encoding: str = strawberry.field(description="The file's detected encoding: utf-8, utf-8-sig (BOM), gbk or gb18030")
    errors: list[ImportRowError]


@strawberry.type
class TenantExport:
    file_name: str
    rows: int
    personal_data: str = strawberry.field(description="'decrypted': personal data in clear, for the tenant itself")
    manifest: str = strawberry.field(description="manifest.json of the archive (counts and sha256 per table)")
    archive_base64: str = strawberry.field(description="The zip archive, base64-encoded")


@strawberry.type
class TenantOperationsMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("estate", "write"), Allowed("persons", "write")],
        description="Import units and owners from CSV text (see docs/operations.md). Every row is validated "
        "first; with any bad row nothing is written and `errors` lists them all.",
    )
    async def import_units(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        csv: str | None = None,
        csv_base64: Annotated[str | None, strawberry.argument(description="The file's bytes, base64: UTF-8 (BOM or not) or GBK/GB18030, detected")] = None,
        locale: Annotated[str, strawberry.argument(description="Language of the messages: zh-CN or en")] = "zh-CN",
    ) -> UnitImport:
        ctx = info.context
        from sqlalchemy import select

        from kernel.errors import BadUserInput
        from tenants.estate.import_messages import check_locale

        check_locale(locale)
        if (csv is None) == (csv_base64 is None):
            raise BadUserInput("send the file as csv (text) or csvBase64 (bytes), one of them", field="csv")
        data: str | bytes
        if csv_base64 is not None:
            try:
                data = base64.b64decode(csv_base64, validate=True)
            except ValueError:
                raise BadUserInput("csvBase64 is not base64", field="csvBase64") from None
        else:
            data = csv or ""
        community = await ctx.session.scalar(select(m.Community).where(m.Community.id == decode_id(community_id, "Community")))
        if community is None:
            raise NotFound("no community with this id")
        report = await import_units(ctx.session, ctx.runtime.vault, ctx.tenant.id, community_code=community.code, csv_text=data, locale=locale)
        if report.ok:
            await audit.record(
                ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="estate.units_imported", target=str(community.id),
                detail={"units": report.units, "persons_created": report.persons_created, "ownerships": report.ownerships},
            )
        return UnitImport(
            ok=report.ok, units=report.units, buildings_created=report.buildings_created, persons_created=report.persons_created,
            persons_reused=report.persons_reused, ownerships=report.ownerships, area_m2=format_area(report.area), encoding=report.encoding,
            errors=[ImportRowError(line=e.line, column=e.column, message=e.message) for e in report.errors],
        )

    @strawberry.mutation(
        permission_classes=[Allowed("tenant", "export")],
        description="Export every row of this tenant (zip of JSON lines + manifest). Personal data is decrypted: "
        "the export is for the tenant itself. Audited.",
    )
    async def export_tenant(self, info: strawberry.Info) -> TenantExport:
        from tenants.export import export_tenant, record_export

        ctx = info.context
        with tempfile.TemporaryDirectory(prefix="linli-export-") as tmp:
            name = f"{ctx.tenant.slug}-export.zip"
            result = await export_tenant(ctx.runtime, ctx.tenant.slug, Path(tmp) / name, personal_data="decrypted")
            size = result.path.stat().st_size
            if size > MAX_GRAPHQL_EXPORT_BYTES:
                raise QuotaExceeded(
                    f"the archive is {size // 1_048_576} MiB, over the {MAX_GRAPHQL_EXPORT_BYTES // 1_048_576} MiB GraphQL limit; "
                    "ask the platform operator for `linli tenant export`"
                )
            archive = base64.b64encode(result.path.read_bytes()).decode()
        await record_export(ctx.session, ctx.tenant.id, ctx.actor.label, result, via="graphql")
        return TenantExport(
            file_name=name, rows=result.total_rows, personal_data="decrypted",
            manifest=json.dumps(result.manifest, ensure_ascii=False, sort_keys=True), archive_base64=archive,
        )
