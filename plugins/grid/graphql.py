"""GraphQL for grid governance, as the plugin hands it to the schema composer: the roots from
:mod:`~plugins.grid.queries` and :mod:`~plugins.grid.mutations`; types in :mod:`~plugins.grid.types`."""

from __future__ import annotations

from plugins.grid.mutations import GridMutation
from plugins.grid.queries import GridQuery

__all__ = ["GridMutation", "GridQuery"]
