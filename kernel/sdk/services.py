"""Services plugins offer one another (``register_services``): a plugin that ``requires`` another
looks up a named callable instead of importing the other plugin's code."""

from __future__ import annotations

from kernel.plugins.services import service

__all__ = ["service"]
