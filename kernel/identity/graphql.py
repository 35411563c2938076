"""GraphQL for the people of a tenant: invitations (single and CSV), accepting one, roles,
deactivation, and a person's own login sessions. Mixed into the kernel's root types
(gateway/kernel_schema.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy import select

from kernel import audit
from kernel.errors import BadUserInput, NotFound, Unauthenticated
from kernel.events import Event
from kernel.graphql.permissions import Allowed, Authenticated
from kernel.identity import invitations, members, second_factor
from kernel.identity.authz import Policies
from kernel.identity.models import Account, Invitation, LoginSession
from kernel.identity.revocation import revoke_sessions
from kernel.identity.service import TokenPair, issue_tokens
from kernel.tenancy import Tenant


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_in: int
    tenant_id: strawberry.ID


@strawberry.type
class Member:
    account_id: strawberry.ID
    username: str
    display_name: str
    role: str = strawberry.field(description="The first of ``roles`` (\"\" if none); kept for older clients.")
    roles: list[str]
    active: bool


def payload(pair: TokenPair) -> AuthPayload:
    return AuthPayload(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        tenant_id=strawberry.ID(str(pair.tenant_id) if pair.tenant_id else ""),
    )


def member_of(account: Account, roles: list[str]) -> Member:
    return Member(
        account_id=strawberry.ID(str(account.id)),
        username=account.username,
        display_name=account.display_name,
        role=roles[0] if roles else "",
        roles=roles,
        active=not account.disabled,
    )


@strawberry.type
class InvitationInfo:
    id: strawberry.ID
    channel: str
    contact_masked: str
    display_name: str
    roles: list[str]
    status: str = strawberry.field(description="open, accepted, revoked or expired")
    expires_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, row: Invitation) -> InvitationInfo:
        return cls(
            id=strawberry.ID(str(row.id)),
            channel=row.channel,
            contact_masked=row.contact_masked,
            display_name=row.display_name,
            roles=list(row.roles),
            status=invitations.status_of(row),
            expires_at=row.expires_at,
            created_at=row.created_at,
        )


@strawberry.type
class InvitationCreated:
    invitation: InvitationInfo
    code: str = strawberry.field(description="Shown once: share it by hand if the message does not arrive.")
    link: str


@strawberry.type
class InvitationRowError:
    line: int
    column: str
    message: str


@strawberry.type
class BulkInvitationResult:
    ok: bool
    invited: list[InvitationCreated]
    errors: list[InvitationRowError]
    error_report: str = strawberry.field(description="The errors as CSV (line, column, error); empty when ok.")


@strawberry.type
class LoginSessionInfo:
    id: strawberry.ID
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str
    ip_masked: str
    current: bool


def _uuid(value: object, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadUserInput("malformed id", field=field) from None


async def _member(ctx: object, account: Account) -> Member:
    session, tenant = ctx.session, ctx.tenant  # type: ignore[attr-defined]
    held = sorted(r for a, r in await Policies(session, tenant.id).members() if a == account.id)
    return member_of(account, held)


async def _send(ctx: object, invited: invitations.Invited, firm: str) -> None:
    await invitations.deliver(ctx.session, ctx.runtime, ctx.tenant.id, firm, invited)  # type: ignore[attr-defined]


def _created(invited: invitations.Invited) -> InvitationCreated:
    return InvitationCreated(invitation=InvitationInfo.of(invited.invitation), code=invited.code, link=invited.link)


@strawberry.type
class TotpEnrolment:
    secret: str = strawberry.field(description="Base32 secret, for typing into an app by hand.")
    otpauth_uri: str = strawberry.field(description="otpauth:// URI: show it as a QR code.")


@strawberry.type
class TotpConfirmed:
    recovery_codes: list[str] = strawberry.field(description="Single-use codes for when the phone is lost. Shown once.")
    auth: AuthPayload | None = strawberry.field(description="With an enrolment token: the login, finished.")


def _enrolment(ctx: object, enrolment_token: str | None) -> tuple[second_factor.Enrolment, bool]:
    """Who enrols: the holder of an enrolment token (from a login challenge), or the caller."""
    runtime = ctx.runtime  # type: ignore[attr-defined]
    if enrolment_token:
        return second_factor.read_enrolment_token(runtime.settings.secret_key, enrolment_token), True
    actor = getattr(ctx, "actor", None)
    auth_error = getattr(ctx, "auth_error", None)
    if auth_error is not None:
        raise auth_error
    if actor is None or actor.account_id is None:
        raise Unauthenticated("log in first, or pass the enrolmentToken of your login")
    if actor.kind == "regulator":
        return second_factor.Enrolment(actor.account_id, None, True), False
    tenant = ctx.tenant  # type: ignore[attr-defined]
    return second_factor.Enrolment(actor.account_id, tenant.id if tenant else None, bool(actor.platform_admin)), False


@strawberry.type
class PeopleQuery:
    @strawberry.field(permission_classes=[Allowed("members", "read")], description="Invitations of this firm, newest first (contacts masked).")
    async def invitations(self, info: strawberry.Info, status: str | None = None) -> list[InvitationInfo]:
        rows = await info.context.session.scalars(select(Invitation).order_by(Invitation.created_at.desc()))
        out = [InvitationInfo.of(r) for r in rows]
        return [i for i in out if status is None or i.status == status]

    @strawberry.field(permission_classes=[Authenticated], description="My login sessions (one per login); revoke any with revokeSession.")
    async def my_sessions(self, info: strawberry.Info) -> list[LoginSessionInfo]:
        ctx = info.context
        if ctx.actor.account_id is None or ctx.tenant is None:
            raise NotFound("an API key has no sessions")
        current = getattr(ctx, "session_id", None)
        rows = await ctx.session.scalars(
            select(LoginSession)
            .where(LoginSession.account_id == ctx.actor.account_id, LoginSession.revoked_at.is_(None))
            .order_by(LoginSession.created_at.desc())
        )
        return [
            LoginSessionInfo(
                id=strawberry.ID(str(r.id)), created_at=r.created_at, last_used_at=r.last_used_at,
                user_agent=r.user_agent, ip_masked=r.ip_masked, current=r.id == current,
            )
            for r in rows
        ]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Invite a person by mobile number or e-mail with roles. The code and link are returned once and sent to the person.")
    async def invite_member(
        self,
        info: strawberry.Info,
        roles: list[str],
        phone: str | None = None,
        email: str | None = None,
        display_name: str = "",
        locale: str = "zh-CN",
        ttl_hours: int | None = None,
    ) -> InvitationCreated:
        ctx = info.context
        settings = ctx.runtime.settings
        invited = await invitations.invite(
            ctx.session, ctx.runtime.vault, tenant_id=ctx.tenant.id, tenant_slug=ctx.tenant.slug,
            contact=invitations.parse_contact(phone, email), roles=roles, display_name=display_name, locale=locale,
            ttl_hours=ttl_hours or settings.invitation_ttl_hours, public_url=settings.public_url, created_by=ctx.actor.account_id,
        )
        await _send(ctx, invited, ctx.tenant.name)
        await ctx.audit("member.invited", str(invited.invitation.id), roles=invited.invitation.roles, contact=invited.invitation.contact_masked)
        return _created(invited)

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Invite many people from CSV (phone or email, roles separated by ';', display_name): all or nothing, with an error report.")
    async def invite_members_csv(self, info: strawberry.Info, csv: str, locale: str = "zh-CN") -> BulkInvitationResult:
        ctx = info.context
        settings = ctx.runtime.settings
        rows, errors = invitations.parse_csv(csv)
        if errors:
            report = [InvitationRowError(line=e.line, column=e.column, message=e.message) for e in errors]
            return BulkInvitationResult(ok=False, invited=[], errors=report, error_report=invitations.error_report_csv(errors))
        created = []
        for _line, contact, roles, name in rows:
            invited = await invitations.invite(
                ctx.session, ctx.runtime.vault, tenant_id=ctx.tenant.id, tenant_slug=ctx.tenant.slug, contact=contact, roles=roles,
                display_name=name, locale=locale, ttl_hours=settings.invitation_ttl_hours, public_url=settings.public_url,
                created_by=ctx.actor.account_id,
            )
            await _send(ctx, invited, ctx.tenant.name)
            created.append(_created(invited))
        await ctx.audit("member.invited_bulk", "", count=len(created))
        return BulkInvitationResult(ok=True, invited=created, errors=[], error_report="")

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Withdraw an open invitation; its code stops working.")
    async def revoke_invitation(self, info: strawberry.Info, id: strawberry.ID) -> InvitationInfo:
        ctx = info.context
        row = await invitations.revoke(ctx.session, _uuid(id, "id"))
        await ctx.audit("member.invitation_revoked", str(row.id))
        return InvitationInfo.of(row)

    @strawberry.mutation(description="Accept an invitation: choose a username and password; returns tokens (you are logged in to the firm).")
    async def accept_invitation(
        self, info: strawberry.Info, tenant: str, code: str, username: str, password: str, display_name: str = ""
    ) -> AuthPayload:
        ctx = info.context
        runtime = ctx.runtime
        async with runtime.db.platform() as s:
            firm = await s.scalar(select(Tenant).where(Tenant.slug == tenant))
        if firm is None or not firm.is_active:
            raise NotFound("unknown invitation code; ask the property firm for a new invitation", field="code")
        request = getattr(ctx, "request", None)
        async with runtime.db.tenant(firm.id) as ts:
            account, row = await invitations.accept(
                ts, runtime.vault, firm.id, code=code, username=username, password=password, display_name=display_name
            )
            await audit.record(ts, tenant_id=firm.id, actor=f"account:{account.id}", action="member.joined", target=str(row.id), detail={"roles": list(row.roles)})
            # plugins that invited the person (kernel.sdk.members.invite_member) link the new login
            await runtime.bus.publish(ts, Event(
                "member.joined", firm.id,
                {"account_id": str(account.id), "invitation_id": str(row.id), "roles": list(row.roles)},
                actor=f"account:{account.id}",
            ))
            pair = await issue_tokens(
                ts, runtime.settings, account, firm.id,
                user_agent=request.headers.get("user-agent", "") if request is not None else "", ip=getattr(ctx, "client_ip", ""),
            )
        return payload(pair)

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Replace a member's roles (an empty list removes them all).")
    async def set_member_roles(self, info: strawberry.Info, account_id: strawberry.ID, roles: list[str]) -> Member:
        ctx = info.context
        account, held = await members.set_roles(ctx.session, ctx.tenant.id, _uuid(account_id, "accountId"), roles)
        await ctx.audit("member.roles_set", str(account.id), roles=held)
        return await _member(ctx, account)

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Deactivate a member: their sessions, refresh tokens and API keys stop at once.")
    async def deactivate_member(self, info: strawberry.Info, account_id: strawberry.ID) -> Member:
        ctx = info.context
        account = await members.deactivate(ctx.session, ctx.tenant.id, _uuid(account_id, "accountId"), by=ctx.actor.account_id)
        await ctx.audit("member.deactivated", str(account.id))
        return await _member(ctx, account)

    @strawberry.mutation(permission_classes=[Allowed("members", "manage")], description="Let a deactivated member log in again (old sessions and keys stay revoked).")
    async def reactivate_member(self, info: strawberry.Info, account_id: strawberry.ID) -> Member:
        ctx = info.context
        account = await members.reactivate(ctx.session, ctx.tenant.id, _uuid(account_id, "accountId"))
        await ctx.audit("member.reactivated", str(account.id))
        return await _member(ctx, account)

    @strawberry.mutation(description="Start enrolling an authenticator app (TOTP): with the enrolmentToken of a login challenge, or logged in.")
    async def enrol_totp(self, info: strawberry.Info, enrolment_token: str | None = None) -> TotpEnrolment:
        ctx = info.context
        who, _ = _enrolment(ctx, enrolment_token)
        firm = "platform"
        if who.tenant_id is not None:
            async with ctx.runtime.db.platform() as s:
                tenant = await s.get(Tenant, who.tenant_id)
            firm = tenant.slug if tenant else firm
        secret, uri = await second_factor.begin(ctx.runtime, who, firm)
        return TotpEnrolment(secret=secret, otpauth_uri=uri)

    @strawberry.mutation(description="Confirm the enrolment with the app's current code: the second factor is in force; returns recovery codes (once) and, with an enrolment token, the finished login.")
    async def confirm_totp(self, info: strawberry.Info, code: str, enrolment_token: str | None = None) -> TotpConfirmed:
        from kernel.identity.service import finish_login

        ctx = info.context
        who, by_token = _enrolment(ctx, enrolment_token)
        codes = await second_factor.confirm(ctx.runtime, who, code)
        auth = None
        if by_token:
            tenant = None
            platform_admin, street = False, None
            if who.tenant_id is not None:
                async with ctx.runtime.db.platform() as s:
                    tenant = await s.get(Tenant, who.tenant_id)
            if who.platform:
                from kernel.identity.models import PlatformAccount

                async with ctx.runtime.db.platform() as s:
                    p = await s.get(PlatformAccount, who.account_id)
                platform_admin, street = bool(p and p.is_platform_admin), p.regulator_street_code if p else None
            request = getattr(ctx, "request", None)
            auth = payload(await finish_login(
                ctx.runtime, tenant, who.account_id, platform_admin, street,
                user_agent=request.headers.get("user-agent", "") if request is not None else "", source=getattr(ctx, "client_ip", ""),
            ))
        return TotpConfirmed(recovery_codes=codes, auth=auth)

    @strawberry.mutation(description="Send a password-reset code to the login's own phone or e-mail. Always answers true: it does not say whether the username exists.")
    async def request_password_reset(self, info: strawberry.Info, tenant: str, username: str, locale: str = "zh-CN") -> bool:
        from kernel.identity import reset

        ctx = info.context
        await reset.request(ctx.runtime, tenant, username, source=getattr(ctx, "client_ip", ""), locale=locale if locale in ("zh-CN", "en") else "zh-CN")
        return True

    @strawberry.mutation(description="Set a new password with the reset code; every session of the person is signed out.")
    async def reset_password(self, info: strawberry.Info, tenant: str, username: str, code: str, new_password: str) -> bool:
        from kernel.identity import reset

        ctx = info.context
        await reset.reset(ctx.runtime, tenant, username, code, new_password, source=getattr(ctx, "client_ip", ""))
        return True

    @strawberry.mutation(permission_classes=[Authenticated], description="Sign out one of my sessions (its tokens stop at once).")
    async def revoke_session(self, info: strawberry.Info, id: strawberry.ID) -> bool:
        ctx = info.context
        if ctx.actor.account_id is None or ctx.tenant is None:
            raise Unauthenticated("log in first")
        session_id = _uuid(id, "id")
        if not await revoke_sessions(ctx.session, ctx.tenant.id, account_id=ctx.actor.account_id, session_id=session_id):
            raise NotFound("no such session of yours", field="id")
        await ctx.audit("auth.session_revoked", str(session_id))
        return True
