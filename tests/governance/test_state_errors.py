"""A refused workflow step reads as a sentence naming the proposal's state and the rule, with the
status and the step in the error's extensions (the voting client words them in Chinese or English)."""

from __future__ import annotations

import re

from kernel.sdk import Conflict
from plugins.governance import models as m
from plugins.governance.service import STATUS_PHRASES, STEPS, _require, state_conflict


def test_every_refusal_is_a_sentence_with_its_status_and_step() -> None:
    statuses = set(STATUS_PHRASES)
    assert statuses == {
        "draft",
        "published",
        "voting",
        "preliminary",
        "objection",
        "final",
        "executed",
        "defeated",
        "defeated_no_quorum",
        "cancelled",
    }
    refused = 0
    for step, (allowed, _) in STEPS.items():
        assert set(allowed) <= statuses, step
        for status in sorted(statuses - set(allowed)):
            error = state_conflict(status, step)
            text = error.message
            assert re.fullmatch(r"This proposal is [^;]+; [^;]+\.", text), text
            assert "needs it" not in text and "_" not in text, (
                text
            )  # no status codes, no "this needs it X"
            assert error.extensions == {"code": "CONFLICT", "status": status, "step": step}
            refused += 1
    assert refused > 50


def test_the_reported_messages_now_read_as_sentences() -> None:
    voting = m.Proposal(status="voting")
    try:
        _require(voting, "object")
    except Conflict as exc:
        assert exc.message == (
            "This proposal is open for voting; objections are taken only while the preliminary result is on notice."
        )
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("an objection to a proposal open for voting was accepted")
    try:
        _require(m.Proposal(status="objection"), "file")
    except Conflict as exc:
        assert exc.message == (
            "This proposal is in its objection period; only a decided proposal (final, carried out or not passed) can be filed."
        )
    else:  # pragma: no cover
        raise AssertionError("filing a proposal in its objection period was accepted")
    _require(m.Proposal(status="defeated_no_quorum"), "file")  # allowed: no error
