"""The data catalogue (kernel/db/catalogue.py) covers every credential and every encrypted column.

A new credential-shaped column (a password, code or token hash, a secret, a private key) that is not
declared ``secret(...)`` would be written into the firm's export; an encrypted column (``*_enc``)
that is neither secret nor personal has no class for masking and erasure to act on. Both fail here,
for the kernel's, the estate's and every installed plugin's models.
"""

from __future__ import annotations

import re

import pytest

from kernel.db.base import Base
from kernel.db.catalogue import Personal, Secret, Withheld, classify, personal, secret
from tests.test_citus_invariants import _loaded_host

CREDENTIAL = re.compile(
    r"password|secret|token_hash|code_hash|recovery|private|^key_enc$|^code_enc$"
)


@pytest.fixture(scope="module")
def columns():  # type: ignore[no-untyped-def]
    _loaded_host()
    return [
        (table.name, column) for table in Base.metadata.sorted_tables for column in table.columns
    ]


def test_every_credential_column_is_secret(columns) -> None:  # type: ignore[no-untyped-def]
    unclassified = [
        f"{t}.{c.name}"
        for t, c in columns
        if CREDENTIAL.search(c.name) and not isinstance(classify(c), Secret)
    ]
    assert not unclassified, f"declare these info=secret(...): {unclassified}"
    # the pattern sees what it must (a guard against a pattern that matches nothing)
    assert {"accounts.password_hash", "refresh_tokens.token_hash", "chain_keys.key_enc"} <= {
        f"{t}.{c.name}" for t, c in columns if CREDENTIAL.search(c.name)
    }


def test_every_encrypted_column_is_classified(columns) -> None:  # type: ignore[no-untyped-def]
    unclassified = [
        f"{t}.{c.name}"
        for t, c in columns
        if c.name.endswith("_enc") and not isinstance(classify(c), Secret | Personal)
    ]
    assert not unclassified, f"declare these info=personal(...) or info=secret(...): {unclassified}"


def test_ballots_are_withheld(columns) -> None:  # type: ignore[no-untyped-def]
    by_name = {f"{t}.{c.name}": classify(c) for t, c in columns}
    assert isinstance(by_name["gov_votes.choice"], Withheld)


def test_classes_are_checked() -> None:
    assert isinstance(personal("health", "core")["linli.data"], Personal)
    assert isinstance(secret("x")["linli.data"], Secret)
    with pytest.raises(ValueError, match="category"):
        personal("favourite colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        personal("health", "secret")  # type: ignore[arg-type]
