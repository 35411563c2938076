"""The chain fixtures (embedded EVM on SQLite, anvil on PostgreSQL) for the on-chain check."""

from tests.chain.conftest import anvil_node, chain_runtime  # noqa: F401
from tests.fixtures.estates import fast_passwords  # noqa: F401
