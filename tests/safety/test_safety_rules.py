"""The safety rules on their own: what each alarm type's values must say, thresholds, floor
ranges, dedupe keys, and the profiles' event keys."""

from __future__ import annotations

from plugins.safety.profiles import EVENT_TYPES, PROFILES
from plugins.safety.rules import Effective, judge
from plugins.safety.vocabulary import ALARM_TYPES


def eff(alarm_type: str, **kw):  # type: ignore[no-untyped-def]
    d = ALARM_TYPES[alarm_type]
    return Effective(
        alarm_type,
        kw.get("enabled", True),
        kw.get("severity", d.severity),
        kw.get("threshold", d.threshold),
        None,
    )


def test_thrown_object_keeps_clip_and_floor_range_and_each_object_is_its_own_alarm():
    v = judge(
        "thrown_object",
        {"thrown_object": True, "floor_from": 14, "floor_to": 11, "clip_ref": "nvr-7/clip/991"},
        eff("thrown_object"),
        ts=1000,
        device_id="cam",
    )
    assert v is not None and (v.floor_from, v.floor_to, v.clip_ref) == (
        11,
        14,
        "nvr-7/clip/991",
    )  # swapped into order
    assert v.merge_open is False and v.dedupe == "thrown_object:cam:nvr-7/clip/991"
    assert (
        judge(
            "thrown_object", {"thrown_object": False}, eff("thrown_object"), ts=1, device_id="cam"
        )
        is None
    )
    assert (
        judge(
            "thrown_object",
            {"thrown_object": True},
            eff("thrown_object", enabled=False),
            ts=1,
            device_id="cam",
        )
        is None
    )


def test_fire_lane_needs_the_duration_threshold():
    rule = eff("fire_lane_blocked", threshold=600)
    assert (
        judge(
            "fire_lane_blocked",
            {"lane_blocked": True, "blocked_seconds": 599},
            rule,
            ts=1,
            device_id="c",
        )
        is None
    )
    v = judge(
        "fire_lane_blocked",
        {"lane_blocked": True, "blocked_seconds": 600},
        rule,
        ts=2,
        device_id="c",
    )
    assert v is not None and v.merge_open and v.severity == "major"
    assert (
        judge(
            "fire_lane_blocked",
            {"lane_blocked": False, "blocked_seconds": 9000},
            rule,
            ts=3,
            device_id="c",
        )
        is None
    )


def test_gas_raises_on_the_detector_state_or_the_firms_lel_threshold():
    rule = eff("gas_leak", threshold=20)
    assert (
        judge("gas_leak", {"gas_leak": False, "gas_lel": 19.5}, rule, ts=1, device_id="g") is None
    )
    assert (
        judge("gas_leak", {"gas_leak": False, "gas_lel": 20}, rule, ts=1, device_id="g") is not None
    )
    assert judge("gas_leak", {"gas_leak": True}, rule, ts=1, device_id="g").severity == "critical"  # type: ignore[union-attr]


def test_every_profile_reports_through_its_event_key():
    by_type = {p.type: p for p in PROFILES}
    assert set(EVENT_TYPES) == set(by_type)
    for type_, (key, alarm_type) in EVENT_TYPES.items():
        assert by_type[type_].event_keys == (key,) and alarm_type in ALARM_TYPES
    assert by_type["lift_controller"].command("hold_doors") is not None
