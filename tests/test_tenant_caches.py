"""Per-tenant state a process keeps is bounded (issue #17 part 5): casbin enforcers, in-process
rate buckets and data keys are least-recently-used caches of ``LINLI_TENANT_CACHE_SIZE`` /
``LINLI_RATE_BUCKET_CACHE_SIZE`` entries, with hit/miss/eviction metrics; an evicted tenant's
enforcer is rebuilt from its policies and decides exactly as before."""

from __future__ import annotations

import uuid

import pytest
from fixtures.estates import fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select

from kernel.caches import BoundedCache
from kernel.crypto import Vault
from kernel.identity.authz import role_subject
from kernel.identity.models import PolicyRule
from kernel.metrics import registry
from kernel.ratelimit import LocalBuckets, Rate
from kernel.tenancy import Tenant

MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def _sample(name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_bounded_cache_drops_the_least_recently_used():
    cache: BoundedCache[str, int] = BoundedCache("test_lru", 3)
    evicted_before = _sample("linli_tenant_cache_evictions_total", cache="test_lru")
    hits_before = _sample("linli_tenant_cache_lookups_total", cache="test_lru", outcome="hit")
    for i, key in enumerate("abc"):
        cache.put(key, i)
    assert cache.get("a") == 0  # a is now the most recent; b the least
    cache.put("d", 3)
    assert "b" not in cache and {"a", "c", "d"} == {k for k in "abcd" if k in cache}
    assert len(cache) == 3
    for i in range(100):
        cache.put(f"k{i}", i)
    assert len(cache) == 3 and cache.evictions == 101
    assert cache.get("a") is None and cache.get("k99") == 99
    assert cache.get("k99", fresh=lambda v: v != 99) is None  # stale: a miss
    assert (cache.hits, cache.misses) == (2, 2)
    assert cache.hit_rate == 0.5
    assert _sample("linli_tenant_cache_evictions_total", cache="test_lru") - evicted_before == 101
    assert _sample("linli_tenant_cache_lookups_total", cache="test_lru", outcome="hit") - hits_before == 2
    assert _sample("linli_tenant_cache_entries", cache="test_lru") == 3
    with pytest.raises(ValueError):
        BoundedCache("test_lru_zero", 0)


def test_rate_buckets_are_bounded_and_keep_the_recent_ones():
    rate = Rate(per_second=0.001, burst=2)
    buckets = LocalBuckets(max_keys=3)
    misses_before = _sample("linli_tenant_cache_lookups_total", cache="rate_buckets", outcome="miss")
    now = 1000.0
    # tenant t0 spends its whole burst; then 10 other tenants pass by, t0 staying in use
    assert buckets.take_many([(((("graphql", "t0"), rate),), 2.0)], now) == [(0, 0.0)]
    for i in range(1, 11):
        buckets.take_many([(((("graphql", f"t{i}"), rate),), 1.0), (((("graphql", "t0"), rate),), 1.0)], now)
        assert len(buckets) <= 3
    # t0 was used in every batch: never evicted, so still empty and refused
    [(short, wait)] = buckets.take_many([(((("graphql", "t0"), rate),), 1.0)], now)
    assert short == 1 and wait > 0
    assert buckets.evictions == 8 and buckets.misses == 11
    assert _sample("linli_tenant_cache_lookups_total", cache="rate_buckets", outcome="miss") - misses_before == 11
    # t1 was evicted: it comes back full (the documented cost of the bound)
    assert buckets.take_many([(((("graphql", "t1"), rate),), 2.0)], now) == [(0, 0.0)]


def test_data_keys_are_bounded_and_rederived():
    vault = Vault(MASTER, cache_size=2)
    tenants = [uuid.uuid4() for _ in range(5)]
    sealed = {t: vault.encrypt(t, f"13800000{i:03d}") for i, t in enumerate(tenants)}
    assert len(vault._keys) == 2
    for i, t in enumerate(tenants):  # the evicted tenants' keys are derived again, identically
        assert vault.decrypt(t, sealed[t]) == f"13800000{i:03d}"
    assert len(vault._keys) == 2


def test_tenant_cache_size_comes_from_settings(monkeypatch):
    from kernel.config import Settings

    monkeypatch.setenv("LINLI_TENANT_CACHE_SIZE", "7")
    monkeypatch.setenv("LINLI_RATE_BUCKET_CACHE_SIZE", "11")
    settings = Settings()
    assert (settings.tenant_cache_size, settings.rate_bucket_cache_size) == (7, 11)
    assert Settings(tenant_cache_size=1_000).tenant_cache_size == 1_000
    monkeypatch.setenv("LINLI_TENANT_CACHE_SIZE", "0")
    with pytest.raises(ValueError):
        Settings()


@pytest.mark.usefixtures("fast_passwords")
async def test_enforcers_are_bounded_and_an_evicted_tenant_is_rebuilt_exactly(make_runtime):
    from kernel.ratelimit import buckets_for
    from kernel.testing import unique_slug
    from tenants.lifecycle import provision

    runtime = make_runtime(tenant_cache_size=2, rate_bucket_cache_size=5)
    assert runtime.enforcers.max_tenants == 2
    assert buckets_for(runtime).local.max_keys == 5
    firms = []
    for _ in range(3):
        slug = unique_slug("lru")
        firms.append(await provision(runtime, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password="pw-" + slug))

    async def decisions(p):  # type: ignore[no-untyped-def]
        """The enforcer the cache hands out for ``p``'s tenant, and what it decides for its
        admin and for another firm's admin over every permission granted in the tenant."""
        async with runtime.db.tenant(p.tenant_id) as s:
            tenant = await s.get(Tenant, p.tenant_id)
            enforcer = await runtime.enforcers.get(s, tenant)
            grants = [(r.v1, r.v2) for r in await s.scalars(select(PolicyRule).where(PolicyRule.ptype == "p"))]
        stranger = next(f for f in firms if f is not p).admin_account_id
        return enforcer, (
            enforcer.roles_of(p.admin_account_id),
            [enforcer.allows(p.admin_account_id, o, a) for o, a in grants],
            [enforcer.allows(stranger, o, a) for o, a in grants],
            [enforcer.role_allows("tenant_admin", o, a) for o, a in grants],
        )

    first, before = await decisions(firms[0])
    assert before[0] == ["tenant_admin"] and any(before[1]) and not any(before[2])
    again, _ = await decisions(firms[0])
    assert again is first  # a hit
    await decisions(firms[1])
    await decisions(firms[2])  # the third tenant evicts the least recently used: firms[0]
    assert len(runtime.enforcers) == 2
    rebuilt, after = await decisions(firms[0])
    assert rebuilt is not first and rebuilt.tenant_id == firms[0].tenant_id
    assert after == before
    assert len(runtime.enforcers) == 2
    # 1 hit (the second lookup) out of 5
    assert runtime.enforcers.hit_rate == pytest.approx(1 / 5)
    async with runtime.db.tenant(firms[0].tenant_id) as s:
        roles = [r.v1 for r in await s.scalars(select(PolicyRule).where(PolicyRule.ptype == "g"))]
    assert role_subject("tenant_admin") in roles


@pytest.mark.usefixtures("fast_passwords")
async def test_revocation_sets_are_bounded_and_reloaded_after_eviction(make_runtime):
    from kernel.errors import Unauthenticated
    from kernel.identity.revocation import bump, cache_of
    from kernel.testing import unique_slug
    from tenants.lifecycle import provision

    runtime = make_runtime(tenant_cache_size=2)
    firms = []
    for _ in range(3):
        slug = unique_slug("rev")
        firms.append(await provision(runtime, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password="pw-" + slug))
    cache = cache_of(runtime)
    session_id = uuid.uuid4()

    async def check(p):  # type: ignore[no-untyped-def]
        async with runtime.db.tenant(p.tenant_id) as s:
            tenant = await s.get(Tenant, p.tenant_id)
            await cache.check(s, tenant, p.admin_account_id, session_id)

    async with runtime.db.tenant(firms[0].tenant_id) as s:  # the admin is deactivated
        from sqlalchemy import update

        from kernel.identity.models import Account

        await s.execute(update(Account).where(Account.id == firms[0].admin_account_id).values(disabled=True))
        await bump(s, firms[0].tenant_id)
    for p in firms:
        if p is firms[0]:
            with pytest.raises(Unauthenticated):
                await check(p)
        else:
            await check(p)
    assert len(cache) == 2  # firms[0] was evicted by the third tenant
    with pytest.raises(Unauthenticated):  # reloaded from the database: still refused
        await check(firms[0])
    assert len(cache) == 2
