"""The device plugin's inputs, validated with pydantic before anything is written.

:func:`plugins.devices.service.provision` parses its arguments through :class:`NewDevice` with
:func:`kernel.sdk.inputs.parse_input`, so a bad value answers BAD_USER_INPUT naming the GraphQL
field (``name``, ``type``, ``inactivityTimeoutSeconds``) with the registry's own wording. A CSV
for bulk provisioning is read by :func:`csv_rows`. Where a device is (does the place exist in the
tenant) needs the database and is :mod:`plugins.devices.places`'.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kernel.sdk import BadUserInput

MAX_NAME = 200
MAX_SERIAL = 64
MIN_INACTIVITY_SECONDS = 10
MAX_INACTIVITY_SECONDS = 7 * 86400
MAX_CSV_ROWS = 1000
CSV_COLUMNS = frozenset({"name", "type", "place_id"})


class NewDevice(BaseModel):
    """``provisionDevice`` (and each CSV line): a name, a profile the tenant's catalog knows, a
    serial (trimmed to 64 characters) and an optional inactivity timeout (10 s to 7 days).

    ``known_types`` are the catalog's profile types in its order (for the error message); they
    are checked first so a request with several bad values names the same field as before."""

    model_config = ConfigDict(frozen=True)

    known_types: tuple[str, ...] = Field(exclude=True)
    name: str
    type: str
    serial: str = ""
    inactivity_timeout_seconds: int | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        name = str(value or "").strip()
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"a device name is 1–{MAX_NAME} characters")
        return name

    @field_validator("type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        known = info.data.get("known_types", ())
        if value not in known:
            raise ValueError(f"no device profile {value!r}; known profiles: {', '.join(known)}")
        return value

    @field_validator("serial", mode="before")
    @classmethod
    def _serial(cls, value: object) -> str:
        return str(value or "").strip()[:MAX_SERIAL]

    @field_validator("inactivity_timeout_seconds")
    @classmethod
    def _timeout(cls, value: int | None) -> int | None:
        if value is not None and not MIN_INACTIVITY_SECONDS <= value <= MAX_INACTIVITY_SECONDS:
            raise ValueError("the inactivity timeout is 10 s to 7 days")
        return value


@dataclass(frozen=True)
class CsvDevice:
    """One line of a provisioning CSV (``line`` counts the header as line 1)."""

    line: int
    name: str
    type: str
    place_id: str
    serial: str


def csv_rows(csv_text: str) -> list[CsvDevice]:
    """The lines of a provisioning CSV with a header ``name,type,place_id[,serial]``: 1 to 1,000
    devices, else BAD_USER_INPUT. The values are checked when each device is provisioned."""
    reader = csv.DictReader(io.StringIO(csv_text.strip()))
    if not reader.fieldnames or not CSV_COLUMNS <= set(reader.fieldnames):
        raise BadUserInput("the CSV needs a header with name,type,place_id (and optionally serial)")
    rows = list(reader)
    if not rows or len(rows) > MAX_CSV_ROWS:
        raise BadUserInput("the CSV holds 1 to 1,000 devices")
    return [
        CsvDevice(
            line=n,
            name=r["name"] or "",
            type=r["type"] or "",
            place_id=r["place_id"],
            serial=r.get("serial") or "",
        )
        for n, r in enumerate(rows, start=2)
    ]


def command_params(params: object) -> dict[str, object] | None:
    """A command's parameters: a JSON object or nothing, else BAD_USER_INPUT."""
    if params is not None and not isinstance(params, dict):
        raise BadUserInput("params must be a JSON object")
    return params
