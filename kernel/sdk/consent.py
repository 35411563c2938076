"""Consent records: purposes a plugin declares (``register_consent_purposes``) and the calls that
check, grant and revoke a person's consent (time, actor and wording version recorded; revocation
publishes ``consent.revoked``), and the markers that record staff reads of personal fields
(:func:`personal_fields` derives them from the data catalogue, :func:`personal_read` marks one
field). See docs/plugins/consent.md and docs/privacy.md."""

from __future__ import annotations

from kernel.consent import ConsentPurpose, grant_consent, require_consent, revoke_consent
from kernel.consent.reads import PersonalRead, personal_fields, personal_read

__all__ = ["ConsentPurpose", "PersonalRead", "grant_consent", "personal_fields", "personal_read", "require_consent", "revoke_consent"]
