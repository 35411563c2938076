"""The catalogue's legal holds and retention declarations (kernel/db/catalogue.py): erasure and
retention read them, so they must be where the law needs them and name real columns."""

from __future__ import annotations

import pytest

from kernel.db.base import Base, UTCDateTime
from kernel.db.catalogue import (
    Retained,
    legal_hold,
    legal_hold_of,
    personal,
    retained,
    retention_of,
)
from tests.test_citus_invariants import _loaded_host


@pytest.fixture(scope="module")
def tables():  # type: ignore[no-untyped-def]
    _loaded_host()
    return Base.metadata.tables


def test_records_the_law_keeps_are_under_a_legal_hold(tables) -> None:  # type: ignore[no-untyped-def]
    held = {name for name, table in tables.items() if legal_hold_of(table)}
    # the owner register (Art. 278 counting), fund sub-ledgers, ballots and objections, the on-chain
    # register and voting addresses, the erasure record itself, and the closed login
    assert {"ownerships", "voter_designations", "fund_sub_ledgers", "gov_votes", "gov_objections",
            "chain_units", "chain_keys", "erasure_requests", "accounts"} <= held
    assert "persons" not in held and "residencies" not in held  # a renter is erased outright


def test_retained_tables_name_a_timestamp_and_erasable_data(tables) -> None:  # type: ignore[no-untyped-def]
    declared = {name: rule for name, table in tables.items() if (rule := retention_of(table))}
    assert {"grid_check_ins", "parking_gate_events"} <= set(declared)
    for name, rule in declared.items():
        column = tables[name].c.get(rule.after)
        assert column is not None and isinstance(column.type, UTCDateTime), (name, rule.after)
        assert not (rule.action == "delete" and legal_hold_of(tables[name])), f"{name}: a held table cannot expire"


def test_markers_are_checked() -> None:
    assert legal_hold_of(type("T", (), {"info": legal_hold("why")})()) == "why"
    assert legal_hold_of(type("C", (), {"info": personal("property", hold="Art. 278")})()) == "Art. 278"
    assert legal_hold_of(type("C", (), {"info": personal("property")})()) is None
    assert retention_of(type("T", (), {"info": retained("location", after="at")})()) == Retained("location", "at", "delete")
    with pytest.raises(ValueError, match="category"):
        retained("favourite colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action"):
        Retained("location", action="shred")
