"""Hook specifications: the whole contract between the kernel and its plugins.

Project name ``linli``; third-party plugins register through the ``linli.plugins`` entry-point
group. Every hook may return an awaitable; the host awaits it. Hooks are called with keyword
arguments only, so a plugin may implement a hook with any subset of the arguments.

Each hook is documented in ``docs/plugins/hooks.md`` and tested by ``test_hook_<name>``; a
meta-test keeps the three in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import uuid
    from collections.abc import Awaitable
    from types import ModuleType

    import typer
    from fastapi import APIRouter
    from sqlalchemy.ext.asyncio import AsyncSession

    from kernel.consent.service import ConsentPurpose
    from kernel.devices.profiles import DeviceProfile
    from kernel.erasure import ErasureStep
    from kernel.notifications.channels import NotificationChannel
    from kernel.notifications.templates import NotificationTemplate
    from kernel.plugins.contributions import (
        ContractContribution,
        EventHandlers,
        GraphQLContribution,
        PermissionSet,
        ScheduledJob,
        WebPage,
    )
    from kernel.runtime import Runtime
    from kernel.supervision.kpis import RegulatorKpi

hookspec = pluggy.HookspecMarker("linli")

# ---------------------------------------------------------------------------------------------
# Contributions: called once at start-up, results collected from every loaded plugin.
# ---------------------------------------------------------------------------------------------


@hookspec
def register_hookspecs() -> ModuleType | type | None:
    """Declare hooks of the plugin's own, which other plugins may implement.

    Called once at start-up, after every plugin is registered and before unknown hooks are
    refused (``check_pending``), as pytest's ``pytest_addhooks``: the host passes each result to
    pluggy's ``add_hookspecs``. Mark the specs with ``kernel.sdk.hookspec``; call them through
    ``kernel.sdk.plugin_hooks(runtime).<name>(...)``. An implementing plugin that must also load
    without the declaring one marks its implementation ``@hookimpl(optionalhook=True)``.

    :return: a module or class holding ``@hookspec`` functions.

    .. versionadded:: 0.2
    """


@hookspec
def register_models() -> list[type] | None:
    """Declare the SQLAlchemy models (tables) the plugin owns.

    Called by ``PluginHost.models()`` (tenant export maps every contributed model through it).
    The models must derive from ``kernel.sdk.Base`` — anything else is refused with a
    ``PluginLoadError`` naming the plugin; tenant-owned ones from ``kernel.sdk.TenantRecord`` so
    that the tenant scope, row-level security and tenant export cover them.

    :return: a list of model classes.

    .. versionadded:: 0.1
    """


@hookspec
def register_migrations() -> str | None:
    """Give the directory of the plugin's Alembic version scripts.

    Called by ``linli db upgrade`` (and the embedded default's automatic upgrade). The scripts
    form their own branch (``branch_labels = ("<plugin>",)``) depending on the kernel's head.

    :return: an absolute path to a ``versions`` directory.

    .. versionadded:: 0.1
    """


@hookspec
def register_graphql() -> GraphQLContribution | None:
    """Contribute GraphQL root types (query, mutation, subscription fields) and extra types.

    Called once when the schema is composed at start-up. A root field name that collides with
    another plugin's or the kernel's stops start-up with an error naming both.  Fields of a
    plugin a tenant has not enabled answer with ``PLUGIN_DISABLED``.

    :return: a :class:`kernel.sdk.GraphQLContribution`.

    .. versionadded:: 0.1
    """


@hookspec
def register_permissions() -> PermissionSet | None:
    """Declare the permissions the plugin checks and the role grants it proposes.

    Called at start-up. When a tenant admin enables the plugin, the proposed grants are applied
    in that tenant's domain; disabling revokes exactly those grants (prepare/apply, as in
    Aragon OSx).

    :return: a :class:`kernel.sdk.PermissionSet`.

    .. versionadded:: 0.1
    """


@hookspec
def register_event_handlers() -> EventHandlers | None:
    """Subscribe to domain events.

    Called at start-up. Handlers run after the publishing transaction commits, delivered from the
    outbox at least once (use ``event.id`` for idempotency), only for tenants that enabled the
    plugin. A handler that raises is logged with the plugin's name, counted, retried with
    back-off, and never disturbs other handlers.

    :return: a mapping of event type (``"notice.published"``) to ``async def handler(ctx, event)``.

    .. versionadded:: 0.1
    """


@hookspec
def register_routes() -> list[APIRouter] | None:
    """Contribute plain HTTP routes (webhooks, device endpoints, files).

    Called once when the FastAPI app is built. Routes are mounted as given; use a prefix under
    ``/plugins/<name>/`` unless the plugin implements a standard API.

    :return: a list of ``fastapi.APIRouter``.

    .. versionadded:: 0.1
    """


@hookspec
def register_commands(cli: typer.Typer) -> None:
    """Add sub-commands to the ``linli`` command line.

    Called when the CLI is built.

    :param cli: the root ``typer.Typer`` application; add a sub-app with ``cli.add_typer``.

    .. versionadded:: 0.1
    """


@hookspec
def register_scheduled_jobs() -> list[ScheduledJob] | None:
    """Contribute periodic jobs run by the scheduler worker (in ``linli serve`` and ``linli worker``).

    Called when the workers start. A job that raises is logged and runs again at its next
    interval; jobs run in every worker process, so make them idempotent.

    :return: a list of :class:`kernel.sdk.ScheduledJob` (name, interval, ``async def run(runtime)``).

    .. versionadded:: 0.1
    """


@hookspec
def register_device_profiles() -> list[DeviceProfile] | None:
    """Contribute device profiles: a device type's telemetry keys (kind, unit, valid range),
    alarm rules (threshold, duration, missing data) and commands (RPC methods).

    Called once at start-up, when the device profile catalog is built. A profile ``type`` is a
    stable key stored on every device of that type; two plugins contributing the same type stop
    start-up with an error naming both.

    :return: a list of :class:`kernel.sdk.DeviceProfile`.

    .. versionadded:: 0.1
    """


@hookspec
def register_device_alarm_takeovers() -> list[str] | None:
    """Name the device alarm rules (``AlarmRule.name`` of any profile, e.g. ``"smoke"``) this
    plugin takes over: it tells people of them itself (its own escalation), so the generic
    "device alarm" notice is not sent as well — one notification per alarm per recipient.

    Called once per runtime. When such a rule raises a device alarm in a tenant that enabled the
    plugin, ``device.alarm_raised`` carries ``taken_over_by: [plugin, …]``; a plugin that takes
    an alarm over and then decides not to handle it (its rule switched off there) tells people
    itself.

    :return: a list of alarm rule names.

    .. versionadded:: 0.2
    """


@hookspec
def register_contracts() -> ContractContribution | list[ContractContribution] | None:
    """Contribute smart contracts to every community's deployment: their artifacts by role, the
    deployment step, how the relayer classifies their reverts and receipts (done / retry / failed),
    which of their calls it batches, the indexer's event projections and a reconcile check.

    Called once per process, when the contract catalog is built (on the first chain use). A role
    (``"governance"``) is the name ``enqueue_chain_call(contract=...)`` uses; two plugins contributing
    the same role stop with an error naming both. The kernel contributes ``registry`` and ``audit``.

    :return: a :class:`kernel.sdk.ContractContribution` (or a list of them).

    .. versionadded:: 0.2
    """


@hookspec
def register_notification_templates() -> list[NotificationTemplate] | None:
    """Contribute notification templates: what a notification says, in zh-CN and en.

    Called when a runtime is built. Each :class:`kernel.sdk.NotificationTemplate` has a stable
    ``key`` (``<plugin>.<what>``), a ``category`` people set preferences for, and a subject and
    body per locale with ``{placeholders}`` filled from the data given to ``sdk.notify``. Two
    plugins defining one key differently stop start-up with an error naming both.

    :return: a list of :class:`kernel.sdk.NotificationTemplate`.

    .. versionadded:: 0.2
    """


@hookspec
def register_services() -> dict[str, Any] | None:
    """Contribute named services other plugins call (``kernel.sdk.service(runtime, name)``).

    Called once when the runtime is built. Name services ``<plugin>.<what>``; a plugin that
    uses another's service lists that plugin in its manifest's ``requires`` (so it is loaded
    and enabled first). ``runtime.services[name]`` set before the lookup replaces a service
    (a test's stand-in, another implementation).

    :return: a mapping of service name to the service (any object, often an async function).

    .. versionadded:: 0.2
    """


@hookspec
def register_notification_channels() -> list[NotificationChannel] | None:
    """Contribute notification channels (a WeChat gateway, a push service…).

    Called when a runtime is built. Each :class:`kernel.sdk.NotificationChannel` names the address
    it needs (``account``, ``email`` or ``phone``) and an ``async send(runtime, message)`` called
    by the outbox worker after the notifying transaction committed, at least once; raise
    ``ChannelUnavailable`` to be retried with back-off, ``DeliveryRejected`` for a final failure.
    The kernel's inbox, e-mail and webhook channels come through this hook too. A channel name
    defined twice stops start-up with an error naming both.

    :return: a list of :class:`kernel.sdk.NotificationChannel`.

    .. versionadded:: 0.2
    """


@hookspec
def register_consent_purposes() -> list[ConsentPurpose] | None:
    """Declare the purposes the plugin processes personal data for, with the data categories
    each uses, so that people can grant and revoke consent per purpose.

    Called when the purposes are first needed (GraphQL ``consentPurposes``, a grant). Check
    ``await sdk.require_consent(session, person_id, key)`` before processing the data, and handle
    the ``consent.revoked`` event (payload ``person_id``, ``purpose``) to stop. A key declared by
    two plugins differently stops with an error naming both.

    :return: a list of :class:`kernel.sdk.ConsentPurpose`.

    .. versionadded:: 0.2
    """


@hookspec
def register_regulator_kpis() -> list[RegulatorKpi] | None:
    """Contribute KPIs the street office sees (``regulatorKpis``): each a
    :class:`kernel.sdk.regulator.RegulatorKpi` keyed ``<plugin>.<name>``.

    Called once, when the first ``regulatorKpis`` query needs the list. Its ``collect(session, community_ids, since, until)`` runs in each firm of the regulator's
    jurisdiction that enabled the plugin, in an ordinary tenant session, and returns raw
    :class:`kernel.sdk.regulator.KpiSample` rows of those communities; the kernel aggregates them
    per community, firm and jurisdiction, as a figure and a weekly or monthly series, suppresses
    groups drawn from fewer than five persons and audits the read in each firm.

    :return: a list of :class:`kernel.sdk.regulator.RegulatorKpi`.

    .. versionadded:: 0.2
    """


@hookspec
def register_web_pages() -> list[WebPage] | None:
    """Contribute pages to the web clients: the staff console, the resident app, the dashboard.

    Called once at start-up. Each :class:`kernel.sdk.WebPage` is one menu entry (titles in zh-CN
    and en) of one client, with the permission it needs and, for a third party's page, the
    absolute path of its ES module: the gateway serves that module's folder under
    ``/web-plugins/<plugin>/`` and GraphQL ``webPages(client)`` lists the pages the signed-in
    person may use in a tenant that enabled the plugin; the client imports the module at run
    time and calls its ``mount(element, api)``. Two pages of one plugin with the same key and
    client, or a malformed page, stop start-up with an error naming the plugin.

    :return: a list of :class:`kernel.sdk.WebPage`.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@hookspec
def on_startup(runtime: Runtime) -> Awaitable[None] | None:
    """Called once when the process starts, after migrations and before serving requests.

    :param runtime: the process's :class:`kernel.runtime.Runtime` (settings, database, host).

    .. versionadded:: 0.1
    """


@hookspec
def on_shutdown(runtime: Runtime) -> Awaitable[None] | None:
    """Called once when the process stops; release what ``on_startup`` acquired.

    :param runtime: the process's runtime.

    .. versionadded:: 0.1
    """


@hookspec
def on_tenant_provisioned(tenant_id: uuid.UUID, session: AsyncSession) -> Awaitable[None] | None:
    """Called inside the provisioning transaction of a new tenant, after its admin, default
    roles and default plugins exist. Raising aborts the provisioning as a whole.

    :param tenant_id: the new tenant.
    :param session: a session scoped to the new tenant (flush, do not commit).

    .. versionadded:: 0.1
    """


@hookspec
def on_plugin_enabled(plugin: str, tenant_id: uuid.UUID, session: AsyncSession) -> Awaitable[None] | None:
    """Called inside the transaction that enables ``plugin`` for a tenant, after its grants were
    applied. Every plugin hears about every enablement; check ``plugin`` against your name.

    :param plugin: the plugin's name.
    :param tenant_id: the tenant.
    :param session: a session scoped to that tenant.

    .. versionadded:: 0.1
    """


@hookspec
def on_plugin_disabled(plugin: str, tenant_id: uuid.UUID, session: AsyncSession) -> Awaitable[None] | None:
    """Called inside the transaction that disables ``plugin`` for a tenant, after its grants
    were revoked. The plugin's data is kept.

    :param plugin: the plugin's name.
    :param tenant_id: the tenant.
    :param session: a session scoped to that tenant.

    .. versionadded:: 0.1
    """


@hookspec
def on_demo_seeded(runtime: Runtime, tenant_id: uuid.UUID) -> Awaitable[None] | None:
    """Called by ``linli demo`` after the demo firm (tenant ``demo``: communities, units,
    owners, staff) was seeded and migrations ran; add the plugin's own demo data here.

    Runs once per ``linli demo`` invocation, outside any transaction: open your own session
    with ``runtime.db.tenant(tenant_id)``. A plugin that raises aborts the demo command.

    :param runtime: the process's runtime (settings, database, host).
    :param tenant_id: the demo tenant.

    .. versionadded:: 0.2
    """


@hookspec
def on_personal_data_erasure(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> Awaitable[list[ErasureStep]] | list[ErasureStep] | None:
    """Called inside the transaction that executes a person's erasure request, before the
    catalogue-driven pass removes every row naming the person (``account_id``, ``person_id``,
    ``holder_key`` columns). Remove or pseudonymise the rows of the plugin's that reach the person
    only through another row, with ``kernel.sdk.erasure.remove_rows`` / ``pseudonymise_rows``.
    Raising aborts the erasure as a whole.

    :param session: a session scoped to the tenant (flush, do not commit).
    :param tenant_id: the tenant.
    :param account_id: the person's login.
    :param person_ids: the register persons linked to the login (may be empty).
    :return: the :class:`kernel.sdk.erasure.ErasureStep` of each table touched (for the report).

    .. versionadded:: 0.2
    """


def _all_hooks() -> dict[str, Any]:
    return {k: v for k, v in globals().items() if callable(v) and (k.startswith("register_") or k.startswith("on_"))}
