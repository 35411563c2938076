"""Apply migrations: the kernel's version location plus one per component/plugin
(``register_migrations``), all branches to ``heads``. On PostgreSQL the application role then
gets DML rights, only INSERT/SELECT on the audit log and only SELECT on its heads (the head is moved by
the ``audit_entries`` trigger of migration k0008, see :mod:`kernel.audit`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import String, literal, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kernel.plugins.host import PluginHost

KERNEL_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
APPEND_ONLY_TABLES = ("audit_entries",)
#: Tables the application reads but never writes: a database trigger (owned by the migration owner) writes them.
READ_ONLY_TABLES = ("audit_heads",)
#: Tables whose rows the application role cannot delete: they go with the tenant row (ON DELETE CASCADE).
UNDELETABLE_TABLES = APPEND_ONLY_TABLES + READ_ONLY_TABLES
#: Global tables holding secrets: the application role may write them and read every column but
#: these; it reads a secret only through the named SECURITY DEFINER function, one row at a time.
SECRET_COLUMNS = {"platform_accounts": ("password_hash", "totp_secret_enc", "recovery_hashes")}
SECRET_READERS = ("linli_platform_login(text)",)


def alembic_config(admin_url: str, host: PluginHost) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(KERNEL_MIGRATIONS))
    locations = [str(KERNEL_MIGRATIONS / "versions")]
    locations.extend(host.migration_dirs().values())
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", admin_url.replace("%", "%%"))
    return cfg


async def upgrade(admin_url: str, app_url: str, host: PluginHost) -> None:
    cfg = alembic_config(admin_url, host)
    await asyncio.to_thread(command.upgrade, cfg, "heads")
    await grant_app_role(admin_url, app_url)


def _role(conn: Any, name: str) -> str:
    """A role name quoted as an identifier (DDL takes no bound parameters)."""
    return str(conn.dialect.identifier_preparer.quote_identifier(name))


def _literal(conn: Any, value: str) -> str:
    """A string quoted as an SQL literal by the dialect (quotes doubled)."""
    return str(literal(value, String()).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


async def grant_app_role(admin_url: str, app_url: str) -> None:
    admin, app = make_url(admin_url), make_url(app_url)
    if admin.get_backend_name() != "postgresql" or not app.username or app.username == admin.username:
        return
    engine = create_async_engine(admin_url)
    async with engine.begin() as conn:
        role = _role(conn, app.username)
        await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        await conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        await conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        for table in APPEND_ONLY_TABLES:
            await conn.execute(text(f'REVOKE UPDATE, DELETE ON "{table}" FROM {role}'))
        for table in READ_ONLY_TABLES:
            await conn.execute(text(f'REVOKE INSERT, UPDATE, DELETE ON "{table}" FROM {role}'))
        await conn.execute(text(f"REVOKE ALL ON alembic_version FROM {role}"))
        if await conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")):
            # Citus sends the per-transaction tenant (SET LOCAL linli.tenant_id) to the workers
            # only with this setting; without it row-level security on the shards sees no tenant.
            await conn.execute(text(f"ALTER ROLE {role} SET citus.propagate_set_commands = 'local'"))
        for table, secret in SECRET_COLUMNS.items():
            columns = [
                c for c in (await conn.execute(
                    text("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t"), {"t": table}
                )).scalars()
                if c not in secret
            ]
            if not columns:
                continue
            # DDL takes no bound parameters: the table is a constant above, the columns come from the
            # catalog and the role is quoted by the dialect (_role)
            await conn.execute(text(f'REVOKE SELECT ON "{table}" FROM {role}'))  # noqa: S608
            await conn.execute(text(f'GRANT SELECT ({", ".join(chr(34) + c + chr(34) for c in columns)}) ON "{table}" TO {role}'))  # noqa: S608
        for function in SECRET_READERS:
            await conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {role}"))
    await engine.dispose()


async def ensure_app_role(admin_url: str, role: str, password: str) -> None:
    """Create the application's login role (no superuser, no BYPASSRLS, owns nothing)."""
    engine = create_async_engine(admin_url)
    async with engine.begin() as conn:
        exists = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if not exists:
            await conn.execute(text(
                f"CREATE ROLE {_role(conn, role)} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {_literal(conn, password)}"
            ))
    await engine.dispose()
