"""The SDK's layering helpers: Repository (access rules in readable_statement, soft delete in
the base statement), Viewer, parse_input (pydantic → BAD_USER_INPUT naming the field) and the
shared vocabulary."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import camel_case, parse_input
from kernel.sdk.repository import Repository, Viewer
from kernel.sdk.vocabulary import FacilityCategory, values


class _Base(DeclarativeBase):  # not the application's metadata: this table exists only here
    pass


class _Locker(_Base):
    __tablename__ = "lockers"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class _Lockers(Repository[_Locker]):
    model = _Locker
    soft_delete = "removed_at"

    def readable_statement(self, actor: Viewer):  # type: ignore[no-untyped-def]
        stmt = self.base_statement()
        if actor.allowed("lockers", "read"):
            return stmt
        return stmt.where(_Locker.owner_account_id == actor.account_id) if actor.account_id else stmt.where(false())


def test_the_base_statement_hides_soft_deleted_rows_and_rules_narrow_it() -> None:
    repo = _Lockers(session=None)  # type: ignore[arg-type]
    assert "removed_at IS NULL" in str(repo.base_statement())
    staff = Viewer(account_id=uuid.uuid4(), label="account:staff", _allowed=lambda obj, act: (obj, act) == ("lockers", "read"))
    owner = Viewer(account_id=uuid.uuid4(), label="account:owner")
    def where(stmt) -> str:  # type: ignore[no-untyped-def]
        return str(stmt).split("WHERE", 1)[1]

    assert where(repo.readable_statement(staff)).strip() == "lockers.removed_at IS NULL"
    assert "lockers.owner_account_id = " in where(repo.readable_statement(owner)) and "removed_at IS NULL" in where(repo.readable_statement(owner))
    assert Viewer.system().allowed("anything", "at_all") and not owner.allowed("lockers", "read")


def test_a_repository_must_state_its_access_rules() -> None:
    class NoRules(Repository[_Locker]):
        model = _Locker

    with pytest.raises(NotImplementedError, match="readable_statement"):
        NoRules(session=None).readable_statement(Viewer.system())  # type: ignore[arg-type]


class _NewLocker(BaseModel):
    locker_name: str = Field(max_length=20)
    slots: int

    @field_validator("locker_name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a locker needs a name")
        return value.strip()


def test_parse_input_names_the_graphql_field() -> None:
    assert parse_input(_NewLocker, locker_name=" A1 ", slots=12) == _NewLocker(locker_name="A1", slots=12)
    with pytest.raises(BadUserInput) as bad:
        parse_input(_NewLocker, {"locker_name": "  ", "slots": 3})
    assert bad.value.extensions == {"code": "BAD_USER_INPUT", "field": "lockerName"}
    assert bad.value.message == "a locker needs a name"
    with pytest.raises(BadUserInput) as bad:
        parse_input(_NewLocker, locker_name="A1", slots="many")
    assert bad.value.extensions["field"] == "slots" and bad.value.message.startswith("slots: ")
    assert camel_case("voting_ends_at") == "votingEndsAt" and camel_case("title") == "title"


def test_the_facility_category_is_defined_once_with_the_stored_words() -> None:
    from plugins.inspections import service as inspections
    from plugins.workorders import service as workorders

    assert values(FacilityCategory) == workorders.CATEGORIES == inspections.CATEGORIES
    assert FacilityCategory("plumbing") == "plumbing" and str(FacilityCategory.public_facility) == "public_facility"
