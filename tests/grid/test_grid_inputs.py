"""The grid plugin's input models: each bad value is BAD_USER_INPUT naming the GraphQL field, with
the message the services used to write by hand; good values come back normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.grid.inputs import (
    CheckInScan,
    Closing,
    Enrolment,
    GridName,
    IncidentNote,
    NewCheckpoint,
    NewIncident,
    NewRoute,
    Routing,
    VisitRecord,
)

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
INCIDENT = {"place": "3号楼门口", "category": "noise"}


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (GridName, {"name": "   "}, "name", "name is required"),
        (GridName, {"name": "x" * 61}, "name", "name has at most 60 characters"),
        (
            NewRoute,
            {"name": "夜巡", "interval_minutes": 29},
            "intervalMinutes",
            "a patrol period is 30 minutes to 7 days",
        ),
        (
            NewRoute,
            {"name": "夜巡", "interval_minutes": 60, "starts_at": datetime(2026, 5, 1)},
            "startsAt",
            "give the time with a time zone",
        ),
        (NewCheckpoint, {"name": None}, "name", "name is required"),
        (
            NewCheckpoint,
            {"name": "东门", "tag_code": "x" * 65},
            "tagCode",
            "tagCode has at most 64 characters",
        ),
        (
            CheckInScan,
            {"tag_code": "abc", "latitude": 31.2},
            "latitude",
            "give both latitude and longitude, or neither",
        ),
        (
            CheckInScan,
            {"tag_code": "abc", "latitude": 91.0, "longitude": 121.0},
            "latitude",
            "latitude is −90…90 and longitude −180…180",
        ),
        (CheckInScan, {"tag_code": " "}, "tagCode", "tagCode is required"),
        (NewIncident, {**INCIDENT, "place": ""}, "place", "place is required"),
        (
            NewIncident,
            {**INCIDENT, "photo_ref": "x" * 301},
            "photoRef",
            "photoRef has at most 300 characters",
        ),
        (NewIncident, {**INCIDENT, "category": "aliens"}, "category", "unknown incident category"),
        (Routing, {"to": "mayor"}, "to", "route to work_order or street_office"),
        (
            Routing,
            {"to": "street_office", "note": "x" * 1001},
            "note",
            "note has at most 1000 characters",
        ),
        (IncidentNote, {"note": ""}, "note", "note is required"),
        (Closing, {"resolution": "\n"}, "resolution", "resolution is required"),
        (Enrolment, {"tags": []}, "tags", "give one or more known tags"),
        (Enrolment, {"tags": ["unknown_tag"]}, "tags", "give one or more known tags"),
        (
            Enrolment,
            {"tags": ["elderly_alone"], "visit_every_days": 91},
            "visitEveryDays",
            "visits are every 1–90 days",
        ),
        (
            VisitRecord,
            {"now": NOW, "visited_at": datetime(2026, 5, 1)},
            "visitedAt",
            "give the time with a time zone",
        ),
        (
            VisitRecord,
            {"now": NOW, "visited_at": NOW + timedelta(minutes=6)},
            "visitedAt",
            "a visit cannot be in the future",
        ),
        (VisitRecord, {"now": NOW, "note": "x" * 2001}, "note", "note has at most 2000 characters"),
    ],
)
def test_bad_values_are_bad_user_input_naming_the_field(model, fields, field, message):
    with pytest.raises(BadUserInput) as caught:
        parse_input(model, **fields)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == field
    assert caught.value.message == message


def test_good_values_are_normalised():
    assert parse_input(GridName, name=" 一网格 ").name == "一网格"
    assert parse_input(NewCheckpoint, name="东门", tag_code=None).tag_code == ""
    scan = parse_input(CheckInScan, tag_code=" abc ", latitude=31.2, longitude=121.5)
    assert (scan.tag_code, scan.location) == ("abc", "31.200000,121.500000")
    assert parse_input(CheckInScan, tag_code="abc").location is None
    tags = parse_input(Enrolment, tags=["disabled", "elderly_alone", "disabled"]).tags
    assert tags == ["disabled", "elderly_alone"]
    visit = parse_input(VisitRecord, now=NOW, visited_at=NOW + timedelta(minutes=4), note=" ok ")
    assert (visit.note, visit.visited_at) == ("ok", NOW + timedelta(minutes=4))
