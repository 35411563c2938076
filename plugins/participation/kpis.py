"""Participation KPI for the street office: satisfaction survey results (1–5), respondents counted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kernel.sdk.regulator import MEAN, KpiSample, RegulatorKpi
from plugins.participation.models import Survey, SurveyResponse

KINDS = ("satisfaction", "property_service")


async def satisfaction_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    rows = await session.execute(
        select(Survey.community_id, SurveyResponse.answered_at, SurveyResponse.answers, SurveyResponse.respondent_hash)
        .join(Survey, and_(Survey.id == SurveyResponse.survey_id, Survey.tenant_id == SurveyResponse.tenant_id))
        .where(Survey.community_id.in_(community_ids), Survey.kind.in_(KINDS),
               SurveyResponse.answered_at >= since, SurveyResponse.answered_at < until)
    )
    return [
        KpiSample(cid, at, sum(answers) / len(answers), subject=who)
        for cid, at, answers, who in rows.all()
        if answers
    ]


class answers_mean(FunctionElement[float]):  # noqa: N801 — used as a SQL function
    """SQL for the mean of a JSON array of numbers (NULL when empty), on PostgreSQL and SQLite."""

    type = Float()
    inherit_cache = True
    name = "answers_mean"


@compiles(answers_mean, "postgresql")
def _mean_pg(element: answers_mean, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"(SELECT avg(e::float8) FROM json_array_elements_text(({compiler.process(column, **kw)})::json) AS e)"  # noqa: S608 - a compiled column, no input


@compiles(answers_mean)
def _mean_sqlite(element: answers_mean, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"(SELECT avg(value) FROM json_each({compiler.process(column, **kw)}))"  # noqa: S608 - a compiled column, no input


def satisfaction_query(community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> Any:
    """:func:`satisfaction_samples` as a SELECT the kernel aggregates in SQL."""
    mean = answers_mean(SurveyResponse.answers)
    return (
        select(Survey.community_id, SurveyResponse.answered_at, mean, literal(1.0), SurveyResponse.respondent_hash)
        .join(Survey, and_(Survey.id == SurveyResponse.survey_id, Survey.tenant_id == SurveyResponse.tenant_id))
        .where(Survey.community_id.in_(community_ids), Survey.kind.in_(KINDS),
               SurveyResponse.answered_at >= since, SurveyResponse.answered_at < until, mean.is_not(None))
    )


KPIS = [
    RegulatorKpi("participation.satisfaction", "物业服务满意度", "score 1–5", MEAN, satisfaction_samples, query=satisfaction_query,
                 description="Mean answer (1–5) of satisfaction and property-service surveys answered in the period; suppressed under five respondents."),
]
