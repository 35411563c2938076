"""The fee vocabularies, defined once: the service validates against them, GraphQL shows them as
enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`), so variables and
results carry the same words as before."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import values

__all__ = ["FeeBillStatus", "FeeCounterMethod", "FeeItemKind", "values"]


@strawberry.enum(
    description="How a fee item is charged: by area (per m² per month), fixed (per month) or by meter (per unit consumed)."
)
class FeeItemKind(StrEnum):
    area = "area"
    fixed = "fixed"
    meter = "meter"


@strawberry.enum(description="Where a bill stands: open (nothing paid), partial, paid.")
class FeeBillStatus(StrEnum):
    open = "open"
    partial = "partial"
    paid = "paid"


@strawberry.enum(
    description="How money was taken at the property office: cash (provider counter) or a bank transfer (provider transfer)."
)
class FeeCounterMethod(StrEnum):
    cash = "counter"
    transfer = "transfer"
