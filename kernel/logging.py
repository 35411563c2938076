"""structlog configuration: JSON logs bound with request id, tenant, actor and plugin;
secrets and personal data are redacted by a processor before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = {
    "password",
    "new_password",
    "token",
    "access_token",
    "refresh_token",
    "secret",
    "api_key",
    "authorization",
    "credential",
    "phone",
    "id_number",
    "real_name",
    "private_key",
}
#: a mobile number standing alone (not a run of digits inside a hex id such as a request id)
_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
_IDN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        value = _PHONE.sub("[phone]", value)
        value = _IDN.sub("[id]", value)
        return _BEARER.sub("Bearer [redacted]", value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k.lower() in SENSITIVE_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


#: GraphQL literals (block strings, strings, numbers) and comments: what a query text may carry
#: of a password, a token, a phone or ID number, or a name.
_GRAPHQL_LITERAL = re.compile(
    r'"""[\s\S]*?(?:"""|$)|"(?:[^"\\\n]|\\.)*(?:"|$)|#[^\n]*|(?<![_A-Za-z0-9])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?'
)
_SPACE = re.compile(r"\s+")
QUERY_PREFIX_CHARS = 200


def query_outline(query: str | None, limit: int = QUERY_PREFIX_CHARS) -> str | None:
    """A query text fit for a log: every literal and comment replaced (``"…"``, ``0``),
    whitespace collapsed, at most ``limit`` characters. Variables are never logged."""
    if not query:
        return None

    def mask(m: re.Match[str]) -> str:
        text = m.group(0)
        return '"…"' if text.startswith('"') else ("" if text.startswith("#") else "0")

    outline = _SPACE.sub(" ", _GRAPHQL_LITERAL.sub(mask, query[: limit * 20])).strip()
    return outline if len(outline) <= limit else outline[:limit] + "…"


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """Drop values of sensitive keys; mask phone and ID numbers and bearer tokens in text."""
    return _scrub(dict(event_dict))  # type: ignore[no-any-return]


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # resolve sys.stderr when each logger is made, not once: test runners swap it
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
