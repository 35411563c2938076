"""Tenant export: every row a tenant owns, as a zip of JSON-lines files plus a manifest.

The export is generic: it walks every mapped :class:`~kernel.db.base.TenantScoped` model in
``Base.metadata`` — kernel, estate and plugin tables alike — so a plugin's tables are included
without the plugin doing anything. Rows are read through a tenant-scoped session (the ORM scope
and, on PostgreSQL, row-level security both apply) and additionally filtered by ``tenant_id``.

Archive layout::

    manifest.json        format, tenant, time, personal-data mode, per table: file, rows, sha256
    <table>.jsonl        one JSON object per row, keys = column names, ordered by primary key

Personal data. Sensitive columns are stored encrypted with the tenant's data keys, which are
wrapped by (or, version 0, derived from) the platform's master key: ciphertext is useless outside
the platform. So

* ``personal_data="decrypted"`` (the default; for handing the export to the tenant itself, e.g. a
  data-portability request or leaving the platform) writes those columns in clear under their
  name without the ``_enc`` suffix (``phone_enc`` → ``phone``);
* ``personal_data="encrypted"`` (platform backups, archives kept by the operator) keeps the
  ciphertext as stored.

Encrypted columns are those the data catalogue declares ``encrypted=True`` (they hold
:class:`~kernel.crypto.Vault` ciphertext; decrypted, a ``_enc`` suffix is dropped from the name). A
platform backup also keeps the firm's wrapped data keys (``tenant_data_keys.wrapped_key``), so its
ciphertexts of any key version stay readable with the platform's master key. Keyed digests (``id_number_digest``) are exported as
they are. Global tables (platform accounts, login failures) are not part of a tenant's export;
memberships are, as ``policy_rules`` rows naming account ids.

What the firm may not see is left out, by the data catalogue (``kernel/db/catalogue.py``), not by
table names: columns declared :func:`~kernel.db.catalogue.secret` (password, code and token
hashes, TOTP seeds, custodial private keys, webhook secrets) and
:func:`~kernel.db.catalogue.withheld` (an owner's vote choice and whatever links a person to their
ballot on the public chain) are not written; the manifest lists them per table
(``withheld_columns``) so a reader knows the archive is complete otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Mapper

from kernel.db.base import Base, TenantScoped, utcnow
from kernel.db.catalogue import is_encrypted, leaves_platform
from kernel.runtime import Runtime
from kernel.tenancy import Tenant

FORMAT = "linli-tenant-export/1"
ENCRYPTED_SUFFIX = "_enc"
#: Secret columns a platform backup (``personal_data="encrypted"``) keeps: the firm's data keys,
#: wrapped by the master key (useless without it), so the archive's ciphertexts stay readable on this
#: platform after the firm is deleted or its keys rotated.
_BACKUP_ONLY = {"tenant_data_keys": ("wrapped_key",)}
BATCH = 2000

PersonalData = Literal["decrypted", "encrypted"]


@dataclass
class ExportResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


#: The audit action of a tenant export; with ``personal_data: decrypted`` it is a read of every
#: person's data, listed in their ``myDataReads`` (tenants/personal_graphql.py).
EXPORTED = "tenant.exported"


async def record_export(session: Any, tenant_id: uuid.UUID, actor: str, result: ExportResult, *, via: str) -> None:
    """Record the export ``result`` in the tenant's audit log (``via``: ``graphql`` or ``cli``)."""
    from kernel import audit

    await audit.record(
        session, tenant_id=tenant_id, actor=actor, action=EXPORTED,
        detail={"rows": result.total_rows, "personal_data": result.manifest["personal_data"], "via": via},
    )


def tenant_mappers() -> list[Mapper[Any]]:
    """Mappers of every tenant-owned model, parents before children (metadata order)."""
    by_table = {m.local_table: m for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)}
    return [by_table[t] for t in Base.metadata.sorted_tables if t in by_table]


