"""GraphQL of owners' governance (see docs/governance.md, "For integrators (GraphQL)"), as the plugin
hands it to the schema composer.

The layers: :mod:`~plugins.governance.types` (proposal, tally, receipt, objection, filing; enums and the
``ChainId`` scalar), :mod:`~plugins.governance.queries`, :mod:`~plugins.governance.mutations`,
:mod:`~plugins.governance.repository` (reads and who sees what) and :mod:`~plugins.governance.service`
(the workflow).

Permissions (declared in :mod:`plugins.governance.plugin`): ``governance:manage`` (committee, tenant admin)
runs the workflow; ``governance:read`` (staff, committee, auditors) lists proposals and live participation;
``governance:vote`` (owners) sees the proposals covering their units, votes and objects. Nobody's API shows
an individual's choice except the voter's own receipt.
"""

from __future__ import annotations

from plugins.governance.mutations import GovernanceMutation
from plugins.governance.queries import GovernanceQuery
from plugins.governance.types import (
    SCALARS,
    ChainId,
    DocumentInput,
    Matter,
    MyUnitShare,
    Proposal,
    ProposalConnection,
    ProposalDocument,
    ProposalObjection,
    ProposalTally,
    ReceiptVerification,
    StreetFiling,
    VoteChoice,
    VoteReceipt,
)

__all__ = [
    "SCALARS",
    "ChainId",
    "DocumentInput",
    "GovernanceMutation",
    "GovernanceQuery",
    "Matter",
    "MyUnitShare",
    "Proposal",
    "ProposalConnection",
    "ProposalDocument",
    "ProposalObjection",
    "ProposalTally",
    "ReceiptVerification",
    "StreetFiling",
    "VoteChoice",
    "VoteReceipt",
]
