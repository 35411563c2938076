"""Erasure and retention for plugins: a plugin whose rows reach a person only through another row
(a care recipient's check-ins) implements ``on_personal_data_erasure`` and removes them with
:func:`remove_rows` (which pseudonymises instead where the law keeps a row) or
:func:`pseudonymise_rows`, returning the :class:`ErasureStep` of each. Rows naming a person
directly (``account_id``, ``person_id``, ``holder_key``) need no code: erasure finds them through
the data catalogue (see docs/privacy.md)."""

from __future__ import annotations

from kernel.erasure import ErasureStep, pseudonymise_rows, remove_rows

__all__ = ["ErasureStep", "pseudonymise_rows", "remove_rows"]
