"""Named services plugins offer each other (``register_services``) and look up through the SDK.

A lookup reads ``runtime.services`` first (so a test or another implementation can stand in), then the
services the loaded plugins contribute, collected once per runtime.
"""

from __future__ import annotations

from typing import Any

__all__ = ["service"]

_CONTRIBUTED = "plugins.contributed_services"


def _contributed(runtime: Any) -> dict[str, Any]:
    found = runtime.services.get(_CONTRIBUTED)
    if found is None:
        found = {}
        for plugin, services in runtime.host.service_contributions():
            for name, value in dict(services).items():
                if not name.startswith(f"{plugin}."):
                    raise ValueError(f"plugin {plugin!r}: service {name!r} must be named '{plugin}.<what>'")
                found[name] = value
        runtime.services[_CONTRIBUTED] = found
    return found  # type: ignore[no-any-return]


def service(runtime: Any, name: str, default: Any = None) -> Any:
    """The service called ``name`` (``"governance.proposal_facts"``), or ``default`` when no loaded plugin
    offers it."""
    found = runtime.services.get(name)
    if found is not None:
        return found
    return _contributed(runtime).get(name, default)
