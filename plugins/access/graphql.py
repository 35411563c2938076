"""GraphQL for access control, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.access.types`, :mod:`~plugins.access.queries`,
:mod:`~plugins.access.mutations`, :mod:`~plugins.access.repository` (reads and their access
rules) and :mod:`~plugins.access.service` / :mod:`~plugins.access.decisions` (the writes).
"""

from __future__ import annotations

from plugins.access.mutations import AccessMutation
from plugins.access.queries import AccessQuery

__all__ = ["AccessMutation", "AccessQuery"]
