"""``PluginHost``: the one typed facade through which the kernel calls plugins.

Built-in plugins are listed in :data:`DEFAULT_PLUGINS` (module names, loaded like any other);
third-party ones come from the ``linli.plugins`` entry-point group. ``LINLI_DISABLE_PLUGINS``
(comma-separated) keeps named plugins out of the process.
"""

from __future__ import annotations

import importlib
import inspect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy
import structlog

from kernel import hookspecs
from kernel.plugins.contributions import PluginManifest
from kernel.sdk_version import SDK_API_VERSION, is_compatible

log = structlog.get_logger("linli.plugins")

PROJECT = "linli"
ENTRY_POINT_GROUP = "linli.plugins"

#: Core modules that use the plugin hooks like any plugin (the estate registry, built-in scenarios).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "tenants.plugin",
    "kernel.notifications.plugin",
    "plugins.notices",
    "plugins.governance",
    "plugins.workorders",
    "plugins.fees",
    "plugins.inspections",
    "plugins.devices",
    "plugins.funds",
)


class PluginLoadError(RuntimeError):
    """A plugin cannot be loaded; the message names it and says what to do."""


@dataclass
class LoadedPlugin:
    name: str
    module: Any
    manifest: PluginManifest
    builtin: bool


class PluginHost:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        #: Handler failures per plugin (shown on ``/-/plugins`` and in metrics).
        self.failures: Counter[str] = Counter()

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
        if manifest.name in self.plugins:
            raise PluginLoadError(f"two plugins are named {manifest.name!r}")
        self.pm.register(module, name=manifest.name)
        loaded = LoadedPlugin(manifest.name, module, manifest, builtin)
        self.plugins[manifest.name] = loaded
        return loaded

    def load(
        self,
        *,
        defaults: Iterable[str] = DEFAULT_PLUGINS,
        extra: Iterable[ModuleType | Any] = (),
        entry_points: bool = True,
        disabled: Iterable[str] = (),
    ) -> None:
        disabled = set(disabled)
        for modname in defaults:
            module = importlib.import_module(modname)
            if getattr(module, "MANIFEST", None) and module.MANIFEST.name in disabled:
                continue
            self.register(module, builtin=True)
        if entry_points:
            from importlib.metadata import entry_points as eps

            for ep in eps(group=ENTRY_POINT_GROUP):
                if ep.name in disabled:
                    continue
                try:
                    module = ep.load()
                except Exception as exc:
                    raise PluginLoadError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
                if module.MANIFEST.name in disabled:
                    continue
                self.register(module)
        for module in extra:
            self.register(module)
        self.check()

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
        for name, permission_set in self.collect("register_permissions"):
            try:
                permission_set.validate(name)
            except ValueError as exc:
                raise PluginLoadError(str(exc)) from exc

    # -- calling ---------------------------------------------------------------------------------

    def _impls(self, hook: str) -> list[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook)
        # pluggy *calls* LIFO, but ``get_hookimpls()`` lists in registration order: keep that
        # order (built-ins first, then entry points, then extras), so the estate is set up
        # before the plugins that build on it.
        return [(impl.plugin_name, impl) for impl in caller.get_hookimpls()]

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a synchronous contribution hook on every plugin: ``[(plugin, result), ...]``."""
        out = []
        for name, impl in self._impls(hook):
            args = {k: kwargs[k] for k in impl.argnames}
            result = impl.function(**args)
            if inspect.isawaitable(result):
                raise PluginLoadError(f"plugin {name!r}: {hook} must not be async")
            if result is not None:
                out.append((name, result))
        return out

    async def acall(self, hook: str, *, only: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook, awaiting awaitable results. Exceptions propagate (the caller decides)."""
        out = []
        for name, impl in self._impls(hook):
            if only is not None and name != only:
                continue
            args = {k: kwargs[k] for k in impl.argnames}
            result = impl.function(**args)
            if inspect.isawaitable(result):
                result = await result
            out.append((name, result))
        return out

    async def notify_isolated(self, hook: str, **kwargs: Any) -> None:
        """Call a notification hook; a plugin that raises is logged and counted, others go on."""
        for name, impl in self._impls(hook):
            try:
                args = {k: kwargs[k] for k in impl.argnames}
                result = impl.function(**args)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                self.failures[name] += 1
                log.exception("plugin_hook_failed", plugin=name, hook=hook)

    def manifest(self, name: str) -> PluginManifest:
        try:
            return self.plugins[name].manifest
        except KeyError:
            from kernel.errors import NotFound

            raise NotFound(f"no plugin named {name!r} is installed; see `linli plugins list`") from None

    def describe(self) -> list[dict[str, Any]]:
        hooks_by_plugin: dict[str, list[str]] = {}
        for hook in hookspecs._all_hooks():
            for name, _ in self._impls(hook):
                hooks_by_plugin.setdefault(name, []).append(hook)
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
