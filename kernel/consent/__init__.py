"""Consent records per person and purpose (purposes declared by plugins). See
docs/plugins/consent.md."""
