"""Explicit nonce management for one sending account."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["NonceManager"]


class NonceManager:
    """Hands out consecutive nonces without a round trip per transaction.

    The first :meth:`reserve` (and the first after :meth:`resync`) reads the account's pending transaction
    count from the node; later ones count locally. A transaction that was signed with a reserved nonce but
    could not be sent must be re-sent with the same nonce (a relayer keeps it with the signed bytes) or the
    manager resynced, or the account stalls on the gap.
    """

    def __init__(self, fetch_pending_count: Callable[[], Awaitable[int]]) -> None:
        self._fetch = fetch_pending_count
        self._next: int | None = None
        self._lock = asyncio.Lock()

    async def reserve(self) -> int:
        """The next nonce, marked as used."""
        async with self._lock:
            if self._next is None:
                self._next = await self._fetch()
            nonce = self._next
            self._next += 1
            return nonce

    async def peek(self) -> int:
        """The nonce :meth:`reserve` would return, without using it."""
        async with self._lock:
            if self._next is None:
                self._next = await self._fetch()
            return self._next

    def resync(self) -> None:
        """Forget the local count; the next reservation asks the node again (after a revert, a reorg, a restart)."""
        self._next = None
