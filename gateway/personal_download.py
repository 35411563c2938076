"""``GET /me/export.zip``: a person downloads everything the firm's Linli holds about them (the
zip ``exportMyData`` answers in base64, :mod:`tenants.personal_export`) with their own bearer
token — the resident app's "download my data" link. Audited (``privacy.personal_export``, via
``http``); charged to the firm's rate budget like a costly query; coded errors as the device API
answers them (``{"error": {"code", "message"}}``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.context import GatewayContext, context_dependency
from kernel.errors import RateLimited
from tenants.personal_export import export_for, file_name

#: What one download costs of the firm's rate budget (in GraphQL cost units).
EXPORT_COST = 100


def router() -> APIRouter:
    routes = APIRouter()

    @routes.get("/me/export.zip", include_in_schema=False)
    async def my_export(ctx: GatewayContext = Depends(context_dependency)) -> Response:  # noqa: B008
        tenant_id = ctx.require_tenant()
        limiter = ctx.runtime.services.get("rate_limiter")
        if limiter is not None and (retry := await limiter.charge(str(tenant_id), EXPORT_COST)) is not None:
            raise RateLimited(f"rate limit reached; retry in {retry:.1f} s")
        result = await export_for(ctx, via="http")
        assert ctx.session is not None and ctx.tenant is not None  # require_tenant() passed
        await ctx.session.commit()  # the audit entry
        return Response(
            result.archive,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{file_name(ctx.tenant.slug)}"', "Cache-Control": "no-store"},
        )

    return routes
