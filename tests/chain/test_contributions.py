"""Contracts as contributions (``register_contracts``), named services (``register_services``) and demo data
(``on_demo_seeded``): a third-party plugin defined here contributes a contract of its own, gets it deployed
for a community, its errors classified by the relayer and its events projected by the indexer — through
``kernel.sdk`` alone, like any plugin. Also the catalog's checks and the k0007 migration of deployment
records. SQLite + embedded EVM and PostgreSQL + anvil."""

from __future__ import annotations

import dataclasses
import types
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from contracts import load_artifact
from kernel.audit import AuditEntry
from kernel.chain import ContractCatalog, ContractConflict
from kernel.chain.core import kernel_contracts
from kernel.outbox import OutboxMessage
from kernel.sdk import (
    SDK_API_VERSION,
    CallOutcome,
    CallVerdict,
    ChainEvent,
    ContractContribution,
    DeployContext,
    PluginManifest,
    ProjectionContext,
    audit,
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    hookimpl,
    service,
    transaction_for,
)
from kernel.testing import unique_slug
from tenants.estate import service as estate
from tenants.lifecycle import provision

pytestmark = pytest.mark.usefixtures("fast_passwords")

#: The plugin's own artifact: the audit anchor's bytecode under another name (as a plugin would ship a
#: contract compiled into its own package), unknown to ``contracts/artifacts``.
NOTARY = dataclasses.replace(load_artifact("AuditAnchor"), name="NotaryAnchor")


