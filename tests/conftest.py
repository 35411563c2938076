"""Linli's own tests use the testing kit (``kernel.sdk.testing``), the pytest plugin installed with
Linli for plugin authors too: ``runtime``, ``gql``, ``new_tenant``, ``tenant``, ``actor``,
``enable_plugin``, ``deliver``, ``chain``, ``broker`` and the database fixtures come from there.
"""

from __future__ import annotations

from fixtures import third_party_plugin
from fixtures.estates import PASSWORD  # noqa: F401 - one definition (tests/fixtures), re-exported

from kernel.sdk.testing import TenantFixture  # noqa: F401 - re-exported for type hints in tests

_test_plugin_site = None


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """The third-party test plugin is visible to the tests only (tests/fixtures/third_party_plugin.py)."""
    global _test_plugin_site
    _test_plugin_site = third_party_plugin.expose()


def pytest_unconfigure(config):  # type: ignore[no-untyped-def]
    third_party_plugin.remove(_test_plugin_site)
