"""Linli's own tests use the testing kit (``kernel.sdk.testing``), the pytest plugin installed with
Linli for plugin authors too: ``runtime``, ``gql``, ``new_tenant``, ``tenant``, ``actor``,
``enable_plugin``, ``deliver``, ``chain``, ``broker`` and the database fixtures come from there.
"""

from __future__ import annotations

from fixtures.estates import PASSWORD  # noqa: F401 - one definition (tests/fixtures), re-exported

from kernel.sdk.testing import TenantFixture  # noqa: F401 - re-exported for type hints in tests
