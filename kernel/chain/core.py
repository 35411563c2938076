"""The kernel's own contracts: ``OwnersRegistry`` (the estate's units, areas and persons, mirrored by
:mod:`kernel.chain.units`) and ``AuditAnchor`` (the audit log's head, anchored by the indexer's job).

They are contributed to the catalog like any plugin's contracts, under the plugin name ``kernel``; they are
not a scenario: every scenario's contract builds on the registry's units and areas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from kernel.plugins.contributions import ContractContribution

from .deploy import DeployContext
from .models import ChainUnit

__all__ = ["kernel_contracts"]


async def _deploy(ctx: DeployContext) -> Mapping[str, str]:
    registry = await ctx.deploy("registry", ctx.admin)
    audit = await ctx.deploy("audit", ctx.admin)
    return {"registry": registry.address, "audit": audit.address}


async def _reconcile(ctx: Any) -> None:
    """The registry's ``unitCount`` against indexed ``UnitRegistered`` events and the units the platform
    registered; the anchor's ``anchorCount`` against indexed ``Anchored`` events."""
    registered = ctx.events("UnitRegistered")
    unit_count = int(await ctx.client.call(ctx.contract("registry").functions.unitCount()))
    ours = len((await ctx.session.scalars(select(ChainUnit.id).where(ChainUnit.community_id == ctx.community_id))).all())
    if unit_count != len(registered):
        ctx.mismatch(f"registry: unitCount {unit_count} != indexed UnitRegistered {len(registered)}")
    if unit_count != ours:
        ctx.mismatch(f"registry: unitCount {unit_count} != units registered by the platform {ours}")
    ctx.checked["units"] = unit_count
    anchored = ctx.events("Anchored")
    anchors = int(await ctx.client.call(ctx.contract("audit").functions.anchorCount()))
    if anchors != len(anchored):
        ctx.mismatch(f"audit: anchorCount {anchors} != indexed Anchored {len(anchored)}")
    ctx.checked["anchors"] = anchors


def kernel_contracts() -> ContractContribution:
    """The registry and the audit anchor, their "already done" and "not yet" errors, and their reconcile check."""
    return ContractContribution(
        artifacts={"registry": "OwnersRegistry", "audit": "AuditAnchor"},
        deploy=_deploy,
        # A re-delivered registration or anchoring finds its effect already there.
        done_errors=frozenset({"AuditAnchorCountNotIncreasing", "RegistryUnitAlreadyInScope", "RegistrySameOwner"}),
        # Areas are locked while a contract apportions by them (a locker role holds them): correct them after.
        retry_errors=frozenset({"RegistryAreasLocked"}),
        reconcile=_reconcile,
    )
