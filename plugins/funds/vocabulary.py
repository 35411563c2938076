"""The funds vocabularies, defined once: the models and the input models validate against them,
GraphQL shows them as enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`);
the member names are the GraphQL words, upper case as the funds API has always spelled them
(``DEPOSIT``, ``ELEVATOR_ADS``, ``AWAITING_VOTE``)."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import values

__all__ = ["DisbursementKind", "DisbursementStatus", "FundFlowKind", "RevenueSource", "values"]


@strawberry.enum(description="资金流水类别")
class FundFlowKind(StrEnum):
    DEPOSIT = "deposit"
    INTEREST = "interest"
    ALLOCATION = "allocation"
    DISBURSEMENT = "disbursement"
    EMERGENCY = "emergency"
    TRANSFER = "transfer"
    REVENUE = "revenue"
    RATIO = "ratio"


@strawberry.enum(description="公共收益来源")
class RevenueSource(StrEnum):
    ELEVATOR_ADS = "elevator_ads"
    PARKING = "parking"
    VENUE_RENTAL = "venue_rental"
    OTHER = "other"


@strawberry.enum(description="A voted use of the fund, or an emergency use by the owners' committee.")
class DisbursementKind(StrEnum):
    VOTED = "voted"
    EMERGENCY = "emergency"


@strawberry.enum(description="awaiting_vote → executed, or cancelled; an emergency use is executed at once.")
class DisbursementStatus(StrEnum):
    AWAITING_VOTE = "awaiting_vote"
    EXECUTED = "executed"
    CANCELLED = "cancelled"
