"""``PluginHost``: the one typed facade through which the kernel calls plugins.

Every plugin — Linli's own included — is found through the ``linli.plugins`` entry-point group
of its distribution; Linli's pyproject declares its built-ins there exactly as a third party
would. :data:`BUILTIN_ORDER` only orders them (the estate first, so later plugins build on it).
``LINLI_DISABLE_PLUGINS`` (comma-separated) keeps named plugins out of the process.

Calls go through pluggy's ``pm.hook.<name>``: per-plugin calls (contributions attributed to the
plugin that made them, notifications isolated per plugin) use a pluggy subset caller per
implementation, in registration order. ``LINLI_TRACE_HOOKS=1`` logs every hook call with its
implementations and outcome (pluggy's hook-call monitoring).
"""

from __future__ import annotations

import importlib
import inspect
import os
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from kernel import hookspecs
from kernel.plugins.contributions import PluginManifest
from kernel.sdk_version import SDK_API_VERSION, is_compatible

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from kernel.consent.service import ConsentPurpose
    from kernel.devices.profiles import DeviceProfile
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
    from kernel.supervision.kpis import RegulatorKpi



def _log() -> Any:
    # structlog (and the asyncio it imports) loads on first log line, not with the host:
    # `linli --help` builds a host to list the plugins' commands.
    import structlog

    return structlog.get_logger("linli.plugins")

PROJECT = "linli"
ENTRY_POINT_GROUP = "linli.plugins"
#: The distribution whose entry points are Linli's own built-ins.
DISTRIBUTION = "linli"
#: The rooms of Linli itself (not plugins) whose components may declare ``core=True``.
CORE_ROOMS = frozenset({"kernel", "tenants"})
TRACE_ENV = "LINLI_TRACE_HOOKS"

#: The order Linli's own entry-point plugins load in (names from Linli's pyproject). Only the order:
#: what is loaded is what the ``linli.plugins`` entry points declare. Third-party plugins follow,
#: by name.
BUILTIN_ORDER: tuple[str, ...] = (
    "estate",
    "notifications",
    "notices",
    "governance",
    "workorders",
    "fees",
    "inspections",
    "devices",
    "funds",
    "care",
    "safety",
    "participation",
    "grid",
    "access",
    "parking",
)


class PluginLoadError(RuntimeError):
    """A plugin cannot be loaded; the message names it and says what to do."""


@dataclass
class LoadedPlugin:
    name: str
    module: Any
    manifest: PluginManifest
    builtin: bool


def _module_room(module: Any) -> str:
    return str(getattr(module, "__name__", "")).split(".", 1)[0]


