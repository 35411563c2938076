"""The ``linli`` command line (typer): serve, worker, demo, db, tenant, plugins, audit.
Plugins add commands through ``register_commands``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from gateway.plugin_cli import plugin_cli

if TYPE_CHECKING:
    from kernel.runtime import Runtime

# Everything heavy (settings, the runtime, SQLAlchemy, web3, the gateway) is imported inside the
# command that needs it: `linli --help` and `linli <group> --help` load only typer, the plugin
# host and the plugins' light manifest modules (docs/benchmarks.md, "CLI start-up").

console = Console()
cli = typer.Typer(help="Linli (邻里): the platform smart communities run on.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations.")
tenant_cli = typer.Typer(help="Tenants (property-management firms).")
plugins_cli = typer.Typer(help="Plugins.")
audit_cli = typer.Typer(help="The hash-chained audit log.")
member_cli = typer.Typer(help="The people of a tenant: invite, list, deactivate, reactivate.")
cli.add_typer(db_cli, name="db")
cli.add_typer(tenant_cli, name="tenant")
cli.add_typer(plugins_cli, name="plugins")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(plugin_cli, name="plugin")
cli.add_typer(member_cli, name="member")


def _runtime() -> Runtime:
    from kernel.config import Settings
    from kernel.logging import configure_logging
    from kernel.runtime import Runtime

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return Runtime.build(settings)


def run(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


async def upgrade(runtime: Runtime) -> None:
    from kernel.db.migrate import upgrade as do_upgrade

    await do_upgrade(runtime.settings.database_admin_url, runtime.settings.database_url, runtime.host)


def fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the kernel's and every plugin's migrations."""
    runtime = _runtime()

    async def go() -> None:
        await upgrade(runtime)
        await runtime.db.dispose()

    run(go())
    console.print("[green]database is up to date[/green]")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, "--workers", min=1, help="gateway processes (more than 1 needs PostgreSQL and a chain node)"),
    background: bool = typer.Option(True, "--background/--no-background", help="also run the background workers (outbox, relayer, indexer, jobs)"),
    no_workers: bool = typer.Option(False, "--no-workers", hidden=True, help="old spelling of --no-background"),
) -> None:
    """Run the gateway, and the background workers once (in the process, or beside the N gateway processes)."""
    import uvicorn

    if no_workers:
        background = False
    if workers > 1:
        _serve_processes(host, port, workers, background)
        return

    from gateway.app import create_app

    runtime = _runtime()
    if runtime.settings.is_sqlite:
        run(upgrade(runtime))  # the embedded default migrates itself
    app = create_app(runtime, workers=background)
    from kernel.process import freeze_startup_heap

    freeze_startup_heap()
    console.print(f"Linli on [bold]http://{host}:{port}/graphql[/bold] (GraphiQL in a browser)")
    console.print(f"residents' voting client: [bold]http://{host}:{port}/vote/[/bold]")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def multi_process_refusal(settings: Any) -> str | None:
    """Why ``linli serve --workers N`` (N > 1) cannot run on these settings, or None."""
    if not settings.database_url or settings.is_sqlite:  # unset: the embedded SQLite default
        return (
            "several gateway processes need PostgreSQL (LINLI_DATABASE_URL=postgresql+asyncpg://…): SQLite has one writer "
            "and the processes would queue on its lock; run `linli serve` (one process) on the embedded default"
        )
    if not settings.chain_url:
        return (
            "several gateway processes need a chain node (LINLI_CHAIN_URL, e.g. anvil or a real node): the embedded EVM "
            "lives inside one process, so each process would see a chain of its own"
        )
    return None


def _serve_processes(host: str, port: int, workers: int, background: bool) -> None:
    """N uvicorn gateway processes (restarted by uvicorn's supervisor when one dies) and, unless
    ``--no-background``, one ``linli worker`` process beside them: the outbox, relayer, indexer and
    scheduled jobs run once, not in every gateway process."""
    import subprocess
    import sys

    import uvicorn

    from kernel.config import Settings

    refusal = multi_process_refusal(Settings())
    if refusal:
        fail(refusal)
    helper = None
    if background:
        helper = subprocess.Popen([sys.executable, "-c", "from gateway.cli import main; main()", "worker"])  # noqa: S603
    console.print(f"Linli on [bold]http://{host}:{port}/graphql[/bold]: {workers} gateway processes" + (f", workers in process {helper.pid}" if helper else ""), soft_wrap=True)
    try:
        uvicorn.run("gateway.app:serve_process_app", factory=True, host=host, port=port, workers=workers, log_level="warning")
    finally:
        if helper is not None:
            helper.terminate()
            try:
                helper.wait(timeout=15)
            except subprocess.TimeoutExpired:
                helper.kill()


