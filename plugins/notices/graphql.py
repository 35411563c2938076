"""GraphQL for notices, as the plugin hands it to the schema composer: types in
:mod:`~plugins.notices.types`, roots in :mod:`~plugins.notices.queries` and
:mod:`~plugins.notices.mutations`, reads and their access rules in :mod:`~plugins.notices.repository`.

Permissions (declared in :mod:`plugins.notices.plugin`):

* ``notices:publish`` — write, publish and withdraw notices;
* ``notices:read`` — every notice of the tenant and its read receipts (staff, committee, auditors);
* ``notices:read_own`` — notices addressed to the caller's own units, marking them read, and the
  disclosure board of the caller's community (owners, residents).

Which rows a caller sees with ``notices:read_own`` is an audience rule (the caller's units), not a
permission check; it lives in :mod:`plugins.notices.repository` (with the audience rule of
:mod:`plugins.notices.service`).
"""

from __future__ import annotations

from plugins.notices.mutations import NoticesMutation
from plugins.notices.queries import NoticesQuery
from plugins.notices.types import (
    Notice,
    NoticeCategory,
    NoticeInput,
    NoticeReceipts,
    NoticeScope,
    NoticeStatus,
)

__all__ = ["Notice", "NoticeCategory", "NoticeInput", "NoticeReceipts", "NoticeScope", "NoticeStatus", "NoticesMutation", "NoticesQuery"]
