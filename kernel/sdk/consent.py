"""Consent records: purposes a plugin declares (``register_consent_purposes``) and the calls that
check, grant and revoke a person's consent (time, actor and wording version recorded; revocation
publishes ``consent.revoked``). See docs/plugins/consent.md."""

from __future__ import annotations

from kernel.consent import ConsentPurpose, grant_consent, require_consent, revoke_consent

__all__ = ["ConsentPurpose", "grant_consent", "require_consent", "revoke_consent"]