@cli.command()
def worker() -> None:
    """Run the background workers alone (outbox, scheduler, plugins' workers)."""
    runtime = _runtime()

    async def go() -> None:
        import asyncio
        import signal

        from kernel.process import freeze_startup_heap

        await runtime.startup()
        freeze_startup_heap()
        runtime.start_workers()
        stop = asyncio.Event()
        # SIGTERM (``linli serve --workers N`` stopping, a process manager) ends as Ctrl-C does:
        # the workers stop between deliveries and the runtime closes its connections
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        console.print("workers running; Ctrl-C to stop")
        try:
            await stop.wait()
        finally:
            await runtime.stop_workers()
            await runtime.shutdown()

    try:
        run(go())
    except KeyboardInterrupt:
        pass


@cli.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    units: int = 1000,
    serve_after: bool = typer.Option(True, "--serve/--no-serve"),
) -> None:
    """Seed a demo property firm (two communities, ~1,000 units, owners, staff), then serve."""
    from tenants.demo import DEMO_PASSWORD, seed_demo

    runtime = _runtime()

    async def go() -> Any:
        await upgrade(runtime)
        result = await seed_demo(runtime, units=units, console=console)
        # each plugin adds its own demo data (governance: a proposal open for voting, with a chain)
        await runtime.host.demo_seeded(runtime, result.tenant_id)
        await runtime.db.dispose()
        return result

    result = run(go())
    table = Table(title="Demo logins (tenant: demo)")
    table.add_column("username")
    table.add_column("role")
    for username, role in result.logins:
        table.add_row(username, role)
    console.print(table)
    street = Table(title="Street office logins (no tenant; docs/regulator.md)")
    street.add_column("username")
    street.add_column("jurisdiction")
    for username, code in result.regulator_logins:
        street.add_row(username, code)
    console.print(street)
    console.print(f"password for all demo accounts: [bold]{DEMO_PASSWORD}[/bold]")
    console.print(
        "roles in LINLI_SECOND_FACTOR_ROLES (tenant_admin and regulator by default) enrol an authenticator app at their first login "
        "(enrolTotp / confirmTotp with the login's enrolmentToken; see docs/people.md)"
    )
    if serve_after:
        import os

        os.environ.setdefault("LINLI_DEMO_GOVERNANCE", "1")
        serve(host=host, port=port, workers=1, background=True, no_workers=False)


@tenant_cli.command("create")
def tenant_create(slug: str, name: str, admin: str = typer.Option(..., help="admin username"), password: str = typer.Option(..., prompt=True, hide_input=True)) -> None:
    """Provision a property firm with its admin account."""
    from kernel.errors import LinliError
    from tenants.lifecycle import provision

    runtime = _runtime()

    async def go() -> Any:
        try:
            await upgrade(runtime)  # a fresh data folder has no tables yet; migrating is idempotent
            return await provision(runtime, slug=slug, name=name, admin_username=admin, admin_password=password)
        finally:
            await runtime.db.dispose()

    try:
        p = run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    console.print(f"tenant [bold]{slug}[/bold] provisioned: {p.tenant_id}")


@tenant_cli.command("list")
def tenant_list() -> None:
    """List tenants and their status."""
    from tenants.lifecycle import list_tenants

    runtime = _runtime()

    async def go() -> Any:
        try:
            return await list_tenants(runtime)
        finally:
            await runtime.db.dispose()

    table = Table("slug", "name", "status", "id")
    for t in run(go()):
        table.add_row(t.slug, t.name, t.status, str(t.id))
    console.print(table)


def _set_status(slug: str, status: str, reason: str | None) -> None:
    from kernel.errors import LinliError
    from kernel.tenancy import TenantStatus
    from tenants.lifecycle import set_status

    runtime = _runtime()

    async def go() -> None:
        try:
            await set_status(runtime, slug, TenantStatus(status), reason)
        finally:
            await runtime.db.dispose()

    try:
        run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    console.print(f"tenant {slug}: {status}")


