"""Kernel GraphQL: login and tokens, the caller, API keys, members and roles, plugin enablement."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import select
from strawberry import relay

from gateway import web
from kernel.errors import BadUserInput, NotFound, Unauthenticated
from kernel.graphql.ids import decode_id
from kernel.graphql.permissions import Allowed, Authenticated, TenantOrRegulator
from kernel.identity import members as members_service
from kernel.identity import service as identity
from kernel.identity.authz import Policies
from kernel.identity.graphql import (
    AuthPayload,
    Member,
    PeopleMutation,
    PeopleQuery,
    member_of,
    payload,
)
from kernel.identity.models import Account, PlatformAccount
from kernel.plugins import enablement


@strawberry.type
class Me:
    account_id: strawberry.ID
    username: str
    display_name: str
    tenant_slug: str
    tenant_name: str
    roles: list[str]


@strawberry.type
class PluginInfo:
    name: str
    version: str
    description: str
    enabled: bool
    core: bool
    proposed_grants: list[str]


@strawberry.type(description="A page title in one locale.")
class WebPageTitle:
    locale: str
    text: str


@strawberry.type(description="A page of a web client (register_web_pages): one menu entry.")
class WebPageInfo:
    plugin: str = strawberry.field(description="The plugin contributing it; `kernel` for the kernel's own")
    key: str = strawberry.field(description="Unique within the plugin and client; the console routes it as /p/<plugin>/<key>")
    client: str
    titles: list[WebPageTitle]
    permission: str | None
    module_url: str | None = strawberry.field(description="The ES module to import (served by the gateway); null: the client ships the page")
    order: int
    icon: str


@strawberry.type
class ApiKeyCreated:
    id: strawberry.ID
    name: str
    role: str
    #: Shown once; store it now.
    secret: str


async def _login(info: strawberry.Info, username: str, password: str, tenant: str | None, second_factor: str | None = None) -> AuthPayload:
    ctx = info.context
    request = getattr(ctx, "request", None)
    user_agent = request.headers.get("user-agent", "") if request is not None else ""
    pair = await identity.login(
        ctx.runtime, username, password, tenant, source=getattr(ctx, "client_ip", ""), user_agent=user_agent, second_factor=second_factor
    )
    return payload(pair)


async def _caller(ctx: object) -> Account | PlatformAccount:
    session = ctx.session  # type: ignore[attr-defined]
    actor = ctx.actor  # type: ignore[attr-defined]
    account: Account | PlatformAccount | None = await session.scalar(select(Account).where(Account.id == actor.account_id))
    if account is None and actor.platform_admin:
        account = await session.get(PlatformAccount, actor.account_id)
    if account is None:
        raise Unauthenticated("the account no longer exists")
    return account


@strawberry.type
class KernelQuery(PeopleQuery):
    @strawberry.field(permission_classes=[Authenticated], description="The caller and their roles in the current tenant.")
    async def me(self, info: strawberry.Info) -> Me:
        ctx = info.context
        if ctx.actor.kind == "api_key":
            raise NotFound("an API key is not an account")
        account = await _caller(ctx)
        return Me(
            account_id=strawberry.ID(str(account.id)),
            username=account.username,
            display_name=account.display_name,
            tenant_slug=ctx.tenant.slug,
            tenant_name=ctx.tenant.name,
            roles=ctx.roles(),
        )

    @strawberry.field(permission_classes=[Allowed("plugins", "read")], description="Installed plugins and whether this tenant enabled them.")
    def plugins(self, info: strawberry.Info) -> list[PluginInfo]:
        ctx = info.context
        host = ctx.runtime.host
        return [
            PluginInfo(
                name=p.name,
                version=p.manifest.version,
                description=p.manifest.description,
                enabled=p.manifest.core or p.name in ctx.enabled_plugins,
                core=p.manifest.core,
                proposed_grants=[f"{g.role} → {g.obj}:{g.act}" for g in enablement.prepare(host, p.name)],
            )
            for p in host.plugins.values()
        ]

    @strawberry.field(
        permission_classes=[TenantOrRegulator],
        description="The pages of a web client (console, app, dashboard) the caller may use: the kernel's and those of the plugins their tenant enabled, each only with its permission; a street office's regulator account gets its own pages only.",
    )
    def web_pages(self, info: strawberry.Info, client: str) -> list[WebPageInfo]:
        return [
            WebPageInfo(
                plugin=item.plugin,
                key=item.page.key,
                client=item.page.client,
                titles=[WebPageTitle(locale=k, text=v) for k, v in item.page.title.items()],
                permission=item.page.permission,
                module_url=item.module_url,
                order=item.page.order,
                icon=item.page.icon,
            )
            for item in web.pages_for(info.context, client)
        ]

    @strawberry.field(permission_classes=[Allowed("members", "read")], description="The accounts of this tenant and their roles.")
    async def members(self, info: strawberry.Info) -> list[Member]:
        ctx = info.context
        roles: dict[uuid.UUID, list[str]] = {}
        for account_id, role in await Policies(ctx.session, ctx.tenant.id).members():
            roles.setdefault(account_id, []).append(role)
        accounts = await ctx.session.scalars(select(Account).order_by(Account.username))
        return [member_of(a, sorted(roles.get(a.id, []))) for a in accounts]


@strawberry.type
class KernelMutation(PeopleMutation):
    @strawberry.mutation(description="Log in to a tenant; returns a short-lived access token and a refresh token.")
    async def login(
        self, info: strawberry.Info, username: str, password: str, tenant: str | None = None, second_factor: str | None = None
    ) -> AuthPayload:
        return await _login(info, username, password, tenant, second_factor)

    @strawberry.mutation(description="Exchange a refresh token for a new pair (the old one stops working).")
    async def refresh_token(self, info: strawberry.Info, refresh_token: str) -> AuthPayload:
        return payload(await identity.refresh(info.context.runtime, refresh_token))

    @strawberry.mutation(permission_classes=[Allowed("plugins", "manage")], description="Enable a plugin for this tenant, applying its proposed grants.")
    async def enable_plugin(self, info: strawberry.Info, name: str) -> PluginInfo:
        ctx = info.context
        grants = await enablement.enable(ctx.runtime.host, ctx.session, ctx.tenant.id, name)
        await ctx.audit("plugin.enabled", name)
        m = ctx.runtime.host.manifest(name)
        return PluginInfo(name=name, version=m.version, description=m.description, enabled=True, core=m.core, proposed_grants=[f"{g.role} → {g.obj}:{g.act}" for g in grants])

    @strawberry.mutation(permission_classes=[Allowed("plugins", "manage")], description="Disable a plugin for this tenant, revoking exactly what enabling granted.")
    async def disable_plugin(self, info: strawberry.Info, name: str) -> PluginInfo:
        ctx = info.context
        await enablement.disable(ctx.runtime.host, ctx.session, ctx.tenant.id, name)
        await ctx.audit("plugin.disabled", name)
        m = ctx.runtime.host.manifest(name)
        return PluginInfo(name=name, version=m.version, description=m.description, enabled=False, core=m.core, proposed_grants=[])

    @strawberry.mutation(permission_classes=[Allowed("api_keys", "manage")], description="Create an integration API key acting as a role. The secret is shown once.")
    async def create_api_key(self, info: strawberry.Info, name: str, role: str) -> ApiKeyCreated:
        ctx = info.context
        key, secret = await identity.create_api_key(ctx.session, ctx.tenant.id, name, role, created_by=ctx.actor.account_id)
        await ctx.audit("api_key.created", str(key.id), role=role)
        return ApiKeyCreated(id=strawberry.ID(str(key.id)), name=name, role=role, secret=secret)

    @strawberry.mutation(permission_classes=[Allowed("api_keys", "manage")], description="Revoke an API key; it stops working at once.")
    async def revoke_api_key(self, info: strawberry.Info, id: strawberry.ID) -> bool:
        ctx = info.context
        try:
            key_id = uuid.UUID(str(id))
        except ValueError:
            raise BadUserInput("malformed API key id", field="id") from None
        await identity.revoke_api_key(ctx.session, key_id)
        await ctx.audit("api_key.revoked", str(key_id))
        return True

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Give an account a role in this tenant.")
    async def assign_role(self, info: strawberry.Info, username: str, role: str) -> Member:
        ctx = info.context
        # looked up in this tenant's scope: another firm's username answers like an unknown one
        account = await members_service.by_username(ctx.session, username)
        await Policies(ctx.session, ctx.tenant.id).assign_role(account.id, role)
        await ctx.audit("role.assigned", str(account.id), role=role)
        held = [r for a, r in await Policies(ctx.session, ctx.tenant.id).members() if a == account.id]
        return member_of(account, sorted(held))


__all__ = ["KernelMutation", "KernelQuery", "decode_id", "relay"]
