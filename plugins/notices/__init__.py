"""Notices and announcements (通知公告) with read receipts and the public disclosure board (公示).

The package is the plugin module: the host reads ``MANIFEST`` and the ``@hookimpl`` functions
re-exported here from :mod:`plugins.notices.plugin`.
"""

from plugins.notices.plugin import (
    MANIFEST,
    register_event_handlers,
    register_graphql,
    register_migrations,
    register_models,
    register_notification_templates,
    register_permissions,
    register_web_pages,
)

__all__ = [
    "MANIFEST",
    "register_event_handlers",
    "register_graphql",
    "register_migrations",
    "register_models",
    "register_notification_templates",
    "register_permissions",
    "register_web_pages",
]
