"""Coded errors a plugin raises; the gateway maps each to its GraphQL/REST error code."""

from __future__ import annotations

from kernel.errors import (
    BadUserInput,
    ChainUnavailable,
    Conflict,
    Forbidden,
    LinliError,
    NotFound,
    PluginDisabled,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
)

__all__ = [
    "BadUserInput",
    "ChainUnavailable",
    "Conflict",
    "Forbidden",
    "LinliError",
    "NotFound",
    "PluginDisabled",
    "QuotaExceeded",
    "RateLimited",
    "Unauthenticated",
]
