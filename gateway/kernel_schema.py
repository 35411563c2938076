"""Kernel GraphQL: login and tokens, the caller, API keys, members and roles, plugin enablement."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay

from kernel import audit
from kernel.errors import BadUserInput, LinliError, NotFound, Unauthenticated
from kernel.graphql.ids import decode_id
from kernel.graphql.permissions import Allowed, Authenticated
from kernel.identity import service as identity
from kernel.identity.authz import Policies
from kernel.identity.models import Account
from kernel.plugins import enablement


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_in: int
    tenant_id: strawberry.ID


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


@strawberry.type
class Member:
    account_id: strawberry.ID
    username: str
    display_name: str
    role: str


@strawberry.type
class ApiKeyCreated:
    id: strawberry.ID
    name: str
    role: str
    #: Shown once; store it now.
    secret: str


async def _login(info: strawberry.Info, username: str, password: str, tenant: str | None) -> AuthPayload:
    runtime = info.context.runtime
    try:
        async with runtime.db.platform() as s:
            account, tenant_row = await identity.authenticate(s, runtime.settings, username, password, tenant)
            if tenant_row is None:
                await identity.clear_failures(s, username)
                return AuthPayload(
                    access_token=identity.issue_regulator_token(runtime.settings, account),
                    refresh_token="",
                    expires_in=runtime.settings.access_token_ttl_seconds,
                    tenant_id=strawberry.ID(""),
                )
        async with runtime.db.tenant(tenant_row.id) as ts:
            if not account.is_platform_admin and not await identity.has_membership(ts, account.id):
                raise Unauthenticated("wrong username or password", reason="no_membership")
            await audit.record(ts, tenant_id=tenant_row.id, actor=f"account:{account.id}", action="auth.login")
        async with runtime.db.platform() as s:
            await identity.clear_failures(s, username)
            pair = await identity.issue_tokens(s, runtime.settings, account, tenant_row.id)
    except Unauthenticated:
        async with runtime.db.platform() as s:
            await identity.record_failure(s, username)
        raise
    return AuthPayload(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in, tenant_id=strawberry.ID(str(pair.tenant_id))
    )


@strawberry.type
class KernelQuery:
    @strawberry.field(permission_classes=[Authenticated], description="The caller and their roles in the current tenant.")
    async def me(self, info: strawberry.Info) -> Me:
        ctx = info.context
        if ctx.actor.kind == "api_key":
            raise NotFound("an API key is not an account")
        account = await ctx.session.get(Account, ctx.actor.account_id)
        if account is None:
            raise Unauthenticated("the account no longer exists")
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

    @strawberry.field(permission_classes=[Allowed("members", "read")], description="Accounts with a role in this tenant.")
    async def members(self, info: strawberry.Info) -> list[Member]:
        ctx = info.context
        pairs = await Policies(ctx.session, ctx.tenant.id).members()
        ids = {a for a, _ in pairs}
        from sqlalchemy import select

        accounts = {a.id: a for a in await ctx.session.scalars(select(Account).where(Account.id.in_(ids)))} if ids else {}
        return [
            Member(account_id=strawberry.ID(str(a)), username=accounts[a].username, display_name=accounts[a].display_name, role=r)
            for a, r in pairs
            if a in accounts
        ]


@strawberry.type
class KernelMutation:
    @strawberry.mutation(description="Log in to a tenant; returns a short-lived access token and a refresh token.")
    async def login(self, info: strawberry.Info, username: str, password: str, tenant: str | None = None) -> AuthPayload:
        return await _login(info, username, password, tenant)

    @strawberry.mutation(description="Exchange a refresh token for a new pair (the old one stops working).")
    async def refresh_token(self, info: strawberry.Info, refresh_token: str) -> AuthPayload:
        runtime = info.context.runtime
        error: LinliError | None = None
        async with runtime.db.platform() as s:
            try:
                pair = await identity.refresh_tokens(s, runtime.settings, refresh_token)
            except LinliError as exc:
                error = exc  # the revocation of a reused token family still commits
        if error is not None:
            raise error
        return AuthPayload(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in, tenant_id=strawberry.ID(str(pair.tenant_id))
        )

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
        key, secret = await identity.create_api_key(ctx.session, ctx.tenant.id, name, role)
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
        from sqlalchemy import select

        account = await ctx.session.scalar(select(Account).where(Account.username == username))
        if account is None:
            raise NotFound(f"no account {username!r}")
        await Policies(ctx.session, ctx.tenant.id).assign_role(account.id, role)
        await ctx.audit("role.assigned", str(account.id), role=role)
        return Member(account_id=strawberry.ID(str(account.id)), username=account.username, display_name=account.display_name, role=role)


__all__ = ["KernelMutation", "KernelQuery", "decode_id", "relay"]
