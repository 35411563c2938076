"""GraphQL of consent records: a person lists, grants and revokes their own consents (through
the register person linked to their login); staff read a person's (``consents:read``)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from kernel.consent import service
from kernel.consent.models import Consent, ConsentRecord
from kernel.errors import BadUserInput, Forbidden, NotFound
from kernel.graphql.permissions import Allowed, Authenticated


@strawberry.type(description="A purpose a plugin processes personal data for, as a person is asked about it.")
class ConsentPurposeView:
    key: str
    description: str
    categories: list[str]
    sensitive: bool
    wording_version: str


@strawberry.type(description="A person's current answer for one purpose.")
class ConsentState:
    purpose: str
    granted: bool
    #: The wording version the person agreed to (null: never asked).
    wording_version: str | None
    granted_at: datetime | None
    revoked_at: datetime | None


@strawberry.type(description="One grant or revocation, as recorded.")
class ConsentEntry:
    purpose: str
    action: str
    wording_version: str
    actor: str
    at: datetime


def _state(purpose: str, row: Consent | None) -> ConsentState:
    if row is None:
        return ConsentState(purpose=purpose, granted=False, wording_version=None, granted_at=None, revoked_at=None)
    return ConsentState(purpose=purpose, granted=row.granted, wording_version=row.wording_version, granted_at=row.granted_at, revoked_at=row.revoked_at)


def _entry(r: ConsentRecord) -> ConsentEntry:
    return ConsentEntry(purpose=r.purpose, action=r.action, wording_version=r.wording_version, actor=r.actor, at=r.created_at)


async def _my_person(info: strawberry.Info) -> uuid.UUID:
    actor = info.context.actor
    if actor is None or actor.kind != "account" or actor.account_id is None:
        raise Forbidden("only a person's login has consents")
    person = await service.person_of_account(info.context.db, actor.account_id)
    if person is None:
        raise NotFound("your login is not linked to a person in the owner register yet")
    return person


def _person_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadUserInput("malformed person id", field="personId") from None


async def _states(info: strawberry.Info, person: uuid.UUID) -> list[ConsentState]:
    rows = await service.consents_of(info.context.db, person)
    declared = [p.key for p in service.purposes(info.context.runtime).all()]
    return [_state(k, rows.get(k)) for k in dict.fromkeys([*declared, *rows])]


@strawberry.type
class ConsentQuery:
    @strawberry.field(permission_classes=[Authenticated], description="The purposes plugins ask consent for.")
    def consent_purposes(self, info: strawberry.Info) -> list[ConsentPurposeView]:
        return [
            ConsentPurposeView(key=p.key, description=p.description, categories=list(p.categories), sensitive=p.sensitive, wording_version=p.wording_version)
            for p in service.purposes(info.context.runtime).all()
        ]

    @strawberry.field(permission_classes=[Authenticated], description="The caller's consent per declared purpose.")
    async def my_consents(self, info: strawberry.Info) -> list[ConsentState]:
        return await _states(info, await _my_person(info))

    @strawberry.field(permission_classes=[Allowed("consents", "read")], description="A register person's consents and their history.")
    async def person_consents(self, info: strawberry.Info, person_id: strawberry.ID) -> list[ConsentState]:
        person = _person_id(person_id)
        if not await service.person_exists(info.context.db, person):
            raise NotFound("no such person")
        return await _states(info, person)

    @strawberry.field(permission_classes=[Allowed("consents", "read")], description="Every grant and revocation of a register person, oldest first.")
    async def person_consent_history(self, info: strawberry.Info, person_id: strawberry.ID) -> list[ConsentEntry]:
        person = _person_id(person_id)
        if not await service.person_exists(info.context.db, person):
            raise NotFound("no such person")
        return [_entry(r) for r in await service.history_of(info.context.db, person)]


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        permission_classes=[Authenticated],
        description="Consent to a purpose under the wording version shown (it must be the current one: CONFLICT otherwise).",
    )
    async def grant_consent(self, info: strawberry.Info, purpose: str, wording_version: str) -> ConsentState:
        person = await _my_person(info)
        row = await service.grant_consent(
            info.context.db, person_id=person, purpose=purpose, actor=info.context.actor.label, wording_version=wording_version, runtime=info.context.runtime
        )
        await info.context.audit("consent.granted", str(person), purpose=purpose, wording_version=wording_version)
        return _state(purpose, row)

    @strawberry.mutation(permission_classes=[Authenticated], description="Withdraw a consent; plugins hear `consent.revoked` and stop.")
    async def revoke_consent(self, info: strawberry.Info, purpose: str) -> ConsentState:
        person = await _my_person(info)
        row = await service.revoke_consent(info.context.db, person_id=person, purpose=purpose, actor=info.context.actor.label, runtime=info.context.runtime)
        await info.context.audit("consent.revoked", str(person), purpose=purpose)
        return _state(purpose, row)
