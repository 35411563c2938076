"""The log redaction processor (kernel/logging.py): personal numbers are masked in free text,
identifiers that merely contain digit runs (request ids, uuids) are left readable."""

from __future__ import annotations

from kernel.logging import redact


def _redacted(**event: object) -> dict[str, object]:
    return dict(redact(None, "info", dict(event)))


def test_phone_and_id_numbers_in_text_are_masked() -> None:
    out = _redacted(event="x", note="请联系13812345678或身份证11010119900307123X, Bearer abc.def")
    assert out["note"] == "请联系[phone]或身份证[id], Bearer [redacted]"


def test_a_request_id_starting_with_phone_shaped_digits_stays_intact() -> None:
    request_id = "13812345678e4c1895ee826ec023cc66"
    out = _redacted(event="request", request_id=request_id, target="uuid 1381234567-8")
    assert out["request_id"] == request_id
    assert out["target"] == "uuid 1381234567-8"


def test_sensitive_keys_are_dropped_whatever_their_value() -> None:
    out = _redacted(event="x", password="hunter2", nested={"refresh_token": "r", "ok": 1})
    assert out["password"] == "[redacted]"
    assert out["nested"] == {"refresh_token": "[redacted]", "ok": 1}