@tenant_cli.command("suspend")
def tenant_suspend(slug: str, reason: str = "") -> None:
    """Suspend a tenant: every request of it gets TENANT_SUSPENDED."""
    _set_status(slug, "suspended", reason)


@tenant_cli.command("resume")
def tenant_resume(slug: str) -> None:
    """Lift a suspension."""
    _set_status(slug, "active", None)


@tenant_cli.command("delete")
def tenant_delete(slug: str, yes: bool = typer.Option(False, "--yes", help="confirm")) -> None:
    """Delete a tenant and all its data (export it first)."""
    from tenants.lifecycle import delete_tenant

    if not yes:
        fail("this deletes every row of the tenant; run again with --yes (export first with `linli tenant export`)")
    runtime = _runtime()

    async def go() -> None:
        try:
            await delete_tenant(runtime, slug)
        finally:
            await runtime.db.dispose()

    run(go())
    console.print(f"tenant {slug} deleted")


@tenant_cli.command("export")
def tenant_export(
    slug: str,
    output: str = typer.Option(..., "-o", "--output", help="the zip file to write"),
    keep_encrypted: bool = typer.Option(
        False, "--keep-encrypted", help="keep personal data encrypted (platform backups); by default it is decrypted for the tenant"
    ),
) -> None:
    """Export every row of a tenant: a zip of JSON-lines files with a manifest (counts, sha256)."""
    from pathlib import Path
    from uuid import UUID

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from kernel.errors import LinliError
    from tenants.export import export_tenant, record_export

    runtime = _runtime()

    async def go() -> Any:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
            task = bar.add_task("exporting rows", total=None)

            def advance(table: str, rows: int) -> None:
                bar.update(task, advance=rows, description=f"exporting {table}")

            try:
                result = await export_tenant(
                    runtime, slug, Path(output), personal_data="encrypted" if keep_encrypted else "decrypted", progress=advance
                )
                tenant_id = UUID(result.manifest["tenant"]["id"])
                async with runtime.db.tenant(tenant_id) as s:
                    await record_export(s, tenant_id, "platform", result, via="cli")
                return result
            finally:
                await runtime.db.dispose()

    try:
        result = run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    table = Table("table", "rows", "sha256")
    for name, entry in sorted(result.manifest["tables"].items()):
        if entry["rows"]:
            table.add_row(name, str(entry["rows"]), entry["sha256"][:16] + "…")
    console.print(table)
    console.print(f"tenant {slug}: {result.total_rows} rows in {len(result.manifest['tables'])} tables → [bold]{output}[/bold] (personal data {result.manifest['personal_data']})")


