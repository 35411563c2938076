"""Lock 3 of 3: casbin RBAC with domains, the domain being the tenant.

Policies live in the ``policy_rules`` table (tenant-scoped like any tenant data). Each process
keeps one in-memory enforcer per tenant, rebuilt when the tenant's ``policy_version`` moves.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import casbin
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.identity.models import PolicyRule
from kernel.plugins.contributions import Grant
from kernel.tenancy import Tenant

if TYPE_CHECKING:
    from kernel.caches import BoundedCache

MODEL_TEXT = """
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && (r.act == p.act || p.act == "*")
"""

TENANT_ROLES = (
    "tenant_admin",
    "property_staff",
    "technician",
    "grid_worker",
    "committee_member",
    "owner",
    "resident",
    "merchant",
    "auditor",
    "care_contact",
    "residents_committee",
)
GLOBAL_ROLES = ("platform_admin", "regulator")


def subject_for(account_id: uuid.UUID) -> str:
    return f"account:{account_id}"


def role_subject(role: str) -> str:
    return f"role:{role}"





#: Bound on one enforcer's memoised decisions (accounts × permissions); cleared when reached.
MAX_MEMOISED_DECISIONS = 50_000


def _model() -> casbin.model.Model:
    m = casbin.model.Model()
    m.load_model_from_text(MODEL_TEXT)
    return m


class TenantEnforcer:
    """A casbin enforcer holding one tenant's policies."""

    def __init__(
        self, tenant_id: uuid.UUID, version: int, rules: list[PolicyRule], enabled_plugins: frozenset[str] = frozenset()
    ) -> None:
        self.tenant_id = tenant_id
        #: Plugins the tenant enabled, as of ``version`` (enabling/disabling bumps the version).
        self.enabled_plugins = enabled_plugins
        self.version = version
        self._domain = str(tenant_id)
        self._e = casbin.Enforcer(_model(), enable_log=False)
        p = [[r.v0, self._domain, r.v1, r.v2] for r in rules if r.ptype == "p"]
        g = [[r.v0, r.v1, self._domain] for r in rules if r.ptype == "g"]
        if p:
            self._e.add_policies(p)
        if g:
            self._e.add_grouping_policies(g)
        self._decisions: dict[tuple[str, str, str], bool] = {}

    def _decide(self, subject: str, obj: str, act: str) -> bool:
        # Memoised: the rules never change after construction (a policy write bumps the tenant's
        # version and EnforcerCache builds a new enforcer), while casbin compiles and evaluates
        # its matcher against every rule on each call and a list page asks once per row
        # (bench/graphql_vs_handwritten.py: 50 units with owners spent ~45% of CPU here).
        key = (subject, obj, act)
        decided = self._decisions.get(key)
        if decided is None:
            if len(self._decisions) >= MAX_MEMOISED_DECISIONS:
                self._decisions.clear()
            decided = self._decisions[key] = bool(self._e.enforce(subject, self._domain, obj, act))
        return decided

    def allows(self, account_id: uuid.UUID, obj: str, act: str) -> bool:
        return self._decide(subject_for(account_id), obj, act)

    def role_allows(self, role: str, obj: str, act: str) -> bool:
        return self._decide(role_subject(role), obj, act)

    def roles_of(self, account_id: uuid.UUID) -> list[str]:
        return [
            r.removeprefix("role:")
            for r in self._e.get_roles_for_user_in_domain(subject_for(account_id), self._domain)
        ]


#: Tenants whose enforcers a process keeps by default (``LINLI_TENANT_CACHE_SIZE``); one is ~50 KB.
DEFAULT_TENANT_CACHE_SIZE = 1_000


class EnforcerCache:
    """Per-process cache of tenant enforcers keyed by policy version, bounded: the least recently
    used tenant's enforcer is dropped past ``max_tenants`` (and rebuilt from its policies when that
    tenant comes back), so a process that served 10,000 tenants holds at most ``max_tenants``."""

    def __init__(self, max_tenants: int = DEFAULT_TENANT_CACHE_SIZE) -> None:
        from kernel.caches import BoundedCache

        self._cache: BoundedCache[uuid.UUID, TenantEnforcer] = BoundedCache("enforcers", max_tenants)

    def __len__(self) -> int:
        return len(self._cache)

    @property
    def max_tenants(self) -> int:
        return self._cache.max_entries

    @property
    def hit_rate(self) -> float:
        return self._cache.hit_rate

    async def get(self, session: AsyncSession, tenant: Tenant) -> TenantEnforcer:
        version = tenant.policy_version
        cached = self._cache.get(tenant.id, lambda e: e.version == version)
        if cached is not None:
            return cached
        from kernel.plugins.enablement import enabled_plugins

        rules = list((await session.scalars(select(PolicyRule))).all())
        enabled = frozenset(await enabled_plugins(session))
        enforcer = TenantEnforcer(tenant.id, tenant.policy_version, rules, enabled)
        self._cache.put(tenant.id, enforcer)
        return enforcer


class Policies:
    """Writes a tenant's policies. Flushes, never commits."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def _bump(self) -> None:
        await self.session.execute(
            update(Tenant).where(Tenant.id == self.tenant_id).values(policy_version=Tenant.policy_version + 1)
        )

    async def grant(self, grants: list[Grant], *, source: str) -> int:
        existing = {
            (r.v0, r.v1, r.v2)
            for r in await self.session.scalars(select(PolicyRule).where(PolicyRule.ptype == "p", PolicyRule.source == source))
        }
        added = 0
        for g in grants:
            key = (role_subject(g.role), g.obj, g.act)
            if key in existing:
                continue
            self.session.add(PolicyRule(ptype="p", v0=key[0], v1=key[1], v2=key[2], source=source))
            existing.add(key)
            added += 1
        await self.session.flush()
        await self._bump()
        return added

    async def revoke_source(self, source: str) -> int:
        rows = list(await self.session.scalars(select(PolicyRule).where(PolicyRule.source == source)))
        for r in rows:
            await self.session.delete(r)
        await self.session.flush()
        await self._bump()
        return len(rows)

    async def assign_role(self, account_id: uuid.UUID, role: str, *, source: str = "tenant") -> None:
        if role not in TENANT_ROLES:
            from kernel.errors import BadUserInput

            raise BadUserInput(f"unknown role {role!r}; choose one of {', '.join(TENANT_ROLES)}")
        subject = subject_for(account_id)
        found = await self.session.scalar(
            select(PolicyRule).where(PolicyRule.ptype == "g", PolicyRule.v0 == subject, PolicyRule.v1 == role_subject(role))
        )
        if found is None:
            self.session.add(PolicyRule(ptype="g", v0=subject, v1=role_subject(role), source=source))
            await self.session.flush()
            await self._bump()

    async def remove_role(self, account_id: uuid.UUID, role: str) -> None:
        rows = await self.session.scalars(
            select(PolicyRule).where(
                PolicyRule.ptype == "g",
                PolicyRule.v0 == subject_for(account_id),
                PolicyRule.v1 == role_subject(role),
            )
        )
        for r in rows:
            await self.session.delete(r)
        await self.session.flush()
        await self._bump()

    async def members(self) -> list[tuple[uuid.UUID, str]]:
        rows = await self.session.scalars(select(PolicyRule).where(PolicyRule.ptype == "g"))
        return [(uuid.UUID(r.v0.removeprefix("account:")), r.v1.removeprefix("role:")) for r in rows]
