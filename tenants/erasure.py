"""Erasing a person (PIPL art. 47): what the data catalogue says may go, goes; what the law keeps is
pseudonymised. Called by the staff workflow (:mod:`tenants.erasure_requests`), never directly by a
resident.

``erase_person(runtime, session, tenant_id, account_id)``, in the caller's transaction:

1. the login is closed (``kernel.identity.members.deactivate``: sessions, refresh tokens, API keys)
   and loses its roles;
2. each plugin's ``on_personal_data_erasure`` hook removes the rows that reach the person only
   through another row;
3. every tenant table (kernel, estate, plugins — children first) is searched for rows naming the
   login or its register persons, exactly as the personal export finds them (``account_id``,
   ``*_account_id``, ``person_id``, ``*_person_id``, ``holder_key``) and handed to
   :func:`kernel.erasure.remove_rows`: deleted, unless the table is under a legal hold
   (``legal_hold(...)`` in the catalogue: the owner register, fund sub-ledgers, ballots and
   objections, the on-chain register, the login itself), a held table refers to the row (a person
   who owns a unit) or another row does — then pseudonymised: personal columns without a hold and
   secrets are blanked, ids and held values stay;
   A firm record (``firm_record(reason, *columns)`` in the catalogue: an inspection round or
   schedule, a care service) that names the person in one of its staff columns is kept — the
   firm's record of work done; the id stays and stands for the pseudonymised login;
4. a row whose ``holder_key`` names co-owners who are not erased (``a+b``) is kept and reported;
5. the register person and the login get a pseudonym (``已删除-<6 hex>``, ``erased-<12 hex>``).

The result lists, per table, what was removed, pseudonymised or kept and why — counts and column
names, never values. The audit log (append-only, hash-chained) is kept as it is; its entries name
the login by id. The chain holds hashes and addresses only (``tests/privacy_erasure``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update

import kernel.models  # noqa: F401 - every kernel table is in the metadata the pass walks
from kernel.audit import AuditEntry
from kernel.db.catalogue import firm_record_of
from kernel.erasure import ErasureStep, remove_rows
from kernel.errors import NotFound
from kernel.identity.models import Account
from kernel.runtime import Runtime
from tenants.estate.models import Person
from tenants.export import _load_contributed_models, tenant_mappers
from tenants.personal_export import _ACCOUNT_LINK, _PERSON_LINK, _links

AUDIT_REASON = "the audit log is append-only and hash-chained (anchored on chain); its entries name the login by id only"
SHARED_REASON = "shared with co-owners who are not erased (a co-owned unit's key)"
ACTOR_REASON = "another person's row that names the erased person only as who acted (added them, read their data); the id stays, the person is erased"
#: Stands for the login of a person who has none: matches no row (``*_account_id`` links find nothing).
NO_LOGIN = uuid.UUID(int=0)
FIRM_RECORD_REASON = "firm record naming the erased person as the staff member who did the work; the id stays, the login and person are pseudonymised"
#: The columns naming whom a row is about; ``*_account_id`` / ``*_person_id`` name who acted on it.
_SUBJECT = ("account_id", "person_id")


_models_loaded: set[int] = set()


def load_models_once(runtime: Runtime) -> None:
    """Map every plugin's models (``register_models``) once per plugin host: the mapping is global
    and asking the host each time costs ~0.4 s."""
    if id(runtime.host) not in _models_loaded:
        _load_contributed_models(runtime)
        _models_loaded.add(id(runtime.host))


@dataclass
class ErasureReport:
    account_id: uuid.UUID
    steps: list[ErasureStep] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": str(self.account_id), "steps": [s.as_dict() for s in self.steps if s.rows or s.action == "kept"]}


async def erase_person(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, account_id: uuid.UUID | None, *, by: uuid.UUID | None, person_id: uuid.UUID | None = None
) -> ErasureReport:
    """Erase the login ``account_id`` and its register persons (module docstring) — or, with no
    login, the register person ``person_id`` (a request staff made on their behalf). Flushes, never commits."""
    from kernel.identity.authz import Policies
    from kernel.identity.members import deactivate
    from kernel.sdk.members import roles_of

    load_models_once(runtime)
    if account_id is not None:
        await deactivate(session, tenant_id, account_id, by=by)  # NOT_FOUND for a stranger, CONFLICT for oneself / the last admin
        policies = Policies(session, tenant_id)
        for role in await roles_of(session, tenant_id, account_id):
            await policies.remove_role(account_id, role)
        persons = set(await session.scalars(select(Person.id).where(Person.account_id == account_id)))
    else:
        if person_id is None or await session.scalar(select(Person.id).where(Person.id == person_id, Person.account_id.is_(None))) is None:
            raise NotFound("no such person without a login")
        persons = {person_id}
    login = account_id if account_id is not None else NO_LOGIN
    report = ErasureReport(account_id or persons.copy().pop())
    for _plugin, steps in await runtime.host.acall(
        "on_personal_data_erasure", session=session, tenant_id=tenant_id, account_id=login, person_ids=sorted(persons)
    ):
        report.steps.extend(steps or [])
    keys = {str(p) for p in persons}
    for mapper, scope, others in await _tables_holding(session, tenant_id, login, persons, keys):
        if others is not None and (kept := int(await session.scalar(select(func.count()).select_from(mapper.class_).where(others)) or 0)):
            report.steps.append(ErasureStep(mapper.local_table.name, "kept", kept, ACTOR_REASON))
        record = firm_record_of(mapper.local_table)
        if record is not None:  # the firm's record of work the (staff) person did: kept, the person pseudonymised
            model = mapper.class_
            by_staff = or_(*[and_(getattr(model, c).is_not(None), getattr(model, c) == login) for c in record.columns])
            if kept := int(await session.scalar(select(func.count()).select_from(model).where(scope, by_staff)) or 0):
                report.steps.append(ErasureStep(mapper.local_table.name, "kept", kept, f"{FIRM_RECORD_REASON}: {record.reason}"))
            scope = and_(scope, ~by_staff)
        report.steps.extend(await _erase_table(session, mapper, scope, login, persons, keys))
    for pid in persons:
        await session.execute(update(Person).where(Person.id == pid).values(name=f"已删除-{pid.hex[:6]}").execution_options(synchronize_session=False))
    await session.execute(
        update(Account).where(Account.id == login)
        .values(username=f"erased-{login.hex[:12]}", display_name="已删除")
        .execution_options(synchronize_session=False)
    )
    audit_rows = int(await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target.in_([str(login), *map(str, persons)]))) or 0)
    report.steps.append(ErasureStep("audit_entries", "kept", audit_rows, AUDIT_REASON))
    await session.flush()
    return report


async def _tables_holding(
    session: Any, tenant_id: uuid.UUID, account_id: uuid.UUID, persons: set[uuid.UUID], keys: set[str]
) -> list[tuple[Any, Any, Any]]:
    """``(mapper, scope, others)`` of the tables (children first) holding a row that names the person,
    found with one query (an ``EXISTS`` per table) rather than one round trip per table. A row whose
    ``account_id`` / ``person_id`` names someone else is that person's, even if a ``*_account_id`` /
    ``*_person_id`` names the erased one (a renter an owner added, a read by a staff member): it is
    left out of ``scope`` and selected by ``others`` (``None`` when the table has no such column)."""
    candidates: list[tuple[Any, Any, Any]] = []
    named_in: list[Any] = []
    for mapper in reversed(tenant_mappers()):
        model, table = mapper.class_, mapper.local_table
        if model is AuditEntry:
            continue
        own = [a for a in mapper.column_attrs if a.columns[0].table is table]
        conditions = _links(model, own, account_id, persons, keys)
        if not conditions:
            continue
        named = and_(model.tenant_id == tenant_id, or_(*conditions))
        named_in.append(named)
        subject = {a.columns[0].name: getattr(model, a.key) for a in own if a.columns[0].name in _SUBJECT and model is not Person}
        if not subject:
            candidates.append((mapper, named, None))
            continue
        # never NULL (a NULL would put the row in neither scope nor others)
        mine = [and_(c.is_not(None), c == account_id if name == "account_id" else c.in_(persons)) for name, c in subject.items()]
        about = or_(*mine, and_(*[c.is_(None) for c in subject.values()]))
        candidates.append((mapper, and_(named, about), and_(named, ~about)))
    # anchored on the login's own row (or, with no login, the person's), so that the tenant scope sees an entity
    anchor = (Account, Account.id == account_id) if account_id != NO_LOGIN else (Person, Person.id.in_(persons))
    checks = select(*[exists().where(named) for named in named_in]).select_from(anchor[0]).where(anchor[1]).limit(1)
    found = (await session.execute(checks)).one()
    return [c for c, hit in zip(candidates, found, strict=True) if hit]


async def _erase_table(session: Any, mapper: Any, scope: Any, account_id: uuid.UUID, persons: set[uuid.UUID], keys: set[str]) -> list[ErasureStep]:
    model, table = mapper.class_, mapper.local_table
    own = [a for a in mapper.column_attrs if a.columns[0].table is table]
    if "holder_key" not in table.c or "id" not in table.c:
        return await remove_rows(session, model, scope)
    sole, shared = [], 0
    direct = [getattr(model, a.key) for a in own if _ACCOUNT_LINK.search(a.columns[0].name) or _PERSON_LINK.search(a.columns[0].name)]
    for row in (await session.execute(select(model.id, model.holder_key, *direct).where(scope))).all():
        parts = set(str(row.holder_key).split("+"))
        if any(v == account_id or v in persons for v in row[2:]) or (parts and parts <= keys):
            sole.append(row.id)
        elif parts & keys:
            shared += 1
    steps = await remove_rows(session, model, model.id.in_(sole)) if sole else []
    if shared:
        steps.append(ErasureStep(table.name, "kept", shared, SHARED_REASON))
    return steps
