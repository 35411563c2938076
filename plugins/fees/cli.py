"""``linli fees bill <tenant> <period>``: a billing run from the command line, with a progress bar."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kernel.sdk.runtime import Runtime

fees_cli = typer.Typer(help="Property fees: billing runs.", no_args_is_help=True)
console = Console()


async def bill(
    tenant_slug: str, period: str, community_code: str | None, runtime: Runtime | None = None
) -> Any:
    """Run billing for a tenant (by slug) and period; returns the BillingRun."""
    from sqlalchemy import select

    from kernel.sdk import NotFound, build_runtime, enabled_plugins
    from kernel.sdk.estate import Community
    from kernel.sdk.tenants import tenant_by_slug as get_by_slug
    from plugins.fees import service

    own = runtime is None
    runtime = runtime or build_runtime()
    try:
        tenant = await get_by_slug(runtime, tenant_slug)
        with Progress(
            TextColumn("billing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"{tenant_slug} {period}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async with runtime.db.tenant(tenant.id) as session:
                if "fees" not in await enabled_plugins(session):
                    raise NotFound(f"the fees plugin is not enabled for {tenant_slug!r}")
                community_id = None
                if community_code:
                    community_id = await session.scalar(
                        select(Community.id).where(Community.code == community_code)
                    )
                    if community_id is None:
                        raise NotFound(f"no community with code {community_code!r}")
                run = await service.run_billing(
                    session,
                    tenant.id,
                    period,
                    runtime=runtime,
                    community_id=community_id,
                    actor="cli",
                    progress=advance,
                )  # audited and announced (``fee.billing_completed``) by the service
        return run
    finally:
        if own:
            await runtime.db.dispose()


@fees_cli.command("bill")
def bill_command(
    tenant: str = typer.Argument(..., help="tenant slug"),
    period: str = typer.Argument(..., help="YYYY-MM"),
    community: str | None = typer.Option(None, help="only this community (code)"),
) -> None:
    """Bill every unit of a tenant for a period. All-or-nothing; safe to run again."""
    from kernel.sdk import LinliError

    try:
        run = asyncio.run(bill(tenant, period, community))
    except LinliError as exc:
        console.print(f"[red]error:[/red] {exc.message} [{exc.code}]")
        raise typer.Exit(1) from None
    yuan = f"{run.amount_total // 100}.{run.amount_total % 100:02d}"
    console.print(
        f"[green]billed[/green] {run.bills_created} bills, {yuan} yuan; {run.bills_existing} existed already"
    )
