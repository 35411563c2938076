"""The embedded EVM (eth-tester on py-evm), kept across restarts in a folder.

Without a node (``LINLI_CHAIN_URL`` unset) Linli runs its chain in process. py-evm keeps the whole
chain — blocks, receipts, state trie — in one key-value store; :class:`ChainStore` gives it a store
that remembers every write and appends them, after each request that changed anything, as one frame
to ``<folder>/evm.journal``. On start the frames are replayed into memory and the chain continues
from its last block: proposals, votes and fund flows recorded on the embedded chain survive
``linli serve`` being stopped and started.

Frames make a flush atomic: ``len (4 bytes) | crc32 (4 bytes) | records``; a frame cut short by a
crash (or failing its checksum) is dropped with everything after it, so the chain restarts at the
last request that completed. py-evm never deletes trie nodes, so the journal grows like the chain;
the few keys overwritten per block (the canonical head) are small.

One process owns a folder at a time (an exclusive ``flock`` on the journal): a second process gets
:class:`ChainStoreBusy` naming what to do. Within one process, every runtime configured with the
same folder shares one chain — the same as when they point at one node.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

__all__ = ["ChainStore", "ChainStoreBusy", "open_chain_store", "persistent_provider"]

_FRAME = struct.Struct(">II")
_RECORD = struct.Struct(">cII")
_DELETED = 0xFFFFFFFF
JOURNAL = "evm.journal"

_OPEN: dict[Path, ChainStore] = {}
_OPENING = threading.Lock()  # stores are opened in worker threads (kernel.chain.relay.chain_client)


class ChainStoreBusy(RuntimeError):
    """Another process holds the embedded chain's folder."""


def _journaled_db(pending: list[tuple[bytes, bytes | None]], kv: dict[bytes, bytes]) -> Any:
    from eth.db.backends.memory import MemoryDB

    class JournaledMemoryDB(MemoryDB):
        """py-evm's in-memory store, remembering each write until the next flush."""

        def __setitem__(self, key: bytes, value: bytes) -> None:
            super().__setitem__(key, value)
            pending.append((key, value))

        def __delitem__(self, key: bytes) -> None:
            super().__delitem__(key)
            pending.append((key, None))

    return JournaledMemoryDB(kv)


def _encode(records: list[tuple[bytes, bytes | None]]) -> bytes:
    parts = []
    for key, value in records:
        if value is None:
            parts.append(_RECORD.pack(b"D", len(key), _DELETED) + key)
        else:
            parts.append(_RECORD.pack(b"S", len(key), len(value)) + key + value)
    body = b"".join(parts)
    return _FRAME.pack(len(body), zlib.crc32(body)) + body


def _replay(data: bytes, kv: dict[bytes, bytes]) -> int:
    """Apply every whole frame of ``data`` to ``kv``; return the length of the intact prefix."""
    at = 0
    while at + _FRAME.size <= len(data):
        size, crc = _FRAME.unpack_from(data, at)
        body = data[at + _FRAME.size : at + _FRAME.size + size]
        if len(body) < size or zlib.crc32(body) != crc:
            break
        pos = 0
        while pos < size:
            kind, klen, vlen = _RECORD.unpack_from(body, pos)
            pos += _RECORD.size
            key = body[pos : pos + klen]
            pos += klen
            if kind == b"D":
                kv.pop(key, None)
            else:
                kv[key] = body[pos : pos + vlen]
                pos += vlen
        at += _FRAME.size + size
    return at


class ChainStore:
    """An eth-tester chain whose state lives in ``folder`` (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        from eth.db.atomic import AtomicDB
        from eth_tester import EthereumTester, PyEVMBackend

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / JOURNAL
        self._file = open(path, "a+b")  # noqa: SIM115 - held open (and locked) for the process's life
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise ChainStoreBusy(
                f"the embedded chain in {folder} is in use by another process; run one Linli process per data "
                "folder, or give every process the same node with LINLI_CHAIN_URL"
            ) from None
        self._file.seek(0)
        data = self._file.read()
        kv: dict[bytes, bytes] = {}
        intact = _replay(data, kv)
        if intact < len(data):  # a frame cut short by a crash: the chain resumes before it
            self._file.truncate(intact)
        self._pending: list[tuple[bytes, bytes | None]] = []
        backend = PyEVMBackend()  # fresh genesis: its chain class and funded development accounts
        chain_class = type(backend.chain)
        self.restored = bool(kv)
        if not kv:
            kv = dict(backend.chain.chaindb.db.wrapped_db.kv_store)
            self._pending.extend(kv.items())
        backend.chain = chain_class(AtomicDB(_journaled_db(self._pending, kv)))
        self.tester = EthereumTester(backend=backend)
        self.flush()

    def flush(self) -> None:
        """Append the writes since the last flush as one frame, and sync it to disk."""
        if not self._pending:
            return
        frame = _encode(self._pending)
        self._pending.clear()
        self._file.seek(0, os.SEEK_END)
        self._file.write(frame)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self.flush()
        _OPEN.pop(self.folder, None)
        self._file.close()


def open_chain_store(folder: Path) -> ChainStore:
    """The process's store for ``folder`` (opened, and the journal replayed, on first use)."""
    folder = folder.resolve()
    with _OPENING:
        store = _OPEN.get(folder)
        if store is None:
            store = _OPEN[folder] = ChainStore(folder)
    return store


def persistent_provider(store: ChainStore) -> Any:
    """web3's async eth-tester provider over ``store``'s chain, flushing after every request."""
    from web3.providers.eth_tester import AsyncEthereumTesterProvider

    class PersistentEthereumTesterProvider(AsyncEthereumTesterProvider):
        async def make_request(self, method: Any, params: Any) -> Any:
            try:
                return await super().make_request(method, params)
            finally:
                store.flush()

    provider = PersistentEthereumTesterProvider()
    provider.ethereum_tester = store.tester
    provider.linli_store = store  # type: ignore[attr-defined]  # devchain's direct eth-tester calls flush through it
    return provider
