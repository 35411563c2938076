"""The fund's input models: each bad value is BAD_USER_INPUT naming the GraphQL field, with the
message the service used to write by hand; good values come back normalised."""

from __future__ import annotations

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.funds.inputs import (
    MAX_AMOUNT,
    Deposit,
    Disbursement,
    EmergencyDisbursement,
    RevenueReceipt,
)


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (
            Deposit,
            {"amount_fen": 0, "bank_ref": "B1"},
            "amountFen",
            "an amount is a positive whole number of fen",
        ),
        (
            Deposit,
            {"amount_fen": True, "bank_ref": "B1"},
            "amountFen",
            "an amount is a positive whole number of fen",
        ),
        (
            Deposit,
            {"amount_fen": 1.5, "bank_ref": "B1"},
            "amountFen",
            "an amount is a positive whole number of fen",
        ),
        (
            Deposit,
            {"amount_fen": MAX_AMOUNT + 1, "bank_ref": "B1"},
            "amountFen",
            f"an amount is at most {MAX_AMOUNT} fen",
        ),
        (
            Deposit,
            {"amount_fen": 5, "bank_ref": "   "},
            "bankRef",
            "the bank reference is required (at most 200 characters)",
        ),
        (
            Disbursement,
            {"title": "x" * 201, "payee": "p", "amount_fen": 5},
            "title",
            "a title is required (at most 200 characters)",
        ),
        (
            Disbursement,
            {"title": "t", "payee": "", "amount_fen": 5},
            "payee",
            "the payee is required (at most 200 characters)",
        ),
        (
            EmergencyDisbursement,
            {"title": "t", "payee": "p", "amount_fen": 5, "disclosure": " short "},
            "disclosure",
            None,
        ),
        (RevenueReceipt, {"source": "lottery", "amount_fen": 5, "source_ref": "R"}, "source", None),
        (
            RevenueReceipt,
            {"source": "parking", "amount_fen": 5, "source_ref": ""},
            "sourceRef",
            None,
        ),
    ],
)
def test_bad_input_names_the_field(model, fields, field, message):  # type: ignore[no-untyped-def]
    with pytest.raises(BadUserInput) as caught:
        parse_input(model, **fields)
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "field": field}
    if message is not None:
        assert caught.value.message == message


def test_good_input_is_normalised():
    d = parse_input(
        EmergencyDisbursement,
        title=" 电梯抢修 ",
        payee=" 某电梯公司 ",
        amount_fen=120_000,
        disclosure="  3号楼电梯困人后主板烧毁，委员会决定紧急维修  ",
    )
    assert (d.title, d.payee, d.amount_fen) == ("电梯抢修", "某电梯公司", 120_000)
    assert d.disclosure.startswith("3号楼")
    assert parse_input(Deposit, amount_fen=MAX_AMOUNT, bank_ref=" B-9 ").bank_ref == "B-9"
