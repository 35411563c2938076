"""GraphQL of owner claims: the resident client starts and verifies a claim without a login (the firm's code
names the tenant); staff work the queue of pending claims with the evidence, approve or reject (audited)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import and_, select
from strawberry import relay

from kernel import audit
from kernel.errors import NotFound, TenantSuspended
from kernel.graphql.ids import decode_id
from kernel.graphql.pagination import Connection, paginate, requested_page_size
from kernel.graphql.permissions import Allowed
from kernel.tenancy import Tenant
from tenants.estate import claims
from tenants.estate import models as m


@strawberry.enum(description="What the claimant says they are")
class ClaimKind(Enum):
    OWNER = "owner"
    RESIDENT = "resident"


@strawberry.enum(description="How the claim is verified")
class ClaimVerification(Enum):
    CODE = "code"
    STAFF = "staff"


@strawberry.type
class ClaimStarted:
    claim_id: strawberry.ID
    verification: ClaimVerification
    status: str
    code_sent_to: str | None = strawberry.field(description="The register's phone the code went to (masked); null on the staff route")
    expires_at: datetime | None


@strawberry.type
class ClaimResult:
    status: str
    username: str = strawberry.field(description="Log in with it (and the password chosen with the claim)")


@strawberry.type(description="A person of the unit's register, to compare the claim with (masked)")
class ClaimRegisterPerson:
    person_id: strawberry.ID
    name: str
    phone: str | None
    phone_matches: bool
    has_login: bool


@strawberry.type(description="A claim waiting for staff, with its evidence")
class PendingClaim:
    id: strawberry.ID
    kind: str
    verification: str
    claimant_name: str
    phone: str = strawberry.field(description="The claimant's phone, masked")
    unit_number: str
    building_name: str
    evidence: str
    created_at: datetime
    row: strawberry.Private[m.OwnerClaim]

    @strawberry.field(description="The unit's owners (or current residents) in the register, and whose phone matches")
    async def register(self, info: strawberry.Info) -> list[ClaimRegisterPerson]:
        ctx = info.context
        found = await claims.evidence_for(ctx.session, ctx.runtime.vault, ctx.require_tenant(), self.row)
        return [ClaimRegisterPerson(person_id=strawberry.ID(str(p.person_id)), name=p.name, phone=p.phone, phone_matches=p.phone_matches, has_login=p.has_login) for p in found]


async def _firm(info: strawberry.Info, firm: str) -> Tenant:
    async with info.context.runtime.db.platform() as s:
        tenant = await s.scalar(select(Tenant).where(Tenant.slug == firm.strip()))
    if tenant is None:
        raise NotFound(f"there is no property firm with the code {firm!r}; check its code", field="firm")
    if not tenant.is_active:
        raise TenantSuspended("this property firm's account is suspended")
    return tenant


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"no {what} with this id") from None


async def _to_pending(session, row: m.OwnerClaim) -> PendingClaim:  # type: ignore[no-untyped-def]
    number, building = (
        await session.execute(
            select(m.Unit.number, m.Building.name)
            .join(m.Building, and_(m.Building.id == m.Unit.building_id, m.Building.tenant_id == m.Unit.tenant_id))
            .where(m.Unit.id == row.unit_id)
        )
    ).one()
    return PendingClaim(
        id=strawberry.ID(str(row.id)), kind=row.kind, verification=row.route, claimant_name=row.claimant_name, phone=row.phone_masked,
        unit_number=number, building_name=building, evidence=row.evidence, created_at=row.created_at, row=row,
    )


@strawberry.type
class ClaimQuery:
    @strawberry.field(permission_classes=[Allowed("persons", "write")], description="Staff: claims waiting for a decision, oldest first, with their evidence")
    async def pending_claims(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[PendingClaim]:
        ctx = info.context
        stmt = select(m.OwnerClaim).where(m.OwnerClaim.status == "pending", m.OwnerClaim.route == "staff")
        page = await paginate(ctx.session, stmt, order_by=[m.OwnerClaim.created_at, m.OwnerClaim.id], first=requested_page_size(info, first), after=after,
                              to_node=lambda r: r, key_types=[datetime.fromisoformat, uuid.UUID])
        for edge in page.edges:
            edge.node = await _to_pending(ctx.session, edge.node)
        return page


@strawberry.type
class ClaimMutation:
    @strawberry.mutation(
        description="Claim a unit as its owner or resident, without a login: the firm's code, your phone, the unit, the login you want. "
        "CODE sends a code to the phone the register holds for you; STAFF puts the claim in the firm's queue with your evidence."
    )
    async def start_claim(
        self,
        info: strawberry.Info,
        firm: str,
        unit_id: relay.GlobalID,
        phone: str,
        name: str,
        username: str,
        password: str,
        kind: ClaimKind = ClaimKind.OWNER,
        verification: ClaimVerification = ClaimVerification.CODE,
        evidence: str = "",
        locale: str = "zh-CN",
    ) -> ClaimStarted:
        runtime = info.context.runtime
        tenant = await _firm(info, firm)
        unit = decode_id(unit_id, "Unit")
        async with runtime.db.tenant(tenant.id) as s:
            started = await claims.start_claim(
                s, runtime, tenant.id, unit_id=unit, phone=phone, name=name, kind=kind.value, username=username, password=password,
                route=verification.value, evidence=evidence, locale=locale,
            )
            await audit.record(s, tenant_id=tenant.id, actor="claimant", action="estate.claim_started", target=str(started.claim.id),
                               detail={"route": started.claim.route, "kind": started.claim.kind, "unit": str(unit)})
            c = started.claim
            result = ClaimStarted(claim_id=strawberry.ID(str(c.id)), verification=verification, status=c.status, code_sent_to=started.sent_to, expires_at=c.code_expires_at)
        runtime.poke_workers()  # deliver the code now
        return result

    @strawberry.mutation(description="Verify a claim with the code sent to the register's phone; verified, log in with the username chosen.")
    async def verify_claim(self, info: strawberry.Info, firm: str, claim_id: strawberry.ID, code: str) -> ClaimResult:
        runtime = info.context.runtime
        tenant = await _firm(info, firm)
        async with runtime.db.tenant(tenant.id) as s:
            claim, error = await claims.verify_claim(s, tenant.id, _uuid(claim_id, "claim"), code)
            if claim is not None:
                await audit.record(s, tenant_id=tenant.id, actor=f"account:{claim.account_id}", action="estate.claim_verified", target=str(claim.id),
                                   detail={"route": "code", "kind": claim.kind})
                result = ClaimResult(status=claim.status, username=claim.username)
        if error is not None:  # raised after the wrong-code count was committed
            raise error
        return result

    @strawberry.mutation(permission_classes=[Allowed("persons", "write")], description="Staff: approve a pending claim as the register's person (default: the one whose phone matches). Audited.")
    async def approve_claim(self, info: strawberry.Info, id: strawberry.ID, person_id: strawberry.ID | None = None) -> ClaimResult:
        ctx = info.context
        person = _uuid(person_id, "person") if person_id is not None else None
        claim = await claims.approve_claim(ctx.session, ctx.require_tenant(), _uuid(id, "claim"), person_id=person, actor=ctx.actor.label)
        await ctx.audit("estate.claim_approved", str(claim.id), person=str(claim.person_id), kind=claim.kind)
        return ClaimResult(status=claim.status, username=claim.username)

    @strawberry.mutation(permission_classes=[Allowed("persons", "write")], description="Staff: reject a pending claim, saying why. Audited.")
    async def reject_claim(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> ClaimResult:
        ctx = info.context
        claim = await claims.reject_claim(ctx.session, _uuid(id, "claim"), reason=reason, actor=ctx.actor.label)
        await ctx.audit("estate.claim_rejected", str(claim.id))
        return ClaimResult(status=claim.status, username=claim.username)
