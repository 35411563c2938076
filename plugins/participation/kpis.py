"""Participation KPI for the street office: satisfaction survey results (1–5), respondents counted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

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


KPIS = [
    RegulatorKpi("participation.satisfaction", "物业服务满意度", "score 1–5", MEAN, satisfaction_samples,
                 description="Mean answer (1–5) of satisfaction and property-service surveys answered in the period; suppressed under five respondents."),
]
