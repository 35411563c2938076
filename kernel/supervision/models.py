"""Jurisdictions: a platform (reference) table, like the regulator accounts it qualifies."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, Timestamped

STREET = "street"
DISTRICT = "district"
KINDS = (STREET, DISTRICT)


class Jurisdiction(Timestamped, Base):
    """A street office's street (``kind='street'``, ``parent_code`` its district) or a district.

    ``code`` is what communities carry in ``street_code`` (streets) and what a regulator
    account's ``regulator_street_code`` names (street or district)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    parent_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("jurisdictions.code", ondelete="RESTRICT"), default=None, index=True
    )
