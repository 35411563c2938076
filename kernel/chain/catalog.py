"""The contract catalog: every contract role a community is deployed with, who contributes it, and how the
relayer and the indexer treat its calls and events.

Built once per runtime from the kernel's own contracts (:mod:`kernel.chain.core`: the estate's registry and
the audit anchor) and every plugin's ``register_contracts`` contribution. Nothing here names a scenario.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts import Artifact, load_artifact
from kernel.plugins.contributions import CallBatch, CallVerdict, ContractContribution

if TYPE_CHECKING:  # web3 and eth-account load with the first chain operation, not at start-up
    from .client import ChainClient
    from .errors import ContractRevert

__all__ = ["CallOutcome", "ContractCatalog", "ContractConflict", "contract_catalog"]

#: A contract role: what ``enqueue_chain_call(contract=...)`` names and the deployment record keeps.
ROLE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
KERNEL = "kernel"


class ContractConflict(RuntimeError):
    """Two contributions claim one role, a role is malformed, or the deployment order cannot be met."""


@dataclass
class CallOutcome:
    """One relayed call's outcome as a contribution's ``classify`` sees it: a revert, or the decoded events
    of its receipt (for a batched call, only the events that belong to this intent)."""

    client: ChainClient
    contract: str
    address: str
    function: str
    args: list[Any]
    intent: str
    revert: ContractRevert | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


class ContractCatalog:
    """Contributions by role, checked: one owner per role, artifacts loaded, dependencies satisfiable."""

    def __init__(self) -> None:
        self._items: list[tuple[str, ContractContribution]] = []
        self._by_role: dict[str, tuple[str, ContractContribution]] = {}
        self._artifacts: dict[str, Artifact] = {}

    @classmethod
    def of(cls, items: Iterable[tuple[str, ContractContribution]]) -> ContractCatalog:
        catalog = cls()
        for plugin, contribution in items:
            catalog.add(plugin, contribution)
        catalog.ordered()  # fail early on a missing or circular dependency
        return catalog

    @classmethod
    def from_host(cls, host: Any) -> ContractCatalog:
        from .core import kernel_contracts

        items: list[tuple[str, ContractContribution]] = [(KERNEL, kernel_contracts())]
        for plugin, result in host.contract_contributions():
            for contribution in result if isinstance(result, (list, tuple)) else [result]:
                items.append((plugin, contribution))
        return cls.of(items)

    def add(self, plugin: str, contribution: ContractContribution) -> None:
        if not isinstance(contribution, ContractContribution):
            raise ContractConflict(f"plugin {plugin!r}: register_contracts must return ContractContribution objects")
        for role, artifact in contribution.artifacts.items():
            if not ROLE.match(role):
                raise ContractConflict(f"plugin {plugin!r}: contract role {role!r} must match {ROLE.pattern}")
            if role in self._by_role:
                raise ContractConflict(f"contract role {role!r} is contributed by both {self._by_role[role][0]!r} and {plugin!r}")
            self._by_role[role] = (plugin, contribution)
            self._artifacts[role] = artifact if isinstance(artifact, Artifact) else load_artifact(artifact)
        self._items.append((plugin, contribution))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self._by_role)

    def __contains__(self, role: object) -> bool:
        return role in self._by_role

    def artifact(self, role: str) -> Artifact:
        try:
            return self._artifacts[role]
        except KeyError:
            raise ValueError(f"unknown contract {role!r}; one of {', '.join(self._by_role)}") from None

    def artifacts(self) -> list[Artifact]:
        return list(self._artifacts.values())

    def owner(self, role: str) -> str | None:
        found = self._by_role.get(role)
        return found[0] if found else None

    def contribution(self, role: str) -> ContractContribution | None:
        found = self._by_role.get(role)
        return found[1] if found else None

    def batch_for(self, role: str, function: str) -> CallBatch | None:
        contribution = self.contribution(role)
        return contribution.batch_for(function) if contribution else None

    def ordered(self) -> list[tuple[str, ContractContribution]]:
        """Contributions in deployment order (each after the roles its ``after`` names)."""
        done: set[str] = set()
        pending = list(self._items)
        out: list[tuple[str, ContractContribution]] = []
        while pending:
            ready = [(p, c) for p, c in pending if set(c.after) <= done]
            if not ready:
                unmet = {p: sorted(set(c.after) - done) for p, c in pending}
                raise ContractConflict(f"contract deployment order cannot be met (missing or circular 'after'): {unmet}")
            for item in ready:
                pending.remove(item)
                out.append(item)
                done.update(item[1].roles)
        return out

    async def classify(self, outcome: CallOutcome) -> CallVerdict:
        """The verdict on a call: the owning contribution's ``classify``, then its error sets, then the default
        (a revert fails the intent, a receipt confirms it)."""
        contribution = self.contribution(outcome.contract)
        if contribution is not None and contribution.classify is not None:
            verdict = await contribution.classify(outcome)
            if verdict is not None:
                return verdict
        if outcome.revert is None:
            return CallVerdict("confirmed")
        name = outcome.revert.error_name or "revert"
        if contribution is not None and name in contribution.done_errors:
            return CallVerdict("done", name)
        if contribution is not None and name in contribution.retry_errors:
            return CallVerdict("retry", f"{outcome.intent}: {outcome.revert}")
        return CallVerdict("failed", name)


_CATALOG = "chain.catalog"


def contract_catalog(runtime: Any) -> ContractCatalog:
    """The runtime's catalog (built from its plugin host on first use)."""
    catalog = runtime.services.get(_CATALOG)
    if catalog is None:
        catalog = runtime.services[_CATALOG] = ContractCatalog.from_host(runtime.host)
    return catalog  # type: ignore[no-any-return]
