"""GraphQL for home care, as the plugin hands it to the schema composer: the roots from
:mod:`~plugins.care.queries` and :mod:`~plugins.care.mutations`; types in :mod:`~plugins.care.types`."""

from __future__ import annotations

from plugins.care.mutations import CareMutation
from plugins.care.queries import CareQuery
from plugins.care.types import CareRecipient

__all__ = ["CareMutation", "CareQuery", "CareRecipient"]
