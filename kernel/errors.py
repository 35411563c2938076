"""Coded errors. Every error a user can cause carries one of these codes in
``extensions.code`` (GraphQL) or ``{"error": {"code": ...}}`` (HTTP)."""

from __future__ import annotations

from typing import Any, ClassVar

CODES = (
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "PLUGIN_DISABLED",
    "RATE_LIMITED",
    "QUOTA_EXCEEDED",
    "CHAIN_UNAVAILABLE",
    "DATABASE_UNAVAILABLE",
    "CONFLICT",
    "TENANT_SUSPENDED",
    "PAYLOAD_TOO_LARGE",
)

HTTP_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "TENANT_SUSPENDED": 403,
    "NOT_FOUND": 404,
    "BAD_USER_INPUT": 400,
    "PLUGIN_DISABLED": 403,
    "RATE_LIMITED": 429,
    "QUOTA_EXCEEDED": 429,
    "CHAIN_UNAVAILABLE": 503,
    "DATABASE_UNAVAILABLE": 503,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
}


class LinliError(Exception):
    """An error a user can act on. ``code`` is machine-readable; the message says what to do."""

    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            if code not in CODES:
                raise ValueError(f"unknown error code {code!r}")
            self.code = code  # type: ignore[misc]
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        # graphql-core copies ``extensions`` of the original error into the response.
        return {"code": self.code, **self.details}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)


class Unauthenticated(LinliError):
    code = "UNAUTHENTICATED"


class Forbidden(LinliError):
    code = "FORBIDDEN"


class NotFound(LinliError):
    code = "NOT_FOUND"


class BadUserInput(LinliError):
    code = "BAD_USER_INPUT"


class Conflict(LinliError):
    code = "CONFLICT"


class PluginDisabled(LinliError):
    code = "PLUGIN_DISABLED"


class RateLimited(LinliError):
    code = "RATE_LIMITED"


class QuotaExceeded(LinliError):
    code = "QUOTA_EXCEEDED"


class ChainUnavailable(LinliError):
    code = "CHAIN_UNAVAILABLE"


class DatabaseUnavailable(LinliError):
    """The database cannot be reached (restarting, failing over, network): nothing was written."""

    code = "DATABASE_UNAVAILABLE"


class TenantSuspended(LinliError):
    code = "TENANT_SUSPENDED"
