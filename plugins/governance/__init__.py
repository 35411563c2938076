"""Owners' governance (业主共同决定) under Civil Code Art. 278, with votes and outcomes on chain.

The package is the plugin module: the host reads ``MANIFEST`` and the ``@hookimpl`` functions re-exported
here from :mod:`plugins.governance.plugin`.
"""

from plugins.governance.plugin import (
    MANIFEST,
    on_demo_seeded,
    on_startup,
    register_contracts,
    register_event_handlers,
    register_graphql,
    register_migrations,
    register_models,
    register_notification_templates,
    register_permissions,
    register_regulator_kpis,
    register_routes,
    register_scheduled_jobs,
    register_services,
    register_web_pages,
)

__all__ = [
    "MANIFEST",
    "on_demo_seeded",
    "on_startup",
    "register_contracts",
    "register_event_handlers",
    "register_graphql",
    "register_migrations",
    "register_models",
    "register_notification_templates",
    "register_permissions",
    "register_regulator_kpis",
    "register_web_pages",
    "register_routes",
    "register_services",
    "register_scheduled_jobs",
]
