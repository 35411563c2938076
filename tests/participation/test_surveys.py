"""Surveys: one answer per household or per person, anonymous results suppressed under five
answers (the whole and each building), disclosure on closing, the street office's aggregate."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.participation.conftest import Firm, Hall, code_of, ext, gid, ok

CREATE = """mutation($c: ID!, $p: SurveyAnswerPer!, $k: SurveyKind!) {
  createSurvey(communityId: $c, title: "2026年度物业服务满意度", kind: $k, answerPer: $p,
               questions: ["保洁", "安保", "维修响应"]) { id status } }"""
ANSWER = (
    "mutation($s: ID!, $a: [Int!]!, $u: ID) { answerSurvey(surveyId: $s, answers: $a, unitId: $u) }"
)
RESULTS = "query($s: ID!) { surveyResults(surveyId: $s) { survey { status } groups { group answers suppressed mean questions { question mean distribution } } } }"


async def _survey(hall: Hall, firm: Firm, per: str, kind: str = "property_service") -> str:
    gql = hall.gql
    sid = ok(
        await gql(
            CREATE, {"c": firm.community, "p": per, "k": kind}, token=firm.tokens["committee"]
        )
    )["createSurvey"]["id"]
    assert (
        ok(
            await gql(
                "mutation($s: ID!) { openSurvey(surveyId: $s) { status } }",
                {"s": sid},
                token=firm.tokens["committee"],
            )
        )["openSurvey"]["status"]
        == "open"
    )
    return str(sid)


async def _answer(
    hall: Hall, firm: Firm, sid: str, who: str, answers: list[int], unit: uuid.UUID | None = None
) -> dict:  # type: ignore[type-arg]
    return await hall.gql(  # type: ignore[no-any-return]
        ANSWER,
        {"s": sid, "a": answers, "u": gid("Unit", unit) if unit else None},
        token=firm.tokens[who],
    )


async def test_one_answer_per_household_and_suppression_under_five(
    hall: Hall, gql, deliver, runtime
) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    sid = await _survey(hall, firm, "household")
    # a login living nowhere in the community does not even see its surveys
    assert code_of(await _answer(hall, firm, sid, "stranger", [5, 5, 5])) == "NOT_FOUND"
    assert code_of(await _answer(hall, firm, sid, "committee", [5, 5, 5])) == "FORBIDDEN"
    wrong = await _answer(hall, firm, sid, "A", [5, 5])
    assert code_of(wrong) == "BAD_USER_INPUT" and ext(wrong)["field"] == "answers"
    assert code_of(await _answer(hall, firm, sid, "A", [5, 6, 1])) == "BAD_USER_INPUT"

    for who, answers in (("A", [5, 4, 3]), ("B", [4, 4, 2]), ("D", [3, 5, 1]), ("F", [2, 3, 3])):
        assert ok(await _answer(hall, firm, sid, who, answers))["answerSurvey"] is True
    # the renter lives in unit 1 (A's household), G co-owns unit 6 with F: answered already
    for who in ("renter", "G"):
        again = await _answer(hall, firm, sid, who, [1, 1, 1])
        assert code_of(again) == "CONFLICT" and ext(again)["reason"] == "already_answered"

    # four answers: nothing is shown, for the whole or per building
    assert (
        code_of(await gql(RESULTS, {"s": sid}, token=firm.tokens["A"])) == "NOT_FOUND"
    )  # not closed yet
    four = ok(await gql(RESULTS, {"s": sid}, token=firm.tokens["committee"]))["surveyResults"][
        "groups"
    ]
    assert [
        (g["group"], g["answers"], g["suppressed"], g["mean"], g["questions"]) for g in four
    ] == [
        ("全部", 4, True, None, []),
        ("1幢", 2, True, None, []),
        ("2幢", 2, True, None, []),
    ]

    assert ok(await _answer(hall, firm, sid, "E", [1, 4, 4]))["answerSurvey"] is True
    ok(
        await gql(
            "mutation($s: ID!) { closeSurvey(surveyId: $s) { status } }",
            {"s": sid},
            token=firm.tokens["committee"],
        )
    )
    assert code_of(await _answer(hall, firm, sid, "C", [5, 5, 5])) == "CONFLICT"  # closed
    five = ok(await gql(RESULTS, {"s": sid}, token=firm.tokens["C"]))["surveyResults"]
    whole, b1, b2 = five["groups"]
    assert (whole["answers"], whole["suppressed"]) == (5, False)
    assert whole["questions"][0] == {
        "question": "保洁",
        "mean": 3.0,
        "distribution": [1, 1, 1, 1, 1],
    }
    assert whole["questions"][2]["mean"] == round((3 + 2 + 1 + 3 + 4) / 5, 2)
    assert whole["mean"] == round(sum([5, 4, 3, 4, 4, 2, 3, 5, 1, 2, 3, 3, 1, 4, 4]) / 15, 2)
    assert (b1["group"], b1["answers"], b1["suppressed"], b1["mean"]) == ("1幢", 2, True, None)
    assert (b2["group"], b2["answers"], b2["suppressed"], b2["mean"]) == ("2幢", 3, True, None)

    await deliver(firm.tenant)
    board = ok(
        await gql(
            "query($c: ID!) { disclosureBoard(communityId: $c) { title body } }",
            {"c": firm.community},
            token=firm.tokens["renter"],
        )
    )["disclosureBoard"]
    assert [b["title"] for b in board] == ["调查结果：2026年度物业服务满意度"]
    assert (
        "5 份答卷，平均 3.20" in board[0]["body"]
        and "1幢：答卷不足 5 份，不公布" in board[0]["body"]
    )

    # anonymous: no login, person or unit is stored with an answer
    from plugins.participation.models import SurveyResponse

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        rows = list(await s.scalars(select(SurveyResponse)))
    stored = " ".join(f"{r.respondent_hash} {r.building_id} {r.answers}" for r in rows)
    assert all(str(u) not in stored for u in [*firm.units, *firm.accounts.values()])


async def test_one_answer_per_person(hall: Hall, gql) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    sid = await _survey(hall, firm, "person", "satisfaction")
    # co-owners and a renter of the same units each answer once as persons
    for who in ("F", "G", "A", "renter"):
        assert ok(await _answer(hall, firm, sid, who, [4, 4, 4]))["answerSurvey"] is True
    assert code_of(await _answer(hall, firm, sid, "G", [1, 1, 1])) == "CONFLICT"


async def test_household_choice_and_foreign_ids(hall: Hall, gql) -> None:  # type: ignore[no-untyped-def]
    a, b = await hall.firm("surva"), await hall.firm("survb")
    sid = await _survey(hall, a, "household")
    other_unit = await _answer(hall, a, sid, "A", [3, 3, 3], unit=a.units[3])  # not A's unit
    assert code_of(other_unit) == "NOT_FOUND" and ext(other_unit)["field"] == "unitId"
    assert ok(await _answer(hall, a, sid, "A", [3, 3, 3], unit=a.units[0]))["answerSurvey"] is True
    # another firm's survey id
    assert code_of(await _answer(hall, b, sid, "A", [3, 3, 3])) == "NOT_FOUND"
    assert code_of(await gql(RESULTS, {"s": sid}, token=b.tokens["committee"])) == "NOT_FOUND"
    close = await gql(
        "mutation($s: ID!) { closeSurvey(surveyId: $s) { status } }",
        {"s": sid},
        token=b.tokens["committee"],
    )
    assert code_of(close) == "NOT_FOUND"
    # owners do not draft surveys; drafts are not shown to them
    assert (
        code_of(
            await gql(
                CREATE, {"c": a.community, "p": "household", "k": "other"}, token=a.tokens["A"]
            )
        )
        == "FORBIDDEN"
    )


async def test_the_street_office_reads_satisfaction_in_aggregate(hall: Hall, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    from kernel.identity.platform import create_platform_account

    street = f"S-{uuid.uuid4().hex[:6]}"
    a, b = await hall.firm("surst", street), await hall.firm("surot", "ELSEWHERE")
    sid = await _survey(hall, a, "household")
    for who in ("A", "B", "C", "D", "E"):
        ok(await _answer(hall, a, sid, who, [4, 5, 3]))
    small = await _survey(hall, a, "person", "satisfaction")
    ok(await _answer(hall, a, small, "A", [1, 1, 1]))
    await _survey(hall, a, "person", "other")  # not the street office's business
    await _survey(hall, b, "household")
    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        await create_platform_account(
            s, username, "street office 2026", "滨江街道办", regulator_street_code=street
        )
    token = await gql.login(username, "street office 2026")
    rows = ok(
        await gql(
            "{ participationStreetSatisfaction { firm community kind answers suppressed mean } }",
            token=token,
        )
    )["participationStreetSatisfaction"]
    assert rows == [
        {
            "firm": f"{a.tenant.slug} 物业",
            "community": "和谐家园",
            "kind": "property_service",
            "answers": 5,
            "suppressed": False,
            "mean": 4.0,
        },
        {
            "firm": f"{a.tenant.slug} 物业",
            "community": "和谐家园",
            "kind": "satisfaction",
            "answers": 1,
            "suppressed": True,
            "mean": None,
        },
    ]
    assert "regulator.read_participation_satisfaction" in await hall.audit_actions(
        a.tenant.tenant_id, "regulator."
    )
    assert (
        code_of(
            await gql(
                "{ participationStreetSatisfaction { answers } }", token=a.tokens["committee"]
            )
        )
        == "FORBIDDEN"
    )


async def test_the_job_closes_a_survey_at_its_closing_time(
    hall: Hall, gql, runtime, deliver
) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    from plugins.participation import check_deadlines

    firm = await hall.firm()
    closes = (datetime.now().astimezone() + timedelta(days=3)).replace(microsecond=0)
    created = await gql(
        'mutation($c: ID!, $at: DateTime!) { createSurvey(communityId: $c, title: "绿化满意度", kind: satisfaction, answerPer: person, questions: ["绿化养护"], closesAt: $at) { id closesAt } }',
        {"c": firm.community, "at": closes.isoformat()},
        token=firm.tokens["committee"],
    )
    sid = ok(created)["createSurvey"]["id"]
    past = await gql(
        'mutation($c: ID!, $at: DateTime!) { createSurvey(communityId: $c, title: "过期", kind: other, answerPer: person, questions: ["问题"], closesAt: $at) { id } }',
        {"c": firm.community, "at": "2020-01-01T00:00:00+08:00"},
        token=firm.tokens["committee"],
    )
    assert code_of(past) == "BAD_USER_INPUT" and ext(past)["field"] == "closesAt"
    ok(
        await gql(
            "mutation($s: ID!) { openSurvey(surveyId: $s) { status } }",
            {"s": sid},
            token=firm.tokens["committee"],
        )
    )
    ok(await _answer(hall, firm, sid, "A", [5]))
    only = {firm.tenant.tenant_id}
    await check_deadlines(runtime, now=closes - timedelta(minutes=1), only=only)
    status = "{ surveys { id status } }"
    assert ok(await gql(status, token=firm.tokens["B"]))["surveys"] == [
        {"id": sid, "status": "open"}
    ]
    await check_deadlines(runtime, now=closes + timedelta(minutes=1), only=only)
    assert ok(await gql(status, token=firm.tokens["B"]))["surveys"] == [
        {"id": sid, "status": "closed"}
    ]
    await deliver(firm.tenant)
    board = await hall.board(firm)
    assert [b["title"] for b in board] == ["调查结果：绿化满意度"] and "答卷不足 5 份" in board[0][
        "body"
    ]


async def test_a_malformed_disclosure_request_is_dropped(hall: Hall, runtime, deliver) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk import Event

    firm = await hall.firm()
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        for payload in (
            {"community_id": "not-a-uuid", "title": "x", "body": "y"},
            {"community_id": str(uuid.uuid4()), "title": "无此小区", "body": "正文"},
            {"community_id": str(firm.community_id), "title": "", "body": "无标题"},
        ):
            await runtime.bus.publish(
                s, Event("disclosure.requested", firm.tenant.tenant_id, payload)
            )
    await deliver(firm.tenant)
    assert await hall.board(firm) == []
