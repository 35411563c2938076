"""Development chains (the embedded EVM, anvil): move time and blocks for demos and tests — for
example to open a vote's window at once in demo data. Not for production chains."""

from __future__ import annotations

from kernel.chain.devchain import increase_time, latest_timestamp, mine, revert, snapshot

__all__ = ["increase_time", "latest_timestamp", "mine", "revert", "snapshot"]
