"""audit head moved by the database, not by the application: a trigger on ``audit_entries`` checks that each
new entry extends the tenant's head (seq = head + 1, prev_hash = head hash) and advances the head; on
PostgreSQL the trigger function and ``audit_head_for_append()`` (create-and-lock the head) are SECURITY
DEFINER, owned by the migration owner, and the application role keeps only SELECT on ``audit_heads``
(:mod:`kernel.db.migrate` revokes INSERT/UPDATE/DELETE). See docs/architecture.md, "Audit log".

Revision ID: k0008
Revises: k0007
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'k0008'
down_revision: str | Sequence[str] | None = 'k0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_HEAD_FOR_APPEND = """
CREATE FUNCTION audit_head_for_append() RETURNS TABLE (seq integer, hash varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t uuid := NULLIF(current_setting('linli.tenant_id', true), '')::uuid;
BEGIN
    IF t IS NULL THEN
        RAISE EXCEPTION 'audit: no tenant in scope' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit_heads AS h (tenant_id, seq, hash) VALUES (t, 0, '0000000000000000000000000000000000000000000000000000000000000000') ON CONFLICT (tenant_id) DO NOTHING;
    RETURN QUERY SELECT h.seq, h.hash FROM audit_heads AS h WHERE h.tenant_id = t FOR UPDATE;
END $$
"""

PG_ADVANCE_HEAD = """
CREATE FUNCTION audit_advance_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head_seq integer;
    head_hash varchar;
BEGIN
    INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, '0000000000000000000000000000000000000000000000000000000000000000') ON CONFLICT (tenant_id) DO NOTHING;
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_heads AS h WHERE h.tenant_id = NEW.tenant_id FOR UPDATE;
    IF head_seq IS NULL OR NEW.seq <> head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
        RAISE EXCEPTION 'audit entry % does not extend the head (seq %)', NEW.seq, head_seq USING ERRCODE = 'check_violation';
    END IF;
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
    RETURN NEW;
END $$
"""

SQLITE_ADVANCE_HEAD = """
CREATE TRIGGER audit_entries_advance_head BEFORE INSERT ON audit_entries
BEGIN
    INSERT OR IGNORE INTO audit_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    SELECT RAISE(ABORT, 'audit entry does not extend the head') WHERE NOT EXISTS (
        SELECT 1 FROM audit_heads WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash
    );
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_HEAD_FOR_APPEND)
        op.execute(PG_ADVANCE_HEAD)
        op.execute(
            "CREATE TRIGGER audit_entries_advance_head BEFORE INSERT ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_advance_head()"
        )
        op.execute("REVOKE ALL ON FUNCTION audit_advance_head() FROM PUBLIC")
    else:
        op.execute(SQLITE_ADVANCE_HEAD)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_entries_advance_head" + (
        " ON audit_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_advance_head()")
        op.execute("DROP FUNCTION IF EXISTS audit_head_for_append()")