@tenant_cli.command("rotate-key")
def tenant_rotate_key(
    slug: str,
    cipher: str = typer.Option(
        "", "--cipher", help="aes-256-gcm, sm4, sm4-gcm or sm4-cbc-hmac-sm3 (default LINLI_PERSONAL_DATA_CIPHER)"
    ),
    resume: bool = typer.Option(False, "--resume", help="only continue a rotation left under way"),
    batch_size: int = typer.Option(0, "--batch-size", min=0, help="rows per transaction (default LINLI_KEY_ROTATION_BATCH_SIZE)"),
) -> None:
    """Give a tenant a new data key (optionally under another cipher) and re-encrypt every encrypted
    column with it, in batches with a checkpoint: stopped anywhere, it resumes (run again, or the
    scheduled job does); every value stays readable throughout. Then the old key version is retired."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kernel import keys
    from kernel.errors import LinliError
    from kernel.tenancy import tenant_by_slug

    runtime = _runtime()

    async def go() -> Any:
        try:
            tenant = await tenant_by_slug(runtime, slug)
            current = await keys.status(runtime, tenant.id)
            if current.under_way:
                console.print(f"resuming the rotation to key version {current.pending or current.active}")
            elif resume:
                return current
            else:
                started = await keys.start_rotation(runtime, tenant.id, cipher=cipher or None, actor="platform:cli")
                console.print(f"key version {started.pending} created ({started.cipher_label}); waiting for every process to load it")
            total = await keys.remaining(runtime, tenant.id)
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("re-encrypting", total=total or None)

                def advance(state: keys.Rotation) -> None:
                    label = "waiting for every process to load the key ring" if state.phase == "waiting" else f"re-encrypting {state.table or '(checking)'}"
                    bar.update(task, advance=state.batch_rows, description=label)

                return await keys.run(runtime, tenant.id, batch_size=batch_size or None, progress=advance)
        finally:
            await runtime.db.dispose()

    try:
        state = run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    if state.phase == "idle" and resume:
        console.print(f"tenant {slug}: no rotation under way (key version {state.active}, {state.cipher_label})")
        return
    retired = ", ".join(str(v) for v in state.retired) or "none"
    console.print(
        f"[green]tenant {slug}[/green]: key version {state.active} ({state.cipher_label}) active; "
        f"{state.reencrypted} values re-encrypted; retired versions: {retired}"
    )


@tenant_cli.command("import")
def tenant_import(
    slug: str,
    csv_file: str = typer.Argument(..., metavar="FILE.csv", help="units and owners, one unit per row"),
    community_code: str = typer.Option(..., "--community-code", help="the community the units belong to"),
    lang: str = typer.Option("zh-CN", "--lang", help="language of the messages: zh-CN or en"),
) -> None:
    """Import units and owners from a CSV file (UTF-8, UTF-8 with BOM, GBK/GB18030: detected); any bad row
    writes nothing and is reported."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kernel.errors import LinliError
    from tenants.estate.import_messages import LOCALES
    from tenants.estate.importer import (
        error_report_path,
        import_for_tenant,
        read_csv_file,
        write_error_report,
    )

    if lang not in LOCALES:
        fail(f"--lang is one of {', '.join(LOCALES)} [BAD_USER_INPUT]")
    path = Path(csv_file)
    try:
        text = read_csv_file(path, lang)
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    except OSError as exc:
        fail(f"cannot read {path}: {exc}")
    runtime = _runtime()

    async def go() -> Any:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, Any] = {}

            def advance(stage: str, n: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task("validating rows" if stage == "validate" else "writing rows", total=total)
                bar.update(tasks[stage], advance=n)

            try:
                return await import_for_tenant(runtime, slug, text, community_code=community_code, actor="platform:cli", progress=advance, locale=lang)
            finally:
                await runtime.db.dispose()

    try:
        report = run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    if not report.ok:
        written = write_error_report(error_report_path(path), report.errors)
        table = Table("line", "column", "message", title=f"{len(report.errors)} problems — nothing was imported")
        for e in report.errors[:50]:
            table.add_row(str(e.line), e.column, e.message)
        console.print(table)
        if len(report.errors) > 50:
            console.print(f"… and {len(report.errors) - 50} more")
        fail(f"fix the rows listed in {written} and run the import again")
    console.print(
        f"[green]imported[/green] {report.units} units ({report.area / 100:.2f} m²) into {community_code}: "
        f"{report.buildings_created} new buildings, {report.persons_created} new owners "
        f"({report.persons_reused} already known), {report.ownerships} ownerships; file encoding {report.encoding}"
    )


@tenant_cli.command("jurisdiction")
def jurisdiction_create(
    code: str,
    name: str,
    district: str = typer.Option(None, help="the district code this street belongs to"),
    is_district: bool = typer.Option(False, "--is-district", help="create a district (above streets), not a street"),
) -> None:
    """Create a street (communities name it in their street code) or, with --is-district, a district."""
    from kernel.errors import LinliError
    from kernel.supervision.jurisdictions import create_jurisdiction

    runtime = _runtime()

    async def go() -> None:
        try:
            await upgrade(runtime)
            async with runtime.db.platform() as s:
                await create_jurisdiction(s, code=code, name=name, kind="district" if is_district else "street", parent_code=district)
        finally:
            await runtime.db.dispose()

    try:
        run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    console.print(f"{'district' if is_district else 'street'} [bold]{code}[/bold] ({name}) created")


@tenant_cli.command("regulator")
def regulator_create(
    username: str,
    street_code: str,
    name: str = typer.Option("街道办", help="display name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a regulator account (no tenant) for the jurisdiction STREET_CODE: a street, or a
    district (`linli tenant jurisdiction`), whose account sees all of its streets."""
    from kernel.errors import LinliError
    from kernel.identity.platform import create_platform_account

    runtime = _runtime()

    async def go() -> None:
        try:
            async with runtime.db.platform() as s:
                await create_platform_account(s, username, password, name, regulator_street_code=street_code)
        finally:
            await runtime.db.dispose()

    try:
        run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")
    console.print(f"regulator [bold]{username}[/bold] for jurisdiction {street_code}: log in without a tenant")


def _member_command(slug: str, work: Any) -> Any:
    """Run ``work(runtime, tenant, session)`` in the tenant's scope, as the platform operator."""
    from kernel.errors import LinliError
    from tenants.lifecycle import get_by_slug

    runtime = _runtime()

    async def go() -> Any:
        try:
            tenant = await get_by_slug(runtime, slug)
            async with runtime.db.tenant(tenant.id) as s:
                return await work(runtime, tenant, s)
        finally:
            await runtime.db.dispose()

    try:
        return run(go())
    except LinliError as exc:
        fail(f"{exc.message} [{exc.code}]")


@member_cli.command("invite")
def member_invite(
    slug: str,
    role: list[str] = typer.Option(..., "--role", help="a role (repeat for several)"),
    phone: str = typer.Option("", help="the person's mobile number"),
    email: str = typer.Option("", help="or their e-mail address"),
    name: str = typer.Option("", help="display name"),
    locale: str = typer.Option("zh-CN", help="zh-CN or en"),
) -> None:
    """Invite a person to tenant SLUG; prints the single-use code and link (also sent to them)."""
    from kernel import audit
    from kernel.identity import invitations

    async def work(runtime: Any, tenant: Any, s: Any) -> Any:
        invited = await invitations.invite(
            s, runtime.vault, tenant_id=tenant.id, tenant_slug=tenant.slug, contact=invitations.parse_contact(phone, email),
            roles=role, display_name=name, locale=locale, ttl_hours=runtime.settings.invitation_ttl_hours,
            public_url=runtime.settings.public_url,
        )
        await invitations.deliver(s, runtime, tenant.id, tenant.name, invited)
        await audit.record(s, tenant_id=tenant.id, actor="platform", action="member.invited", target=str(invited.invitation.id),
                           detail={"roles": invited.invitation.roles, "contact": invited.invitation.contact_masked})
        return invited

    invited = _member_command(slug, work)
    console.print(f"invited {invited.invitation.contact_masked} as {', '.join(invited.invitation.roles)}; valid until {invited.invitation.expires_at:%Y-%m-%d %H:%M} UTC")
    console.print(f"code: [bold]{invited.code}[/bold]\nlink: {invited.link}")


@member_cli.command("invite-csv")
def member_invite_csv(slug: str, path: str, locale: str = typer.Option("zh-CN", help="zh-CN or en")) -> None:
    """Invite everyone in a CSV (phone,email,roles,display_name; roles separated by ';'): all or
    nothing; errors go to <file>.errors.csv."""
    from pathlib import Path

    from kernel.identity import invitations

    file = Path(path)
    if not file.is_file():
        fail(f"no such file: {file}")
    rows, errors = invitations.parse_csv(file.read_text(encoding="utf-8-sig"))
    if errors:
        report = file.with_name(file.stem + ".errors.csv")
        report.write_text(invitations.error_report_csv(errors), encoding="utf-8")
        fail(f"{len(errors)} errors, nothing was sent; see {report}")

    async def work(runtime: Any, tenant: Any, s: Any) -> Any:
        done = []
        for _line, contact, roles, name in rows:
            invited = await invitations.invite(
                s, runtime.vault, tenant_id=tenant.id, tenant_slug=tenant.slug, contact=contact, roles=roles, display_name=name,
                locale=locale, ttl_hours=runtime.settings.invitation_ttl_hours, public_url=runtime.settings.public_url,
            )
            await invitations.deliver(s, runtime, tenant.id, tenant.name, invited)
            done.append(invited)
        return done

    table = Table("contact", "roles", "code")
    for invited in _member_command(slug, work):
        table.add_row(invited.invitation.contact_masked, ", ".join(invited.invitation.roles), invited.code)
    console.print(table)


@member_cli.command("list")
def member_list(slug: str) -> None:
    """The accounts of tenant SLUG with their roles."""
    from sqlalchemy import select

    from kernel.identity.authz import Policies
    from kernel.identity.models import Account

    async def work(runtime: Any, tenant: Any, s: Any) -> Any:
        roles: dict[Any, list[str]] = {}
        for account_id, r in await Policies(s, tenant.id).members():
            roles.setdefault(account_id, []).append(r)
        return [(a, sorted(roles.get(a.id, []))) for a in await s.scalars(select(Account).order_by(Account.username))]

    table = Table("username", "name", "roles", "active", "id")
    for account, held in _member_command(slug, work):
        table.add_row(account.username, account.display_name, ", ".join(held), "no" if account.disabled else "yes", str(account.id))
    console.print(table)


def _set_active(slug: str, username: str, active: bool) -> None:
    from kernel import audit
    from kernel.identity import members

    async def work(runtime: Any, tenant: Any, s: Any) -> Any:
        account = await members.by_username(s, username)
        if active:
            await members.reactivate(s, tenant.id, account.id)
        else:
            await members.deactivate(s, tenant.id, account.id, by=None)
        await audit.record(s, tenant_id=tenant.id, actor="platform", action="member.reactivated" if active else "member.deactivated", target=str(account.id))

    _member_command(slug, work)
    console.print(f"{username}: {'active again' if active else 'deactivated; its sessions, tokens and API keys stopped'}")


@member_cli.command("deactivate")
def member_deactivate(slug: str, username: str) -> None:
    """Deactivate USERNAME in tenant SLUG: sessions, refresh tokens and API keys stop at once."""
    _set_active(slug, username, False)


@member_cli.command("reactivate")
def member_reactivate(slug: str, username: str) -> None:
    """Let USERNAME log in to tenant SLUG again."""
    _set_active(slug, username, True)


@plugins_cli.command("list")
def plugins_list() -> None:
    """Installed plugins with version, SDK API and hooks."""
    from kernel.config import Settings
    from kernel.plugins.host import PluginHost

    host = PluginHost()  # the plugins alone: no database, outbox or chain relayer to build
    host.load(disabled=Settings().disable_plugins)
    table = Table("name", "version", "sdk", "builtin", "hooks")
    for p in host.describe():
        table.add_row(p["name"], p["version"], p["sdk_api"], "yes" if p["builtin"] else "no", ", ".join(p["hooks"]))
    console.print(table)


@audit_cli.command("verify")
def audit_verify(slug: str) -> None:
    """Recompute a tenant's audit hash chain and check it against the on-chain anchors; names the entry
    where it diverges, with what was expected and what was found."""
    from kernel.audit import verify
    from kernel.chain.indexer import audit_anchors
    from tenants.lifecycle import get_by_slug

    runtime = _runtime()

    async def go() -> Any:
        tenant = await get_by_slug(runtime, slug)
        async with runtime.db.tenant(tenant.id) as s:
            anchors = await audit_anchors(runtime, s)
            result = await verify(s, anchors or ())
        await runtime.db.dispose()
        return result, anchors

    result, anchors = run(go())
    if not result.ok:
        fail(f"audit log altered at {result.divergence}")
    console.print(f"[green]audit log intact[/green]: {result.entries} entries, head {result.head}")
    if result.queued:
        console.print(f"{result.queued} entries queued, not chained yet (the outbox worker appends them)")
    if result.dead:
        fail(f"{result.dead} queued audit entries were never chained (outbox messages of topic 'audit' given up on)")
    if anchors is None:
        console.print("[yellow]no on-chain anchor to check against[/yellow] (no community contracts on this chain)")
    else:
        console.print(f"matches {len(anchors)} on-chain anchors, the newest covering {result.anchored} entries")


def _disabled_plugins() -> list[str]:
    """``LINLI_DISABLE_PLUGINS`` as the settings read it; the settings class (pydantic) is only
    loaded when the variable or a ``.env`` file is there to read."""
    if "LINLI_DISABLE_PLUGINS" not in os.environ and not Path(".env").exists():
        return []
    from kernel.config import Settings

    return Settings().disable_plugins


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    runtime_host = None
    try:
        from kernel.plugins.host import PluginHost

        runtime_host = PluginHost()
        runtime_host.load(disabled=_disabled_plugins())
        runtime_host.add_commands(cli)
    except Exception as exc:  # a broken plugin must not hide the CLI
        console.print(f"[yellow]warning:[/yellow] plugins not loaded: {exc}")
    cli()