def notary_plugin(projected: list[dict[str, Any]]) -> types.ModuleType:
    """A third-party plugin: one contract role ``notary``, deployed after the kernel's registry; its
    "count not increasing" revert is *done* when the same count was anchored already and *failed* when the
    count went back; a zero head is *retry*; ``Anchored`` is projected (an audit entry + the test's list)."""

    async def deploy(ctx: DeployContext) -> Mapping[str, str]:
        assert "registry" in ctx.addresses  # ``after`` holds
        notary = await ctx.deploy("notary", ctx.admin)
        return {"notary": notary.address}

    async def classify(outcome: CallOutcome) -> CallVerdict | None:
        revert = outcome.revert
        if revert is not None and revert.error_name == "AuditAnchorCountNotIncreasing":
            previous, wanted = (int(x) for x in revert.error_args)
            return CallVerdict("done", "NotaryAlreadyAnchored") if wanted == previous else CallVerdict("failed", "NotaryCountWentBack")
        return None

    async def on_anchored(ctx: ProjectionContext) -> None:
        projected.append({"contract": ctx.contract, "community": ctx.community_id, **ctx.event.args})
        await audit(ctx.session, tenant_id=ctx.session.info["tenant_id"], actor="plugin:notary", action="notary.anchored",
                    target=str(ctx.community_id), detail={"count": int(ctx.event.args["entryCount"])})

    def register_contracts() -> ContractContribution:
        return ContractContribution(
            artifacts={"notary": NOTARY},
            deploy=deploy,
            after=("registry",),
            retry_errors=frozenset({"AuditAnchorZeroHead"}),
            classify=classify,
            projections={"Anchored": on_anchored},
        )

    module = types.ModuleType("test_plugin_notary")
    module.MANIFEST = PluginManifest(name="notary", version="1.0.0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]
    module.register_contracts = hookimpl(register_contracts)  # type: ignore[attr-defined]
    return module


async def new_community(runtime) -> tuple[uuid.UUID, uuid.UUID]:  # type: ignore[no-untyped-def]
    p = await provision(runtime, slug=unique_slug("notary"), name="notary", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    async with runtime.db.tenant(p.tenant_id) as s:
        c = await estate.create_community(s, code="N1", name="公证社区")
    return p.tenant_id, c.id


async def anchor(runtime, tid, community, intent: str, head: str, count: int) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tid) as s:
        await enqueue_chain_call(s, community_id=community, contract="notary", function="anchor", args=[head, count], intent=intent)


async def test_hook_register_contracts(chain_runtime, make_runtime, linli_backend, anvil_node) -> None:  # type: ignore[no-untyped-def]
    # A community deployed before the plugin was installed ...
    before = chain_runtime
    tid, community = await new_community(before)
    async with before.db.tenant(tid) as s:
        assert "notary" not in (await ensure_community_contracts(before, s, community)).roles
    # ... gets the plugin's contract when its contracts are next ensured (same chain, same database).
    projected: list[dict[str, Any]] = []
    runtime = make_runtime(chain_url=anvil_node.url, extra_plugins=[notary_plugin(projected)]) if linli_backend == "postgres" \
        else make_runtime(extra_plugins=[notary_plugin(projected)])
    if linli_backend == "sqlite":
        runtime.services["chain"] = await chain_client(before)  # the embedded EVM lives in the first runtime
    client = await chain_client(runtime)
    async with runtime.db.tenant(tid) as s:
        d = await ensure_community_contracts(runtime, s, community)
        assert set(d.roles) >= {"registry", "audit", "notary"}
        assert d.rows["notary"].artifact == "NotaryAnchor"
        assert d.address_of("registry") == (await deployment_for(s, community)).address_of("registry")  # not redeployed
        with pytest.raises(ValueError, match="unknown contract 'bank'"):
            d.address_of("bank")
    assert await client.w3.eth.get_code(d.address_of("notary")) == await client.w3.eth.get_code(d.address_of("audit"))

    head1, head2 = "0x" + "11" * 32, "0x" + "22" * 32
    await anchor(runtime, tid, community, "notary:1", head1, 1)
    await anchor(runtime, tid, community, "notary:1-again", head2, 1)  # same count: already done
    await anchor(runtime, tid, community, "notary:back", head2, 0)  # count went back: failed
    await runtime.outbox.drain(tid)
    async with runtime.db.tenant(tid) as s:
        done = {i: await transaction_for(s, i) for i in ("notary:1", "notary:1-again", "notary:back")}
        assert (done["notary:1"].status, done["notary:1"].error_name) == ("confirmed", None)
        assert done["notary:1"].result[0]["event"] == "Anchored"
        assert (done["notary:1-again"].status, done["notary:1-again"].error_name) == ("skipped", "NotaryAlreadyAnchored")
        assert (done["notary:back"].status, done["notary:back"].error_name) == ("reverted", "NotaryCountWentBack")
    notary = client.contract("NotaryAnchor", d.address_of("notary"))
    assert await client.call(notary.functions.anchorCount()) == 1

    # A zero head is "not yet" for this plugin: the relayer raises, the outbox keeps the message for a retry.
    await anchor(runtime, tid, community, "notary:zero", "0x" + "00" * 32, 2)
    from kernel.chain.relay import RetryLater, make_chain_deliverer

    with pytest.raises(RetryLater):
        async with runtime.db.tenant(tid) as s:
            msg = await s.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "chain:notary:zero"))
            await make_chain_deliverer(runtime)(s, msg)
    async with runtime.db.tenant(tid) as s:
        assert (await transaction_for(s, "notary:zero")).status == "pending"

    # The indexer stores the plugin's events and hands Anchored to its projection, once.
    from kernel.chain.indexer import index_deployment

    async with runtime.db.tenant(tid) as s:
        stored = await index_deployment(runtime, s, await deployment_for(s, community))
        assert stored >= 1
        assert await index_deployment(runtime, s, await deployment_for(s, community)) == 0
        events = (await s.scalars(select(ChainEvent).where(ChainEvent.contract == "notary"))).all()
        names = [e.event for e in events]  # the constructor's RoleGranted too: the cursor starts at the deployment
        assert names.count("Anchored") == 1 and "RoleGranted" in names
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "notary.anchored"))
        assert entry is not None and entry.actor == "plugin:notary"
    assert [(p["contract"], p["community"], int(p["entryCount"])) for p in projected] == [("notary", community, 1)]
    assert str(projected[0]["head"]).lower() == head1

    # Another tenant cannot reach the community's contracts: its session sees no deployment.
    other, _ = await new_community(runtime)
    async with runtime.db.tenant(other) as s:
        assert await deployment_for(s, community) is None


