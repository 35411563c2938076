"""Tuning for Linli's long-running processes (``linli serve``, ``linli worker``).

Python's cyclic garbage collector walks every tracked object in the oldest generation on each
full collection. A Linli process holds a large, permanent heap from start-up (modules, the
GraphQL schema, ORM mappers, web3 and the contract ABIs), and the device bridge allocates
many small objects per message, which keeps triggering collections that walk that heap again
and again. Measured on the MQTT bridge's store path (bench/devices_ingest.py --direct), the
collector took half of the process's CPU; :func:`gc.freeze` after start-up moves the start-up
heap out of the collector's generations (it is never garbage) and removed most of that cost.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect once, then exempt everything alive from future collections. Call once, when
    the process has built what it keeps for its lifetime and before it starts serving."""
    gc.collect()
    gc.freeze()
