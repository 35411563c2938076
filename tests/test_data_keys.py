"""Per-tenant data keys: versioned ciphertexts, SM4, rotation with a resumable re-encryption job, and the
SM3 audit chain (kernel/crypto.py, kernel/keys.py, kernel/audit.py). SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select

from kernel import audit, crypto, keys
from kernel.crypto import CryptoError, Vault, cipher_id, parse
from kernel.db.base import utcnow
from kernel.db.catalogue import is_encrypted
from kernel.errors import BadUserInput, Conflict
from kernel.identity.models import Account
from kernel.testing import unique_slug
from plugins.fees.models import FeeSettings
from tenants.lifecycle import provision

pytestmark = pytest.mark.usefixtures("fast_passwords")

PHONES = [f"1380013{i:04d}" for i in range(7)]


def _vault(cipher: str = "aes-256-gcm") -> Vault:
    return Vault(base64.b64encode(os.urandom(32)).decode(), cipher=cipher)


# -- the vault -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4", "sm4-gcm", "sm4-cbc-hmac-sm3"])
def test_every_cipher_round_trips_and_binds_tenant_and_header(cipher: str) -> None:
    vault, tenant = _vault(cipher), uuid.uuid4()
    token = vault.encrypt(tenant, "110101199001011234")
    assert vault.decrypt(tenant, token) == "110101199001011234"
    assert parse(token).cipher == cipher_id(cipher)
    with pytest.raises(CryptoError):
        vault.decrypt(uuid.uuid4(), token)  # another tenant's key
    raw = bytearray(base64.b64decode(parse(token).payload))
    raw[-1] ^= 1
    with pytest.raises(CryptoError):
        vault.decrypt(tenant, parse(token).header + base64.b64encode(bytes(raw)).decode())
    if token.startswith("v2:"):  # the header is authenticated: relabelled, it does not open
        with pytest.raises(CryptoError):
            vault.decrypt(tenant, token.replace("v2:0:", "v2:1:", 1))


def test_version_zero_aes_keeps_the_format_from_before_key_versions() -> None:
    vault, tenant = _vault(), uuid.uuid4()
    token = vault.encrypt(tenant, "13800138000")
    assert token.startswith("v1:") and parse(token).version == 0
    # the same master key opens what an older Linli wrote (HKDF-derived key, tenant id as associated data)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli-data-key", info=tenant.bytes).derive(vault._master)
    nonce = os.urandom(12)
    old = "v1:" + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, "王小明".encode(), tenant.bytes)).decode()
    assert vault.decrypt(tenant, old) == "王小明"


def test_sm4_falls_back_to_cbc_with_hmac_sm3_without_sm4_gcm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "sm4_gcm_available", lambda: False)
    assert cipher_id("sm4") == "sc"
    with pytest.raises(ValueError, match="no SM4-GCM"):
        cipher_id("sm4-gcm")
    vault, tenant = _vault("sm4"), uuid.uuid4()
    token = vault.encrypt(tenant, "京A12345")
    assert token.startswith("v2:0:sc:") and vault.decrypt(tenant, token) == "京A12345"


def test_unknown_cipher_and_garbage_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown cipher"):
        cipher_id("rot13")
    vault = _vault()
    for bad in ("", "plain text", "v2:x:ag:AAAA", "v2:0:zz:AAAA", "v2:0:ag:!!!"):
        with pytest.raises(CryptoError):
            vault.decrypt(uuid.uuid4(), bad)


def test_wrapped_keys_are_bound_to_tenant_and_version() -> None:
    vault, tenant, key = _vault(), uuid.uuid4(), os.urandom(32)
    wrapped = vault.wrap(tenant, 3, "sg", key)
    assert vault.unwrap(tenant, 3, wrapped) == key
    for other in ((uuid.uuid4(), 3), (tenant, 4)):
        with pytest.raises(CryptoError):
            vault.unwrap(other[0], other[1], wrapped)


def test_the_catalogue_marks_every_vault_column_encrypted(runtime) -> None:  # type: ignore[no-untyped-def]
    tables = {t.name: t.columns for t in keys.encrypted_tables(runtime)}
    assert "phone_enc" in tables["accounts"] and "id_number_enc" in tables["persons"]
    assert any("plate_enc" in c for c in tables.values())
    from kernel.db.base import Base

    for mapper in Base.registry.mappers:  # a column named *_enc holds ciphertexts: it must say so
        for column in mapper.columns:
            if column.name.endswith("_enc"):
                assert is_encrypted(column), f"{mapper.local_table.name}.{column.name} is not declared encrypted=True"


# -- rotation ----------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def rotating(make_runtime):  # type: ignore[no-untyped-def]
    """A runtime whose processes reload key rings at every transaction (TTL 0), and a firm with accounts
    whose phones were encrypted under version 0."""
    rt = make_runtime(key_ring_ttl_seconds=0.0)
    p = await provision(rt, slug=unique_slug("keys"), name="keys", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    async with rt.db.tenant(p.tenant_id) as s:
        for i, phone in enumerate(PHONES):
            s.add(Account(username=f"k{i}-{uuid.uuid4().hex[:6]}", display_name=f"住户{i}", password_hash="x", phone_enc=rt.vault.encrypt(p.tenant_id, phone)))
        # a plugin's table whose only key is the tenant (one row per firm)
        s.add(FeeSettings(webhook_secret_enc=rt.vault.encrypt(p.tenant_id, "whsec-1"), rotated_at=utcnow()))
    return rt, p.tenant_id


async def _webhook_secret(rt, tenant: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    async with rt.db.tenant(tenant) as s:
        return str((await s.scalar(select(FeeSettings))).webhook_secret_enc)


async def _phones(rt, tenant: uuid.UUID) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every account's phone ciphertext and plaintext, read as any request would (a fresh session)."""
    async with rt.db.tenant(tenant) as s:
        rows = (await s.scalars(select(Account).where(Account.phone_enc.is_not(None)))).all()
        return {r.phone_enc: rt.vault.decrypt(tenant, r.phone_enc) for r in rows}


