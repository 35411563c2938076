"""Plugins declare hooks of their own (``register_hookspecs``) that other plugins implement."""

from __future__ import annotations

import types

import pytest

from kernel.plugins.host import PluginHost, PluginLoadError
from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl, hookspec, plugin_hooks


def _specs_module() -> types.ModuleType:
    specs = types.ModuleType("counting_specs")

    @hookspec
    def counting_contribute(start: int) -> int:  # pragma: no cover - a spec
        """A contribution to a count."""

    specs.counting_contribute = counting_contribute  # type: ignore[attr-defined]
    return specs


def _declaring() -> types.ModuleType:
    mod = types.ModuleType("counting")
    mod.MANIFEST = PluginManifest(name="counting", version="1", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]
    specs = _specs_module()

    @hookimpl
    def register_hookspecs():
        return specs

    mod.register_hookspecs = register_hookspecs  # type: ignore[attr-defined]
    return mod


def _implementing(name: str, value: int, *, optional: bool = True) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.MANIFEST = PluginManifest(name=name, version="1", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]

    def counting_contribute(start: int) -> int:
        return start + value

    mod.counting_contribute = hookimpl(optionalhook=optional)(counting_contribute)  # type: ignore[attr-defined]
    return mod


def test_hook_register_hookspecs():
    host = PluginHost()
    # the implementer is registered before the declarer: the spec is added before the check
    host.load(defaults=(), extra=[_implementing("adds_two", 2), _declaring(), _implementing("adds_five", 5)], entry_points=False)
    runtime = types.SimpleNamespace(host=host)
    assert sorted(plugin_hooks(runtime).counting_contribute(start=10)) == [12, 15]


def test_an_optional_implementation_loads_without_the_declaring_plugin():
    host = PluginHost()
    host.load(defaults=(), extra=[_implementing("adds_two", 2)], entry_points=False)
    assert "adds_two" in host.plugins


def test_a_required_implementation_of_an_undeclared_hook_stops_start_up():
    host = PluginHost()
    with pytest.raises(PluginLoadError, match="adds_two"):
        host.load(defaults=(), extra=[_implementing("adds_two", 2, optional=False)], entry_points=False)
