"""Surveys (满意度 and others): rating questions answered 1–5, one answer per household (unit) or
per person as the survey says, anonymous, and results shown only for groups of at least
:data:`MIN_GROUP` answers (the community as a whole and each building) — a smaller group's
figures could point at a household. Closing a survey discloses its results on the 公示 board.

Anonymity: a response keeps no login, person or unit — only a hash of the survey's id and the
household or person (to refuse a second answer) and the building (the group it is counted in)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import BadUserInput, Conflict, Forbidden, NotFound, parse_input, utcnow
from kernel.sdk.estate import Building, Community, Person, Residency, Unit, units_owned_by_account
from plugins.participation import notifications as tell
from plugins.participation.common import audited, publish
from plugins.participation.inputs import NewSurvey
from plugins.participation.models import Survey, SurveyResponse

#: Results of a group with fewer answers are suppressed.
MIN_GROUP = 5
SCALE = (1, 2, 3, 4, 5)


async def get_survey(session: Any, survey_id: uuid.UUID) -> Survey:
    row = await session.scalar(select(Survey).where(Survey.id == survey_id))
    if row is None:
        raise NotFound("no survey with this id", field="surveyId")
    return row  # type: ignore[no-any-return]


async def create_survey(
    session: Any,
    *,
    community_id: uuid.UUID,
    title: str,
    kind: str,
    answer_per: str,
    questions: list[str],
    closes_at: datetime | None,
    actor: str,
    now: datetime | None = None,
) -> Survey:
    """Draft a survey of a community."""
    spec = parse_input(
        NewSurvey,
        title=title,
        kind=kind,
        answer_per=answer_per,
        questions=questions,
        closes_at=closes_at,
    )
    if spec.closes_at is not None and spec.closes_at <= (now or utcnow()):
        raise BadUserInput("the closing time is in the past", field="closesAt")
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no community with this id", field="communityId")
    row = Survey(
        id=uuid.uuid4(),
        community_id=community_id,
        title=spec.title,
        kind=spec.kind.value,
        answer_per=spec.answer_per.value,
        questions=spec.questions,
        status="draft",
        closes_at=spec.closes_at,
        created_by=actor[:80],
    )
    session.add(row)
    await session.flush()
    await audited(session, actor, "survey_created", row.id, kind=row.kind, per=row.answer_per)
    return row


async def open_survey(
    session: Any, bus: Any, *, survey: Survey, actor: str, now: datetime | None = None
) -> Survey:
    now = now or utcnow()
    if survey.status != "draft":
        raise Conflict(
            f"only a draft survey opens (this one is {survey.status})", reason=survey.status
        )
    if survey.closes_at is not None and survey.closes_at <= now:
        raise BadUserInput("the closing time is in the past", field="closesAt")
    survey.status, survey.opened_at = "open", now
    await session.flush()
    await audited(session, actor, "survey_opened", survey.id)
    await publish(
        session,
        bus,
        "survey_opened",
        {
            "survey_id": str(survey.id),
            "community_id": str(survey.community_id),
            "kind": survey.kind,
        },
        actor,
    )
    return survey


async def _units_of(session: Any, account_id: uuid.UUID, community_id: uuid.UUID) -> list[Any]:
    """The units of the community a login owns or lives in (through its register persons)."""
    owned = {u.id: u for u in await units_owned_by_account(session, account_id)}
    lived = await session.scalars(
        select(Unit)
        .join(Residency, (Residency.unit_id == Unit.id) & (Residency.tenant_id == Unit.tenant_id))
        .join(
            Person, (Person.id == Residency.person_id) & (Person.tenant_id == Residency.tenant_id)
        )
        .where(Person.account_id == account_id)
    )
    for unit in lived:
        owned.setdefault(unit.id, unit)
    return sorted(
        (u for u in owned.values() if u.community_id == community_id), key=lambda u: str(u.id)
    )


def _respondent_hash(survey_id: uuid.UUID, key: str) -> str:
    return hashlib.sha256(f"{survey_id}:{key}".encode()).hexdigest()


async def answer_survey(
    session: Any,
    *,
    survey: Survey,
    answers: Sequence[int],
    account_id: uuid.UUID | None,
    unit_id: uuid.UUID | None = None,
    actor: str,
    now: datetime | None = None,
) -> SurveyResponse:
    """Record one anonymous answer: once per household (the unit; a login with several units
    names one) or once per person, as the survey says. A second one answers CONFLICT."""
    now = now or utcnow()
    if survey.status != "open" or (survey.closes_at is not None and survey.closes_at <= now):
        raise Conflict("this survey is not open for answers", reason=survey.status)
    if len(answers) != len(survey.questions) or any(a not in SCALE for a in answers):
        raise BadUserInput(
            f"answer each of the {len(survey.questions)} questions with 1 (worst) to 5 (best)",
            field="answers",
        )
    units = await _units_of(session, account_id, survey.community_id) if account_id else []
    if not units:
        raise Forbidden(
            "only owners and residents of this community answer its surveys",
            reason="not_a_resident",
        )
    if survey.answer_per == "household":
        if unit_id is not None:
            chosen = [u for u in units if u.id == unit_id]
            if not chosen:
                raise NotFound("not one of your units in this community", field="unitId")
            unit = chosen[0]
        elif len(units) == 1:
            unit = units[0]
        else:
            raise BadUserInput("you have several units here: say which one answers", field="unitId")
        key, building_id = f"unit:{unit.id}", unit.building_id
    else:
        persons = sorted(
            str(p)
            for p in await session.scalars(select(Person.id).where(Person.account_id == account_id))
        )
        key, building_id = f"person:{persons[0]}", units[0].building_id
    digest = _respondent_hash(survey.id, key)
    if await session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.respondent_hash == digest
        )
    ):
        who = "this household" if survey.answer_per == "household" else "you"
        raise Conflict(f"{who} answered this survey already", reason="already_answered")
    # Only the day is kept (on the row's creation time too), and the audit entry names no one:
    # neither a timestamp nor the log can tie an answer to the login that gave it.
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    row = SurveyResponse(
        id=uuid.uuid4(),
        survey_id=survey.id,
        respondent_hash=digest,
        building_id=building_id,
        answers=list(answers),
        answered_at=day,
        created_at=day,
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent answer for the same household or person
        raise Conflict("answered already", reason="already_answered") from exc
    await audited(session, "respondent", "survey_answered", survey.id)
    return row


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    question: str
    mean: float
    distribution: list[int]


@dataclass(frozen=True)
class GroupResult:
    """One group's results; ``suppressed`` (fewer than :data:`MIN_GROUP` answers): no figures."""

    group: str
    answers: int
    suppressed: bool
    questions: list[QuestionResult]
    mean: float | None


