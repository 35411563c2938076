"""The governance vocabularies, defined once: the models constrain the stored strings to them,
GraphQL shows them as enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`),
and the GraphQL words are the same, so a client reads ``"voting"`` as it always has."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import values

__all__ = ["ProposalStatus", "values"]


@strawberry.enum(
    description=(
        "Where a proposal stands: draft → published → voting → preliminary → objection → final "
        "(or defeated, defeated_no_quorum) → executed; or cancelled."
    )
)
class ProposalStatus(StrEnum):
    draft = "draft"
    published = "published"
    voting = "voting"
    preliminary = "preliminary"
    objection = "objection"
    final = "final"
    defeated = "defeated"
    defeated_no_quorum = "defeated_no_quorum"
    executed = "executed"
    cancelled = "cancelled"
