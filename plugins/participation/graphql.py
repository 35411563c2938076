"""GraphQL for participation, as the plugin hands it to the schema composer: the roots from
:mod:`~plugins.participation.queries` and :mod:`~plugins.participation.mutations`."""

from __future__ import annotations

from plugins.participation.mutations import ParticipationMutation
from plugins.participation.queries import ParticipationQuery

__all__ = ["ParticipationMutation", "ParticipationQuery"]