class PluginHost:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        #: Handler failures per plugin (shown on ``/-/plugins`` and in metrics).
        self.failures: Counter[str] = Counter()
        self._untrace: Any = None
        if os.environ.get(TRACE_ENV, "") not in ("", "0"):
            self.trace()

    # -- tracing ---------------------------------------------------------------------------------

    def trace(self) -> None:
        """Log every hook call (``plugin_hook_call`` / ``plugin_hook_result``), as datasette's
        ``DATASETTE_TRACE_PLUGINS`` does; on with ``LINLI_TRACE_HOOKS=1``."""
        if self._untrace is not None:
            return

        def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
            _log().info("plugin_hook_call", hook=hook_name, plugins=[i.plugin_name for i in impls], args=sorted(kwargs))

        def after(outcome: pluggy.Result[Any], hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
            exc = outcome.exception
            _log().info("plugin_hook_result", hook=hook_name, plugins=[i.plugin_name for i in impls], error=repr(exc) if exc else None)

        self._untrace = self.pm.add_hookcall_monitoring(before, after)

    # -- loading ---------------------------------------------------------------------------------

    def register(self, module: ModuleType | Any, *, builtin: bool = False) -> LoadedPlugin:
        manifest = getattr(module, "MANIFEST", None)
        label = getattr(module, "__name__", repr(module))
        if not isinstance(manifest, PluginManifest):
            raise PluginLoadError(f"plugin {label} has no MANIFEST = PluginManifest(...)")
        if not is_compatible(manifest.sdk_api):
            raise PluginLoadError(
                f"plugin {manifest.name!r} targets SDK API {manifest.sdk_api}, but this Linli "
                f"provides {SDK_API_VERSION}; upgrade the plugin or disable it with "
                f"LINLI_DISABLE_PLUGINS={manifest.name}"
            )
        if manifest.core and not (builtin and _module_room(module) in CORE_ROOMS):
            raise PluginLoadError(
                f"plugin {manifest.name!r} ({label}) declares core=True, which is reserved to "
                f"Linli's own kernel and tenants components (the estate, notifications); remove it "
                f"from the manifest "
                f"(tenants enable the plugin instead, or set default_enabled=True)"
            )
        if manifest.name in self.plugins:
            raise PluginLoadError(f"two plugins are named {manifest.name!r}")
        self.pm.register(module, name=manifest.name)
        loaded = LoadedPlugin(manifest.name, module, manifest, builtin)
        self.plugins[manifest.name] = loaded
        return loaded

    def load(
        self,
        *,
        defaults: Iterable[str] | None = None,
        extra: Iterable[ModuleType | Any] = (),
        entry_points: bool = True,
        disabled: Iterable[str] = (),
    ) -> None:
        """Load the plugins: Linli's own from its ``linli.plugins`` entry points (in
        :data:`BUILTIN_ORDER`), then third parties' entry points (by name) when ``entry_points``,
        then ``extra`` modules (tests).

        ``defaults`` names modules to load *instead of* Linli's own entry points (benchmarks load
        a subset this way; ``()`` loads none).
        """
        disabled = set(disabled)
        if defaults is not None:
            for modname in defaults:
                module = importlib.import_module(modname)
                if getattr(module, "MANIFEST", None) and module.MANIFEST.name in disabled:
                    continue
                self.register(module, builtin=True)
        for ep, builtin in self._entry_points():
            if ep.name in disabled or (builtin and defaults is not None) or (not builtin and not entry_points):
                continue
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginLoadError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
            if module.MANIFEST.name in disabled:
                continue
            self.register(module, builtin=builtin)
        for module in extra:
            self.register(module)
        self.add_plugin_hookspecs()
        self.check()

    def add_plugin_hookspecs(self) -> None:
        """Add the hooks plugins declare through ``register_hookspecs`` (before ``check``)."""
        for _, specs in self.collect("register_hookspecs"):
            self.pm.add_hookspecs(specs)
    @staticmethod
    def _entry_points() -> list[tuple[Any, bool]]:
        from importlib.metadata import entry_points

        found = []
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            found.append((ep, dist is not None and dist.name == DISTRIBUTION))

        def order(item: tuple[Any, bool]) -> tuple[int, str]:
            ep, builtin = item
            if builtin:
                rank = BUILTIN_ORDER.index(ep.name) if ep.name in BUILTIN_ORDER else len(BUILTIN_ORDER)
                return (rank, ep.name)
            return (len(BUILTIN_ORDER) + 1, ep.name)

        return sorted(found, key=order)

    def check(self) -> None:
        """Refuse unknown hooks (``check_pending``) and unmet ``requires``."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin = getattr(exc, "plugin", None)
            name = self.pm.get_name(plugin) if plugin is not None else "?"
            raise PluginLoadError(f"plugin {name!r} implements a hook Linli does not know: {exc}") from exc
        for p in self.plugins.values():
            missing = [r for r in p.manifest.requires if r not in self.plugins]
            if missing:
                raise PluginLoadError(f"plugin {p.name!r} requires {', '.join(missing)}, which is not loaded")
        # a proposed grant of a permission the plugin never declared is a start-up error too
        for name, permission_set in self.permission_sets().items():
            try:
                permission_set.validate(name)
            except ValueError as exc:
                raise PluginLoadError(str(exc)) from exc

    # -- calling (generic) -----------------------------------------------------------------------

    def _callers(self, hook: str) -> list[tuple[str, Any]]:
        """One pluggy caller per plugin implementing ``hook``, in registration order.

        pluggy *calls* LIFO, but ``get_hookimpls()`` lists in registration order: keep that
        order (built-ins first, then third parties, then extras), so the estate is set up
        before the plugins that build on it.
        """
        names = [impl.plugin_name for impl in getattr(self.pm.hook, hook).get_hookimpls()]
        return [
            (name, self.pm.subset_hook_caller(hook, remove_plugins=[self.pm.get_plugin(n) for n in names if n != name]))
            for name in names
        ]

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a synchronous contribution hook on every plugin: ``[(plugin, result), ...]``."""
        out = []
        for name, caller in self._callers(hook):
            for result in caller(**kwargs):
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()
                    raise PluginLoadError(f"plugin {name!r}: {hook} must not be async")
                out.append((name, result))
        return out

    async def acall(self, hook: str, *, only: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook, awaiting awaitable results. Exceptions propagate (the caller decides)."""
        out = []
        for name, caller in self._callers(hook):
            if only is not None and name != only:
                continue
            results = caller(**kwargs)
            result = results[0] if results else None
            if inspect.isawaitable(result):
                result = await result
            out.append((name, result))
        return out

    async def notify_isolated(self, hook: str, **kwargs: Any) -> None:
        """Call a notification hook; a plugin that raises is logged and counted, others go on."""
        for name, caller in self._callers(hook):
            try:
                for result in caller(**kwargs):
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                self.failures[name] += 1
                _log().exception("plugin_hook_failed", plugin=name, hook=hook)

    # -- typed facade: what the kernel, the gateway and the CLI call -----------------------------

    def models(self) -> dict[str, list[type]]:
        """``register_models``: each plugin's mapped classes, checked to derive from the SDK's
        ``Base`` (so they are in the metadata migrations, tenant export and deletion cover)."""
        from kernel.db.base import Base

        out: dict[str, list[type]] = {}
        for name, models in self.collect("register_models"):
            for model in models:
                if not (isinstance(model, type) and issubclass(model, Base)):
                    raise PluginLoadError(f"plugin {name!r}: register_models returned {model!r}, not a model derived from kernel.sdk.db.Base")
            out[name] = list(models)
        return out

    def migration_dirs(self) -> dict[str, str]:
        """``register_migrations``: each plugin's Alembic version directory."""
        return {name: str(path) for name, path in self.collect("register_migrations")}

    def graphql_contributions(self) -> list[tuple[str, GraphQLContribution]]:
        """``register_graphql``, attributed to each plugin (the composer guards their fields)."""
        return self.collect("register_graphql")

    def permission_sets(self) -> dict[str, PermissionSet]:
        """``register_permissions``: each plugin's permissions and proposed grants."""
        return dict(self.collect("register_permissions"))

    def event_handlers(self) -> list[tuple[str, EventHandlers]]:
        """``register_event_handlers``: each plugin's event type → handler mapping."""
        return self.collect("register_event_handlers")

    def routes(self) -> list[Any]:
        """``register_routes``: every plugin's FastAPI routers, in plugin order."""
        return [router for _, routers in self.collect("register_routes") for router in routers]

    def add_commands(self, cli: Any) -> None:
        """``register_commands``: let each plugin add its typer commands to ``cli``."""
        self.collect("register_commands", cli=cli)

    def scheduled_jobs(self) -> list[ScheduledJob]:
        """``register_scheduled_jobs``: every plugin's jobs, in plugin order."""
        return [job for _, jobs in self.collect("register_scheduled_jobs") for job in jobs]

    def device_profiles(self) -> list[tuple[str, list[DeviceProfile]]]:
        """``register_device_profiles``, attributed to each plugin."""
        return self.collect("register_device_profiles")

    def device_alarm_takeovers(self) -> list[tuple[str, list[str]]]:
        """``register_device_alarm_takeovers``: the device alarm rules each plugin takes over."""
        return self.collect("register_device_alarm_takeovers")

    def contract_contributions(self) -> list[tuple[str, ContractContribution | list[ContractContribution]]]:
        """``register_contracts``, attributed to each plugin (the catalog checks the roles)."""
        return self.collect("register_contracts")

    def service_contributions(self) -> list[tuple[str, dict[str, Any]]]:
        """``register_services``: each plugin's named services."""
        return self.collect("register_services")

    def notification_templates(self) -> list[tuple[str, list[NotificationTemplate]]]:
        """``register_notification_templates``, attributed to each plugin (the registry names
        both plugins when a key is defined twice differently)."""
        return self.collect("register_notification_templates")

    def notification_channels(self) -> list[tuple[str, list[NotificationChannel]]]:
        """``register_notification_channels``, attributed to each plugin."""
        return self.collect("register_notification_channels")

    def consent_purposes(self) -> list[tuple[str, list[ConsentPurpose]]]:
        """``register_consent_purposes``, attributed to each plugin."""
        return self.collect("register_consent_purposes")

    def regulator_kpis(self) -> dict[str, tuple[str, RegulatorKpi]]:
        """``register_regulator_kpis``: ``{key: (plugin, kpi)}``, computed once; a key outside
        its plugin's namespace or declared twice is an error."""
        cached = self.__dict__.get("_regulator_kpis")
        if cached is None:
            from kernel.supervision.kpis import validate_kpis

            cached = self.__dict__["_regulator_kpis"] = validate_kpis(self.collect("register_regulator_kpis"))
        return dict(cached)

    def web_pages(self) -> list[tuple[str, WebPage]]:
        """``register_web_pages``, attributed to each plugin, in plugin order (computed once):
        every page validated; one key twice in one plugin's client stops with a PluginLoadError."""
        cached = self.__dict__.get("_web_pages")
        if cached is not None:
            return list(cached)
        pages: list[tuple[str, WebPage]] = []
        seen: set[tuple[str, str, str]] = set()
        for name, contributed in self.collect("register_web_pages"):
            for page in contributed or ():
                try:
                    page.validate(name)
                except ValueError as exc:
                    raise PluginLoadError(str(exc)) from None
                if (name, page.client, page.key) in seen:
                    raise PluginLoadError(f"plugin {name!r} contributes the {page.client} page {page.key!r} twice")
                seen.add((name, page.client, page.key))
                pages.append((name, page))
        self.__dict__["_web_pages"] = tuple(pages)
        return pages

    async def startup(self, runtime: Any) -> None:
        """``on_startup``, isolated per plugin."""
        await self.notify_isolated("on_startup", runtime=runtime)

    async def shutdown(self, runtime: Any) -> None:
        """``on_shutdown``, isolated per plugin."""
        await self.notify_isolated("on_shutdown", runtime=runtime)

    async def tenant_provisioned(self, tenant_id: uuid.UUID, session: AsyncSession) -> None:
        """``on_tenant_provisioned``; a plugin that raises aborts the provisioning."""
        await self.acall("on_tenant_provisioned", tenant_id=tenant_id, session=session)

    async def plugin_enabled(self, plugin: str, tenant_id: uuid.UUID, session: AsyncSession) -> None:
        """``on_plugin_enabled`` inside the enabling transaction."""
        await self.acall("on_plugin_enabled", plugin=plugin, tenant_id=tenant_id, session=session)

    async def plugin_disabled(self, plugin: str, tenant_id: uuid.UUID, session: AsyncSession) -> None:
        """``on_plugin_disabled`` inside the disabling transaction."""
        await self.acall("on_plugin_disabled", plugin=plugin, tenant_id=tenant_id, session=session)

    async def demo_seeded(self, runtime: Any, tenant_id: uuid.UUID) -> None:
        """``on_demo_seeded`` after ``linli demo`` seeded the demo firm; a plugin that raises
        aborts the command."""
        await self.acall("on_demo_seeded", runtime=runtime, tenant_id=tenant_id)

    # -- introspection ---------------------------------------------------------------------------

    def manifest(self, name: str) -> PluginManifest:
        try:
            return self.plugins[name].manifest
        except KeyError:
            from kernel.errors import NotFound

            raise NotFound(f"no plugin named {name!r} is installed; see `linli plugins list`") from None

    def describe(self) -> list[dict[str, Any]]:
        hooks_by_plugin: dict[str, list[str]] = {}
        for hook in hookspecs._all_hooks():
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                hooks_by_plugin.setdefault(impl.plugin_name, []).append(hook)
        return [
            {
                "name": p.name,
                "version": p.manifest.version,
                "sdk_api": p.manifest.sdk_api,
                "description": p.manifest.description,
                "builtin": p.builtin,
                "default_enabled": p.manifest.default_enabled,
                "hooks": sorted(hooks_by_plugin.get(p.name, [])),
                "handler_failures": self.failures[p.name],
            }
            for p in self.plugins.values()
        ]
