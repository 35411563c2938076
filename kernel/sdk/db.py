"""Database bases for plugin models and the helpers plugin migrations need.

Models derive from :class:`Base` plus :class:`TenantRecord` (a tenant-owned row, primary key
``(tenant_id, id)``) or :class:`GlobalRecord`; foreign keys between tenant tables use
:func:`tenant_fk`. A migration creates a tenant table with :func:`create_tenant_table` (the
order a Citus cluster accepts: tenant foreign key, distribution, other foreign keys, row-level
security) and drops it with :func:`drop_tenant_table`; it types its timestamp columns
:class:`UTCDateTime`. :func:`enable_tenant_rls` / :func:`disable_tenant_rls` remain for tables
created otherwise.

The data catalogue: a column declares what it holds with ``info=`` :func:`personal` (category and
level under PIPL), :func:`secret` (credentials and key material: never exported, logged or served)
or :func:`withheld` (held for a person, never in the firm's export linked to them, such as a vote
choice); :func:`classify` reads it back (see ``kernel/db/catalogue.py``). A table the law requires
to keep declares :func:`legal_hold` in its ``__table_args__`` info (erasure pseudonymises its rows),
a column ``personal(..., hold=reason)``; a table whose rows expire declares :func:`retained`
(category, timestamp column, delete or pseudonymise); :func:`legal_hold_of` and
:func:`retention_of` read them back. A table of the firm's own records naming the staff member
who did the work declares :func:`firm_record` (erasing that staff member keeps the rows, the
person pseudonymised); :func:`firm_record_of` reads it back.

:func:`transaction_memo` is a dict for reads a request repeats, emptied whenever the transaction writes.
"""

from __future__ import annotations

from kernel.db.base import (
    Base,
    GlobalRecord,
    TenantRecord,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    utcnow,
)
from kernel.db.catalogue import (
    classify,
    firm_record,
    firm_record_of,
    legal_hold,
    legal_hold_of,
    personal,
    retained,
    retention_of,
    secret,
    withheld,
)
from kernel.db.memo import transaction_memo
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls
from kernel.db.tenant_tables import create_tenant_table, drop_tenant_table

__all__ = [
    "Base",
    "GlobalRecord",
    "TenantRecord",
    "TenantScoped",
    "Timestamped",
    "UTCDateTime",
    "classify",
    "create_tenant_table",
    "disable_tenant_rls",
    "drop_tenant_table",
    "enable_tenant_rls",
    "firm_record",
    "firm_record_of",
    "legal_hold",
    "legal_hold_of",
    "personal",
    "retained",
    "retention_of",
    "secret",
    "tenant_fk",
    "transaction_memo",
    "utcnow",
    "withheld",
]
