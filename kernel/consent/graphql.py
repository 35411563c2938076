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
    title_zh: str
    title_en: str
    description: str
    categories: list[str] = strawberry.field(description="The data catalogue's categories the purpose uses.")
    sensitive: bool = strawberry.field(description="Sensitive personal information (PIPL Art. 28): granted on its own.")
    wording_version: str
    plugin: str | None = strawberry.field(description="The plugin that declared the purpose.")


@strawberry.type(description="A person's current answer for one purpose, with the purpose as declared.")
class ConsentState:
    purpose: str
    granted: bool
    #: The wording version the person agreed to (null: never asked).
    wording_version: str | None
    granted_at: datetime | None
    revoked_at: datetime | None
    title_zh: str = ""
    title_en: str = ""
    description: str = ""
    categories: list[str] = strawberry.field(default_factory=list, description="The data catalogue's categories the purpose uses.")
    sensitive: bool = False
    current_wording_version: str | None = strawberry.field(
        default=None, description="The wording shown now (grant under it; null: no plugin declares the purpose any more)."
    )


@strawberry.type(description="One grant or revocation, as recorded.")
class ConsentEntry:
    purpose: str
    action: str
    wording_version: str
    actor: str
    at: datetime


def _state(purpose: str, row: Consent | None, declared: service.ConsentPurpose | None = None) -> ConsentState:
    about: dict[str, object] = {}
    if declared is not None:
        about = {
            "title_zh": declared.title("zh-CN"), "title_en": declared.title("en"), "description": declared.description,
            "categories": list(declared.categories), "sensitive": declared.sensitive, "current_wording_version": declared.wording_version,
        }
    if row is None:
        return ConsentState(purpose=purpose, granted=False, wording_version=None, granted_at=None, revoked_at=None, **about)  # type: ignore[arg-type]
    return ConsentState(
        purpose=purpose, granted=row.granted, wording_version=row.wording_version, granted_at=row.granted_at, revoked_at=row.revoked_at, **about  # type: ignore[arg-type]
    )


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
    registry = service.purposes(info.context.runtime)
    declared = [p.key for p in registry.all()]
    return [_state(k, rows.get(k), registry.find(k)) for k in dict.fromkeys([*declared, *rows])]


@strawberry.type
class ConsentQuery:
    @strawberry.field(permission_classes=[Authenticated], description="The purposes plugins ask consent for.")
    def consent_purposes(self, info: strawberry.Info) -> list[ConsentPurposeView]:
        registry = service.purposes(info.context.runtime)
        return [
            ConsentPurposeView(
                key=p.key, title_zh=p.title("zh-CN"), title_en=p.title("en"), description=p.description,
                categories=list(p.categories), sensitive=p.sensitive, wording_version=p.wording_version, plugin=registry.owner(p.key),
            )
            for p in registry.all()
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
        return _state(purpose, row, service.purposes(info.context.runtime).find(purpose))

    @strawberry.mutation(
        permission_classes=[Authenticated],
        description="Withdraw one's own consent; the plugins holding the purpose hear `consent.revoked` and stop. "
        "NOT_FOUND (reason not_granted) when there is no current grant — revoking twice included; BAD_USER_INPUT for an unknown purpose.",
    )
    async def revoke_consent(self, info: strawberry.Info, purpose: str) -> ConsentState:
        person = await _my_person(info)
        row = await service.revoke_consent(info.context.db, person_id=person, purpose=purpose, actor=info.context.actor.label, runtime=info.context.runtime)
        await info.context.audit("consent.revoked", str(person), purpose=purpose)
        return _state(purpose, row, service.purposes(info.context.runtime).find(purpose))