def test_the_catalog_refuses_conflicts_bad_roles_and_unmet_order() -> None:
    mine = ContractContribution(artifacts={"notary": NOTARY})
    catalog = ContractCatalog.of([("kernel", kernel_contracts()), ("notary", mine)])
    assert catalog.roles == ("registry", "audit", "notary") and catalog.owner("notary") == "notary"
    with pytest.raises(ContractConflict, match="contributed by both 'kernel' and 'thief'"):
        ContractCatalog.of([("kernel", kernel_contracts()), ("thief", ContractContribution(artifacts={"registry": NOTARY}))])
    with pytest.raises(ContractConflict, match="must match"):
        ContractCatalog.of([("bad", ContractContribution(artifacts={"Not A Role!": NOTARY}))])
    with pytest.raises(ContractConflict, match="cannot be met"):
        ContractCatalog.of([("lonely", ContractContribution(artifacts={"notary": NOTARY}, after=("bank",)))])
    with pytest.raises(ContractConflict, match="must return ContractContribution"):
        ContractCatalog.of([("wrong", {"notary": NOTARY})])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown call outcome"):
        CallVerdict("maybe")
    with pytest.raises(FileNotFoundError):
        ContractCatalog.of([("typo", ContractContribution(artifacts={"notary": "NoSuchContract"}))])


async def test_the_builtin_scenarios_contribute_their_own_contracts(runtime) -> None:  # type: ignore[no-untyped-def]
    from kernel.chain.catalog import contract_catalog

    catalog = contract_catalog(runtime)
    assert {catalog.owner(r) for r in ("registry", "audit")} == {"kernel"}
    assert catalog.owner("governance") == "governance" and catalog.owner("fund") == "funds"
    order = [role for _, c in catalog.ordered() for role in c.roles]
    assert order.index("registry") < order.index("governance") < order.index("fund")
    assert catalog.batch_for("governance", "castVotesBySig") is not None and catalog.batch_for("fund", "deposit") is None