def _load_contributed_models(runtime: Runtime) -> None:
    # plugins import their models inside ``register_models``; make sure every one is mapped
    runtime.host.models()


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, default=str))
    return str(value)


async def export_tenant(
    runtime: Runtime,
    slug: str,
    destination: Path,
    *,
    personal_data: PersonalData = "decrypted",
    progress: Callable[[str, int], None] | None = None,
) -> ExportResult:
    """Write the archive of tenant ``slug`` to ``destination`` and return its manifest.

    ``progress(table, rows)`` is called after each batch written (for a CLI progress bar).
    """
    from tenants.lifecycle import get_by_slug

    if personal_data not in ("decrypted", "encrypted"):
        raise ValueError("personal_data is 'decrypted' or 'encrypted'")
    _load_contributed_models(runtime)
    tenant: Tenant = await get_by_slug(runtime, slug)
    tid = tenant.id
    vault = runtime.vault
    tables: dict[str, dict[str, Any]] = {}
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        async with runtime.db.tenant(tid) as session:
            for mapper in tenant_mappers():
                model = mapper.class_
                table = mapper.local_table
                own = [a for a in mapper.column_attrs if a.columns[0].table is table]
                kept = [a for a in own if leaves_platform(a.columns[0]) or (personal_data == "encrypted" and a.key in _BACKUP_ONLY.get(table.name, ()))]
                attrs = [(a.key, a.columns[0].name) for a in kept]
                left_out = sorted(a.columns[0].name for a in own if a not in kept)
                encrypted = [a.columns[0].name for a in kept if is_encrypted(a.columns[0])]
                renamed = {n: n.removesuffix(ENCRYPTED_SUFFIX) for n in encrypted} if personal_data == "decrypted" else {}
                stmt = (
                    select(*[getattr(model, key) for key, _ in attrs])
                    .where(model.tenant_id == tid)
                    .order_by(*[getattr(model, c.key) for c in mapper.primary_key])
                    .execution_options(yield_per=BATCH)
                )
                digest = hashlib.sha256()
                rows = size = 0
                name = f"{table.name}.jsonl"
                with archive.open(name, "w") as out:
                    result = await session.stream(stmt)
                    async for partition in result.partitions(BATCH):
                        chunk = []
                        for row in partition:
                            record = {}
                            for (_, column), value in zip(attrs, row, strict=True):
                                if column in renamed and isinstance(value, str) and value:
                                    record[renamed[column]] = vault.decrypt(tid, value)
                                else:
                                    record[renamed.get(column, column)] = _json_value(value)
                            chunk.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                        data = "".join(chunk).encode()
                        out.write(data)
                        digest.update(data)
                        rows += len(chunk)
                        size += len(data)
                        if progress is not None:
                            progress(table.name, len(chunk))
                entry: dict[str, Any] = {"file": name, "rows": rows, "bytes": size, "sha256": digest.hexdigest()}
                if left_out:
                    entry["withheld_columns"] = left_out
                if encrypted:
                    entry["encrypted_columns"] = encrypted
                    entry["personal_data"] = personal_data
                tables[table.name] = entry
        manifest = {
            "format": FORMAT,
            "tenant": {"id": str(tid), "slug": tenant.slug, "name": tenant.name, "plan": tenant.plan, "status": tenant.status},
            "exported_at": utcnow().isoformat(),
            "personal_data": personal_data,
            "tables": tables,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    tmp.replace(destination)
    return ExportResult(destination, manifest)


def verify_archive(path: Path) -> dict[str, Any]:
    """Re-read an archive and check every file against the manifest; returns the manifest.

    Raises ``ValueError`` naming the first file whose row count or sha256 differs.
    """
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} archive")
        for table, entry in manifest["tables"].items():
            data = archive.read(entry["file"])
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise ValueError(f"{entry['file']}: sha256 differs from the manifest")
            if data.count(b"\n") != entry["rows"]:
                raise ValueError(f"{entry['file']}: {table} row count differs from the manifest")
    return dict(manifest)
