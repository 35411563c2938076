"""Consent per person and purpose: declare purposes (``register_consent_purposes``) and check
``require_consent`` before processing the data. See docs/plugins/consent.md."""

from __future__ import annotations

from kernel.consent.service import ConsentPurpose, grant_consent, require_consent, revoke_consent

__all__ = ["ConsentPurpose", "grant_consent", "require_consent", "revoke_consent"]
