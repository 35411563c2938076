"""The maintenance-fund plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``amountFen``, ``bankRef``,
``title``, ``payee``, ``disclosure``, ``source``, ``sourceRef``, ``deedRef``). What needs the
database or the chain (does the unit exist, is it registered, is the balance enough) is the
service's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from plugins.funds.models import REVENUE_SOURCES

#: A sub-ledger balance is a uint48 on chain.
MAX_AMOUNT = 2**48 - 1
MAX_REF = 200
MIN_DISCLOSURE = 10


def _fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("an amount is a positive whole number of fen")
    if value > MAX_AMOUNT:
        raise ValueError(f"an amount is at most {MAX_AMOUNT} fen")
    return value


def _reference(what: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = str(value or "").strip()
        if not text or len(text) > MAX_REF:
            raise ValueError(f"{what} is required (at most {MAX_REF} characters)")
        return text

    return check


#: A positive amount of fen that fits a sub-ledger.
Fen = Annotated[int, BeforeValidator(_fen)]
BankRef = Annotated[str, BeforeValidator(_reference("the bank reference"))]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)


class Deposit(_Input):
    """A deposit (one line of a bank statement) or bank interest: an amount and its bank
    reference."""

    amount_fen: Fen
    bank_ref: BankRef


class Amount(_Input):
    """An amount to apportion (``previewFundApportionment``)."""

    amount_fen: Fen


class Disbursement(_Input):
    """A use of the fund put to the owners' vote (``requestFundDisbursement``)."""

    title: Annotated[str, BeforeValidator(_reference("a title"))]
    payee: Annotated[str, BeforeValidator(_reference("the payee"))]
    amount_fen: Fen


def _disclosure(value: object) -> str:
    text = str(value or "").strip()
    if len(text) < MIN_DISCLOSURE:
        raise ValueError(
            f"an emergency use must be disclosed (at least {MIN_DISCLOSURE} characters: what, why, who)"
        )
    return text


class EmergencyDisbursement(Disbursement):
    """An emergency use by the owners' committee, with its mandatory disclosure."""

    disclosure: Annotated[str, BeforeValidator(_disclosure)]


def _source(value: object) -> str:
    if value not in REVENUE_SOURCES:
        raise ValueError(f"a revenue source is one of {', '.join(REVENUE_SOURCES)}")
    return str(value)


class RevenueReceipt(_Input):
    """Public revenue (公共收益) received: its source, amount and receipt reference."""

    source: Annotated[str, BeforeValidator(_source)]
    amount_fen: Fen
    source_ref: Annotated[str, BeforeValidator(_reference("the receipt reference"))]


class DeedTransfer(_Input):
    """A sale: the deed (不动产权证) the sub-ledger follows."""

    deed_ref: Annotated[str, BeforeValidator(_reference("the deed (不动产权证) reference"))]