async def test_rotation_interrupted_half_way_leaves_everything_readable_and_resumes(rotating, make_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, tenant = rotating
    before = await _phones(rt, tenant)
    assert sorted(before.values()) == sorted(PHONES) and all(t.startswith("v1:") for t in before)

    started = await keys.start_rotation(rt, tenant, cipher="sm4", actor="test")
    assert started.phase == "waiting" and started.pending == 1
    with pytest.raises(Conflict):  # a second rotation while one is under way
        await keys.start_rotation(rt, tenant, cipher="sm4")
    promoted = await keys.step(rt, tenant, batch_size=3)
    assert promoted.active == 1 and promoted.retiring == [0] and promoted.cipher == cipher_id("sm4")
    # new ciphertexts are made with the new version at once
    fresh = rt.vault.encrypt(tenant, "13900000000")
    assert fresh.startswith(f"v2:1:{cipher_id('sm4')}:")

    first = await keys.step(rt, tenant, batch_size=3)  # one batch, then the process "stops"
    assert first.batch_rows == 3 and first.table == "accounts"

    # a crash inside the next batch: its transaction rolls back, the checkpoint stays where it was
    real = rt.vault.encrypt_with
    calls = {"n": 0}

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    rt.vault.encrypt_with = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await keys.step(rt, tenant, batch_size=3)
    rt.vault.encrypt_with = real  # type: ignore[method-assign]
    assert (await keys.status(rt, tenant)).reencrypted == 3

    # half-way: old and new versions side by side, every value readable, in this process and another
    half = await _phones(rt, tenant)
    versions = {parse(t).version for t in half}
    assert versions == {0, 1}
    assert sorted(half.values()) == sorted(PHONES)
    other = make_runtime(key_ring_ttl_seconds=0.0)
    assert sorted((await _phones(other, tenant)).values()) == sorted(PHONES)

    done = await keys.run(rt, tenant, batch_size=3)
    assert done.phase == "done" and done.active == 1 and done.retired == [0] and done.retiring == []
    after = await _phones(rt, tenant)
    assert sorted(after.values()) == sorted(PHONES)
    assert all(t.startswith("v2:1:") for t in after)
    assert done.reencrypted == len(PHONES) + 1
    secret = await _webhook_secret(rt, tenant)
    assert secret.startswith("v2:1:") and rt.vault.decrypt(tenant, secret) == "whsec-1"
    assert (await keys.remaining(rt, tenant)) == 0

    # a second rotation back to AES: version 1 retires too; the ring of another process follows
    await keys.start_rotation(rt, tenant, cipher="aes-256-gcm")
    again = await keys.run(rt, tenant, batch_size=100)
    assert again.active == 2 and again.retired == [0, 1] and again.cipher == "ag"
    final = await _phones(other, tenant)
    assert sorted(final.values()) == sorted(PHONES) and all(t.startswith("v2:2:ag:") for t in final)

    async with rt.db.tenant(tenant) as s:
        actions = (await s.scalars(select(audit.AuditEntry.action).where(audit.AuditEntry.action.like("tenant.key_rotation%")))).all()
        assert actions.count("tenant.key_rotation_started") == 2 and actions.count("tenant.key_rotation_finished") == 2
        assert (await audit.verify(s)).ok


async def test_rotation_leaves_other_tenants_alone_and_refuses_an_unknown_cipher(rotating) -> None:  # type: ignore[no-untyped-def]
    rt, tenant = rotating
    other = await provision(rt, slug=unique_slug("keys"), name="other", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    async with rt.db.tenant(other.tenant_id) as s:
        s.add(Account(username="o1", display_name="o", password_hash="x", phone_enc=rt.vault.encrypt(other.tenant_id, "13700000000")))
    with pytest.raises(BadUserInput):
        await keys.start_rotation(rt, tenant, cipher="des")
    await keys.start_rotation(rt, tenant)
    await keys.run(rt, tenant)
    theirs = await _phones(rt, other.tenant_id)
    assert list(theirs.values()) == ["13700000000"] and all(t.startswith("v1:") for t in theirs)
    assert (await keys.status(rt, other.tenant_id)).phase == "idle"


async def test_the_scheduled_job_resumes_a_rotation_left_under_way(rotating) -> None:  # type: ignore[no-untyped-def]
    rt, tenant = rotating
    await keys.start_rotation(rt, tenant, cipher="sm4-cbc-hmac-sm3")
    await keys.step(rt, tenant, batch_size=2)
    await keys.step(rt, tenant, batch_size=2)  # stopped after one batch
    assert (await keys.status(rt, tenant)).under_way
    assert "keys.rotation" in {j.name for j in rt.scheduled_jobs()}
    assert await keys.resume_all(rt) >= 1
    state = await keys.status(rt, tenant)
    assert state.phase == "idle" and state.active == 1 and state.retired == [0]
    assert all(t.startswith("v2:1:sc:") for t in await _phones(rt, tenant))


async def test_retirement_waits_for_processes_with_an_old_ring(make_runtime) -> None:  # type: ignore[no-untyped-def]
    rt = make_runtime(key_ring_ttl_seconds=3600.0)
    p = await provision(rt, slug=unique_slug("keys"), name="keys", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    await keys.start_rotation(rt, p.tenant_id)
    waiting = await keys.step(rt, p.tenant_id)
    assert waiting.phase == "waiting" and waiting.pending == 1 and waiting.waiting_until is not None
    # nothing encrypts with the pending key yet
    assert rt.vault.encrypt(p.tenant_id, "x").startswith("v1:")
    stopped = await keys.run(rt, p.tenant_id, wait=False)
    assert stopped.phase == "waiting"


# -- the SM3 audit chain ----------------------------------------------------------------------------------


async def test_sm3_audit_chain_verifies_alongside_sha256_entries(make_runtime, runtime) -> None:  # type: ignore[no-untyped-def]
    p = await provision(runtime, slug=unique_slug("sm3"), name="sm3", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    try:
        async with runtime.db.tenant(p.tenant_id) as s:
            await audit.record(s, tenant_id=p.tenant_id, actor="test", action="test.sha256")
        make_runtime(audit_hash="sm3")  # a deployment that switched to SM3
        assert audit.hash_algorithm() == "sm3"
        async with runtime.db.tenant(p.tenant_id) as s:
            entry = await audit.record(s, tenant_id=p.tenant_id, actor="test", action="test.sm3", detail={"n": 1})
            assert entry.hash_alg == "sm3"
            assert entry.hash == audit.entry_hash(entry.prev_hash, entry.seq, entry.at, "test", "test.sm3", "", {"n": 1}, "sm3")
            assert entry.hash != audit.entry_hash(entry.prev_hash, entry.seq, entry.at, "test", "test.sm3", "", {"n": 1})
        async with runtime.db.tenant(p.tenant_id) as s:
            algs = {e.hash_alg for e in (await s.scalars(select(audit.AuditEntry))).all()}
            assert algs == {"sha256", "sm3"}
            assert (await audit.verify(s)).ok
    finally:
        audit.configure("sha256")
    with pytest.raises(ValueError):
        audit.configure("md5")


async def test_exports_after_a_rotation_decrypt_or_keep_the_wrapped_keys(rotating, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import zipfile

    from tenants.export import export_tenant

    rt, tenant = rotating
    await keys.start_rotation(rt, tenant, cipher="sm4")
    await keys.step(rt, tenant)
    await keys.step(rt, tenant, batch_size=2)  # half-way: versions 0 and 1 side by side
    from kernel.tenancy import Tenant

    async with rt.db.platform() as s:
        slug = (await s.get(Tenant, tenant)).slug
    clear = await export_tenant(rt, slug, tmp_path / "clear.zip")
    with zipfile.ZipFile(clear.path) as z:
        accounts = [json.loads(line) for line in z.read("accounts.jsonl").decode().splitlines()]
        assert "tenant_data_keys.jsonl" in z.namelist()
        key_rows = [json.loads(line) for line in z.read("tenant_data_keys.jsonl").decode().splitlines()]
    assert sorted(a["phone"] for a in accounts if a.get("phone")) == sorted(PHONES)
    assert all("wrapped_key" not in k for k in key_rows)  # the firm's copy carries no key material
    backup = await export_tenant(rt, slug, tmp_path / "backup.zip", personal_data="encrypted")
    with zipfile.ZipFile(backup.path) as z:
        key_rows = [json.loads(line) for line in z.read("tenant_data_keys.jsonl").decode().splitlines()]
        accounts = [json.loads(line) for line in z.read("accounts.jsonl").decode().splitlines()]
    wrapped = {k["version"]: k["wrapped_key"] for k in key_rows}
    assert wrapped[0] is None and wrapped[1] and rt.vault.unwrap(tenant, 1, wrapped[1])
    assert {parse(a["phone_enc"]).version for a in accounts if a.get("phone_enc")} == {0, 1}


async def test_rotate_key_from_the_cli(rotating, linli_database) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from typer.testing import CliRunner

    from gateway.cli import cli
    from kernel.tenancy import Tenant

    rt, tenant = rotating
    async with rt.db.platform() as s:
        slug = (await s.get(Tenant, tenant)).slug
    db = linli_database.settings()
    env = {
        "LINLI_DATABASE_URL": db.database_url, "LINLI_DATABASE_ADMIN_URL": db.database_admin_url, "LINLI_DATA_DIR": str(db.data_dir),
        "LINLI_SECRET_KEY": db.secret_key, "LINLI_MASTER_KEY": db.master_key, "LINLI_LOG_JSON": "false",
        "LINLI_KEY_RING_TTL_SECONDS": "0", "LINLI_KEY_ROTATION_BATCH_SIZE": "2",
    }
    runner = CliRunner()

    def linli(*args: str):  # type: ignore[no-untyped-def]
        return asyncio.to_thread(runner.invoke, cli, list(args), env=env)

    r = await linli("tenant", "rotate-key", slug, "--cipher", "sm4")
    assert r.exit_code == 0, r.output
    assert "key version 1" in r.output and "retired versions: 0" in r.output, r.output
    assert all(t.startswith("v2:1:") for t in await _phones(rt, tenant))
    r = await linli("tenant", "rotate-key", slug, "--resume")
    assert r.exit_code == 0 and "no rotation under way" in r.output, r.output
    r = await linli("tenant", "rotate-key", slug, "--cipher", "des")
    assert r.exit_code == 1 and "BAD_USER_INPUT" in r.output, r.output
    r = await linli("tenant", "rotate-key", "no-such-firm")
    assert r.exit_code == 1 and "NOT_FOUND" in r.output, r.output
