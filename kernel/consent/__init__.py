"""Consent records per person and purpose (purposes declared by plugins through
``register_consent_purposes``). See docs/plugins/consent.md."""

from kernel.consent.models import Consent, ConsentRecord
from kernel.consent.service import (
    EVENT_REVOKED,
    ConsentPurpose,
    grant_consent,
    person_of_account,
    require_consent,
    revoke_consent,
)

__all__ = [
    "EVENT_REVOKED",
    "Consent",
    "ConsentPurpose",
    "ConsentRecord",
    "grant_consent",
    "person_of_account",
    "require_consent",
    "revoke_consent",
]