def group_result(
    group: str, questions: Sequence[str], rows: Sequence[Sequence[int]]
) -> GroupResult:
    """The figures of one group of answers — none at all below :data:`MIN_GROUP` answers (not
    even the exact count's detail per question)."""
    if len(rows) < MIN_GROUP:
        return GroupResult(group, len(rows), True, [], None)
    results = []
    for i, question in enumerate(questions):
        values = [r[i] for r in rows]
        results.append(
            QuestionResult(
                question,
                round(sum(values) / len(values), 2),
                [values.count(v) for v in SCALE],
            )
        )
    every = [v for r in rows for v in r]
    return GroupResult(group, len(rows), False, results, round(sum(every) / len(every), 2))


async def results(session: Any, survey: Survey) -> list[GroupResult]:
    """The whole community first, then each building (by name) — each suppressed below 5."""
    rows = list(
        await session.execute(
            select(SurveyResponse.building_id, SurveyResponse.answers).where(
                SurveyResponse.survey_id == survey.id
            )
        )
    )
    out = [group_result("全部", survey.questions, [a for _, a in rows])]
    ids = {b for b, _ in rows if b is not None}
    names = (
        dict(
            (
                await session.execute(
                    select(Building.id, Building.name).where(Building.id.in_(ids))
                )
            ).all()
        )
        if ids
        else {}
    )
    for building_id in sorted(ids, key=lambda b: (names.get(b, ""), str(b))):
        out.append(
            group_result(
                names.get(building_id, "?"),
                survey.questions,
                [a for b, a in rows if b == building_id],
            )
        )
    return [out[0], *complementary_suppression(out[0], out[1:])]


