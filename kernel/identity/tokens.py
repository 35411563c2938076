"""JWT access tokens (short-lived, HS256) and opaque refresh tokens / API key secrets."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from kernel.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "linli"


@dataclass(frozen=True)
class AccessClaims:
    account_id: uuid.UUID
    tenant_id: uuid.UUID | None
    platform_admin: bool = False
    #: Street code of a regulator's jurisdiction (regulator tokens carry no tenant).
    regulator_street: str | None = None
    #: The login session (refresh-token family) the token was issued under; revoking the session
    #: stops the token at once (kernel.identity.revocation).
    session_id: uuid.UUID | None = None
    #: When the token stops being valid (decoded tokens only; a long-lived WebSocket is closed then).
    expires_at: datetime | None = None


def issue_access_token(secret: str, claims: AccessClaims, ttl_seconds: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "sub": str(claims.account_id),
        "tid": str(claims.tenant_id) if claims.tenant_id else None,
        "pa": claims.platform_admin,
        "reg": claims.regulator_street,
        "sid": str(claims.session_id) if claims.session_id else None,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "typ": "access",
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the access token has expired; refresh it or log in again") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the access token is invalid; log in again") from exc
    if payload.get("typ") != "access":
        raise Unauthenticated("not an access token")
    try:
        tid = uuid.UUID(payload["tid"]) if payload.get("tid") else None
        reg = payload.get("reg")
        sid = uuid.UUID(payload["sid"]) if payload.get("sid") else None
        expires = datetime.fromtimestamp(int(payload["exp"]), UTC)
        return AccessClaims(uuid.UUID(payload["sub"]), tid, bool(payload.get("pa")), str(reg) if reg else None, sid, expires)
    except (ValueError, TypeError) as exc:
        raise Unauthenticated("the access token is invalid; log in again") from exc


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (refresh tokens, API keys, device tokens)."""
    return hashlib.sha256(secret.encode()).hexdigest()