async def test_hook_register_services(make_runtime) -> None:  # type: ignore[no-untyped-def]
    async def facts(session, proposal_id):  # type: ignore[no-untyped-def]
        return {"id": proposal_id}

    def offered() -> dict[str, Any]:
        return {"oracle.facts": facts}

    module = types.ModuleType("test_plugin_oracle")
    module.MANIFEST = PluginManifest(name="oracle", version="1.0.0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]
    module.register_services = hookimpl(offered)  # type: ignore[attr-defined]
    rt = make_runtime(extra_plugins=[module])
    assert service(rt, "oracle.facts") is facts
    assert service(rt, "governance.proposal_facts") is not None  # the built-in governance offers its facts
    assert service(rt, "oracle.unknown") is None and service(rt, "oracle.unknown", default=1) == 1

    async def stand_in(session, proposal_id):  # type: ignore[no-untyped-def]
        return None

    rt.services["oracle.facts"] = stand_in  # a test or another implementation replaces a service
    assert service(rt, "oracle.facts") is stand_in

    def squatter() -> dict[str, Any]:
        return {"governance.proposal_facts": facts}

    bad = types.ModuleType("test_plugin_squatter")
    bad.MANIFEST = PluginManifest(name="squatter", version="1.0.0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]
    bad.register_services = hookimpl(squatter)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="must be named 'squatter.<what>'"):
        service(make_runtime(extra_plugins=[bad]), "governance.proposal_facts")


async def test_hook_on_demo_seeded(make_runtime) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, uuid.UUID]] = []

    async def seeded(runtime, tenant_id):  # type: ignore[no-untyped-def]
        seen.append((type(runtime).__name__, tenant_id))

    module = types.ModuleType("test_plugin_demo")
    module.MANIFEST = PluginManifest(name="demo_data", version="1.0.0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]
    module.on_demo_seeded = hookimpl(seeded)  # type: ignore[attr-defined]
    rt = make_runtime(extra_plugins=[module])
    tid, _ = await new_community(rt)
    # What ``linli demo`` runs after seeding the estate.
    results = await rt.host.acall("on_demo_seeded", runtime=rt, tenant_id=tid)
    assert seen == [("Runtime", tid)]
    assert "governance" in [name for name, _ in results]  # the built-in seeds its proposal through the same hook
    from plugins.governance.models import Proposal

    async with rt.db.tenant(tid) as s:  # on the embedded EVM it seeds on start-up instead: nothing here
        assert await s.scalar(select(sa.func.count()).select_from(Proposal)) == 0


async def test_k0007_moves_each_address_into_its_own_row(linli_backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The migration on a database holding a k0003 deployment record: four rows, same cursor; and back."""
    import asyncio
    import os

    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from kernel.db.base import UTCDateTime
    from kernel.db.migrate import alembic_config
    from kernel.plugins.host import PluginHost
    from kernel.testing import POSTGRES_ENV, create_postgres_database

    drop = None
    if linli_backend == "sqlite":
        admin_url = f"sqlite+aiosqlite:///{tmp_path / 'k0007.db'}"
    else:
        _, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    host = PluginHost()
    host.load(entry_points=False)
    cfg = alembic_config(admin_url, host)
    engine = create_async_engine(admin_url)
    tenant, community = uuid.uuid4(), uuid.uuid4()
    old = {"registry": "0x" + "01" * 20, "governance": "0x" + "02" * 20, "fund": "0x" + "03" * 20, "audit": "0x" + "04" * 20}
    try:
        # the revision before k0007 (k0005, the per-tenant accounts, cannot be downgraded)
        await asyncio.to_thread(command.upgrade, cfg, "k0006")
        now = datetime.now(UTC)
        tenants = sa.table("tenants", *(sa.column(c, t) for c, t in (
            ("id", sa.Uuid()), ("slug", sa.String()), ("name", sa.String()), ("status", sa.String()), ("plan", sa.String()),
            ("policy_version", sa.Integer()), ("created_at", UTCDateTime(timezone=True)))))
        k0003 = sa.table("chain_deployments", *(sa.column(c, t) for c, t in (
            ("id", sa.Uuid()), ("tenant_id", sa.Uuid()), ("community_id", sa.Uuid()), ("chain_id", sa.BigInteger()),
            *((role, sa.String()) for role in old), ("deployed_block", sa.BigInteger()), ("indexed_block", sa.BigInteger()),
            ("created_at", UTCDateTime(timezone=True)))))
        async with engine.begin() as conn:
            await conn.execute(sa.insert(tenants).values(id=tenant, slug="k7", name="k7", status="active", plan="standard", policy_version=0, created_at=now))
            await conn.execute(sa.insert(k0003).values(id=uuid.uuid4(), tenant_id=tenant, community_id=community, chain_id=31337,
                                                       deployed_block=7, indexed_block=42, created_at=now, **old))
        await asyncio.to_thread(command.upgrade, cfg, "k0007")
        async with engine.begin() as conn:
            columns = (("tenant_id", sa.Uuid()), ("community_id", sa.Uuid()), ("contract", sa.String()), ("artifact", sa.String()),
                       ("address", sa.String()), ("chain_id", sa.BigInteger()), ("deployed_block", sa.BigInteger()), ("indexed_block", sa.BigInteger()))
            rows = (await conn.execute(sa.select(sa.table("chain_deployments", *(sa.column(c, t) for c, t in columns))))).all()
        assert sorted((r.contract, r.artifact, r.address) for r in rows) == sorted([
            ("registry", "OwnersRegistry", old["registry"]), ("governance", "OwnersGovernance", old["governance"]),
            ("fund", "MaintenanceFund", old["fund"]), ("audit", "AuditAnchor", old["audit"])])
        assert {(r.tenant_id, r.community_id, r.chain_id, r.deployed_block, r.indexed_block) for r in rows} == {
            (tenant, community, 31337, 7, 42)}
        if linli_backend == "postgres":
            async with engine.begin() as conn:
                policies = await conn.scalar(sa.text("SELECT count(*) FROM pg_policies WHERE tablename = 'chain_deployments'"))
                forced = await conn.scalar(sa.text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'chain_deployments'"))
            assert policies == 1 and forced
        await asyncio.to_thread(command.downgrade, cfg, "k0006")
        async with engine.begin() as conn:
            back = (await conn.execute(sa.text("SELECT registry, governance, fund, audit, indexed_block FROM chain_deployments"))).all()
        assert [tuple(b) for b in back] == [(old["registry"], old["governance"], old["fund"], old["audit"], 42)]
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()