def complementary_suppression(
    whole: GroupResult, buildings: Sequence[GroupResult]
) -> list[GroupResult]:
    """Suppress more buildings when the shown ones would betray the hidden few by subtraction.

    The community's figures minus those of the buildings shown are the figures of the answers not
    shown (small buildings, answers without a building): 1–4 of them would be readable that way
    (six answers, five of them in one building shown: the sixth household's answers are the
    difference). So while that remainder is 1 to :data:`MIN_GROUP` − 1 answers, the smallest
    building still shown is suppressed too (equal sizes: the later one)."""
    out = list(buildings)
    if whole.suppressed:
        return out
    while True:
        shown = [i for i, g in enumerate(out) if not g.suppressed]
        rest = whole.answers - sum(out[i].answers for i in shown)
        if not shown or not 0 < rest < MIN_GROUP:
            return out
        smallest = min(shown, key=lambda i: (out[i].answers, -i))
        g = out[smallest]
        out[smallest] = GroupResult(g.group, g.answers, True, [], None)


def results_text(survey: Survey, groups: list[GroupResult]) -> str:
    """The 公示 text of a survey's results (suppressed groups say so, without figures)."""
    lines = [
        f"调查《{survey.title}》已结束。评分 1（最差）至 5（最好）；不足 {MIN_GROUP} 份答卷的分组不公布结果。"
    ]
    for g in groups:
        if g.suppressed:
            lines.append(f"· {g.group}：答卷不足 {MIN_GROUP} 份，不公布")
            continue
        lines.append(f"· {g.group}：{g.answers} 份答卷，平均 {g.mean:.2f}")
        lines += [f"  - {q.question}：平均 {q.mean:.2f}" for q in g.questions]
    return "\n".join(lines)


async def close_survey(
    session: Any, bus: Any, *, survey: Survey, actor: str, now: datetime | None = None
) -> Survey:
    """Close an open survey and disclose its results on the 公示 board."""
    if survey.status != "open":
        raise Conflict(
            f"only an open survey closes (this one is {survey.status})", reason=survey.status
        )
    survey.status, survey.closed_at = "closed", now or utcnow()
    await session.flush()
    groups = await results(session, survey)
    await audited(session, actor, "survey_closed", survey.id, answers=groups[0].answers)
    await publish(
        session,
        bus,
        "survey_closed",
        {
            "survey_id": str(survey.id),
            "community_id": str(survey.community_id),
            "kind": survey.kind,
            "answers": groups[0].answers,
        },
        actor,
    )
    await tell.request_disclosure(
        session,
        bus,
        community_id=survey.community_id,
        title=f"调查结果：{survey.title}",
        body=results_text(survey, groups),
        ref=f"participation:survey:{survey.id}:results",
        actor=actor,
    )
    return survey


async def close_expired(session: Any, bus: Any, *, now: datetime | None = None) -> list[uuid.UUID]:
    """The scheduled check: open surveys past their closing time are closed (and disclosed)."""
    now = now or utcnow()
    rows = list(
        await session.scalars(
            select(Survey).where(
                Survey.status == "open", Survey.closes_at.is_not(None), Survey.closes_at <= now
            )
        )
    )
    for survey in rows:
        await close_survey(session, bus, survey=survey, actor="system", now=now)
    return [s.id for s in rows]
