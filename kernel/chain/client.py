"""The asynchronous chain client: connect, deploy from artifacts, send transactions, decode reverts.

``ChainClient.connect(None)`` runs an embedded EVM in process (eth-tester on py-evm, through web3's
``AsyncEthereumTesterProvider``: the API is async, the EVM underneath runs synchronously in the event loop
thread, which is fine for development and tests); ``ChainClient.connect("http://127.0.0.1:8545")`` talks
JSON-RPC to a node (anvil locally, an EVM consortium chain in production).

Transactions are signed locally (eth-account) with explicit nonces from a :class:`NonceManager`, so a
relayer can sign with a given nonce, persist the signed bytes and hash, send (and re-send after a crash:
sending the same bytes again is idempotent), and later look the receipt up by hash.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from contracts import Artifact, artifact_names, load_artifact

from .errors import ChainError, ChainUnavailable, ContractRevert, ErrorDecoder, decode_revert
from .nonces import NonceManager

__all__ = ["ANVIL_DEFAULT_KEY", "ChainClient", "SignedTx"]

T = TypeVar("T")

#: First development key of anvil's default mnemonic (public knowledge; development chains only).
ANVIL_DEFAULT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

_TRANSIENT_MESSAGES = ("timeout", "timed out", "connection", "temporarily", "try again", "503", "502", "429")


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready to be (re-)sent: persist it to survive a crash."""

    tx_hash: bytes
    raw: bytes
    nonce: int
    sender: str
    to: str | None
    gas: int


class ChainClient:
    """One account on one chain. Build it with :meth:`connect`."""

    def __init__(
        self,
        w3: AsyncWeb3,
        account: LocalAccount,
        chain_id: int,
        *,
        url: str | None,
        retries: int = 5,
        retry_delay: float = 0.05,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = chain_id
        self.url = url
        self.retries = retries
        self.retry_delay = retry_delay
        self.decoder = ErrorDecoder(load_artifact(n).abi for n in artifact_names())
        #: Artifacts known by name beyond the committed ones (contributed by plugins from their own packages).
        self.artifacts: dict[str, Artifact] = {}
        self.nonces = NonceManager(lambda: self.w3.eth.get_transaction_count(self.account.address, "pending"))
        self._fees: tuple[float, dict[str, int]] | None = None

    # ---------------------------------------------------------------------------------------- connecting

    @classmethod
    async def connect(
        cls,
        url: str | None = None,
        *,
        private_key: str | bytes | None = None,
        request_timeout: float = 60.0,
        store: Path | None = None,
    ) -> ChainClient:
        """Connect to ``url`` (HTTP JSON-RPC), or to an embedded EVM when ``url`` is ``None``: kept in the
        folder ``store`` across restarts (:mod:`kernel.chain.embedded`), or a fresh one in memory.

        ``private_key`` is the sending account; by default the first funded development key of the chain
        (eth-tester's or anvil's), which only makes sense on development chains.
        """
        if url is None:
            from web3.providers.eth_tester import AsyncEthereumTesterProvider

            if store is not None:
                from .embedded import open_chain_store, persistent_provider

                provider = persistent_provider(open_chain_store(store))
            else:
                provider = AsyncEthereumTesterProvider()
            w3 = AsyncWeb3(provider)
            if private_key is None:
                private_key = provider.ethereum_tester.backend.account_keys[0].to_bytes()
        else:
            w3 = AsyncWeb3(AsyncWeb3.AsyncHTTPProvider(url, request_kwargs={"timeout": request_timeout}))
            if private_key is None:
                private_key = ANVIL_DEFAULT_KEY
        client = cls(w3, Account.from_key(private_key), 0, url=url)
        client.chain_id = await client._retry(lambda: w3.eth.chain_id)
        return client

    @property
    def is_embedded(self) -> bool:
        """Whether the chain is the in-process eth-tester EVM."""
        return self.url is None

    @property
    def address(self) -> str:
        """The sending account's address."""
        return self.account.address

    def reset_local_state(self) -> None:
        """Forget cached nonce and fees (after a chain revert or a node restart)."""
        self.nonces.resync()
        self._fees = None

    async def close(self) -> None:
        """Release the HTTP session, if any."""
        provider = self.w3.provider
        disconnect = getattr(provider, "disconnect", None)
        if disconnect is not None and not self.is_embedded:
            await disconnect()

    # ----------------------------------------------------------------------------------------- contracts

    def register_artifact(self, artifact: Artifact) -> None:
        """Know ``artifact`` by name (for :meth:`contract` and :meth:`deploy`) and decode its custom errors."""
        if self.artifacts.get(artifact.name) is artifact:
            return
        self.artifacts[artifact.name] = artifact
        self.decoder.add_abi(artifact.abi)

    def artifact(self, name: str) -> Artifact:
        """A registered artifact, else the committed one of that name."""
        return self.artifacts.get(name) or load_artifact(name)

    def contract(self, artifact: str | Artifact, address: str) -> AsyncContract:
        """A handle on the deployed contract at ``address`` with the ABI of ``artifact`` (cached: building one
        parses the whole ABI, ~tens of ms for these contracts)."""
        art = self.artifact(artifact) if isinstance(artifact, str) else artifact
        cache: dict[tuple[str, str], AsyncContract] = self.__dict__.setdefault("_contracts", {})
        key = (art.name, address.lower())
        found = cache.get(key)
        if found is None:
            found = cache[key] = self.w3.eth.contract(address=self.w3.to_checksum_address(address), abi=art.abi)
        return found

    async def deploy(self, artifact: str | Artifact, *args: Any, gas: int | None = None) -> AsyncContract:
        """Deploy ``artifact`` (a committed artifact name or an :class:`Artifact`) with constructor ``args``."""
        art = self.artifact(artifact) if isinstance(artifact, str) else artifact
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = await self.transact(factory.constructor(*args), gas=gas)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)

    # -------------------------------------------------------------------------------------- transactions

    async def call(self, fn: Any, block: int | str = "latest") -> Any:
        """Call a contract view or simulate a function; reverts raise :class:`ContractRevert`."""
        return await self._guard(lambda: fn.call({"from": self.address}, block_identifier=block))

    async def estimate_gas(self, fn: Any) -> int:
        """Gas estimate; a transaction that would revert raises :class:`ContractRevert` here."""
        # "pending": the estimate must run in the next block's context (block.number matters to checkpoints).
        # eth-tester already estimates on its pending block and rejects the explicit identifier.
        block = None if self.is_embedded else "pending"
        return await self._guard(lambda: fn.estimate_gas({"from": self.address}, block_identifier=block))

    async def sign(self, fn: Any, *, nonce: int | None = None, gas: int | None = None) -> SignedTx:
        """Sign a call of ``fn`` (a bound contract function or constructor) without sending it.

        Gas is estimated first unless given (so a doomed transaction fails here, before it costs a nonce);
        the nonce is reserved from :attr:`nonces` unless given (a relayer re-signing keeps its own).
        """
        if gas is None and self.is_embedded:
            # eth-tester estimates by bisection (a dozen EVM runs, ~0.5 s); it also executes a transaction as
            # soon as it is sent and raises the revert there, so a generous limit loses nothing.
            gas = await self._block_gas_limit() // 2
        if gas is None:
            estimate = await self.estimate_gas(fn)
            gas = min(int(estimate * 1.25) + 25_000, await self._block_gas_limit())
        fees = await self._fees_now()
        if nonce is None:
            nonce = await self.nonces.reserve()
        tx = await fn.build_transaction(
            {"from": self.address, "nonce": nonce, "gas": gas, "chainId": self.chain_id, **fees}
        )
        signed = self.account.sign_transaction(tx)
        return SignedTx(
            tx_hash=bytes(signed.hash),
            raw=bytes(signed.raw_transaction),
            nonce=nonce,
            sender=self.address,
            to=tx.get("to"),
            gas=gas,
        )

    async def send_signed(self, signed: SignedTx) -> bytes:
        """Send signed bytes; idempotent: re-sending a known or already mined transaction returns its hash."""
        try:
            await self._guard(lambda: self.w3.eth.send_raw_transaction(signed.raw))
        except ContractRevert as revert:
            # The embedded EVM executes at once and reports the revert here.
            revert.tx_hash = signed.tx_hash
            raise
        except ChainError:
            raise
        except Exception as exc:  # the node refused the transaction
            message = str(exc).lower()
            if "already known" in message or "known transaction" in message or "already imported" in message:
                return signed.tx_hash
            if "nonce too low" in message and await self.get_receipt(signed.tx_hash) is not None:
                return signed.tx_hash
            raise ChainError(f"transaction {signed.tx_hash.hex()} refused: {exc}") from exc
        return signed.tx_hash

    async def get_receipt(self, tx_hash: bytes | str) -> TxReceipt | None:
        """The receipt of ``tx_hash``, or ``None`` while it is not mined (or unknown)."""
        try:
            return await self._retry(lambda: self.w3.eth.get_transaction_receipt(tx_hash))
        except TransactionNotFound:
            return None

    async def wait_for_receipt(
        self, tx_hash: bytes | str, *, timeout: float = 120.0, poll: float = 0.02, check: bool = True  # noqa: ASYNC109
    ) -> TxReceipt:
        """Wait until ``tx_hash`` is mined; with ``check``, a failed transaction raises :class:`ContractRevert`."""
        deadline = time.monotonic() + timeout
        while True:
            receipt = await self.get_receipt(tx_hash)
            if receipt is not None:
                break
            if time.monotonic() > deadline:
                raise ChainError(f"transaction {_hex(tx_hash)} not mined after {timeout} s")
            await asyncio.sleep(poll)
        if check and receipt["status"] == 0:
            raise await self._explain_failure(receipt)
        return receipt

    async def transact(self, fn: Any, *, gas: int | None = None, nonce: int | None = None) -> TxReceipt:
        """Sign, send and wait for ``fn``; a revert raises :class:`ContractRevert` with the error's name and args."""
        signed = await self.sign(fn, nonce=nonce, gas=gas)
        try:
            await self.send_signed(signed)
        except ContractRevert:
            # The embedded EVM refused a transaction that still consumed the nonce? It did not: resync.
            self.nonces.resync()
            raise
        except ChainError:
            self.nonces.resync()
            raise
        return await self.wait_for_receipt(signed.tx_hash)

    async def transfer_ether(self, to: str, value: int) -> TxReceipt:
        """Send ``value`` wei to ``to`` (to fund an account that will send its own transactions)."""
        fees = await self._fees_now()
        nonce = await self.nonces.reserve()
        tx = {
            "to": self.w3.to_checksum_address(to),
            "value": value,
            "gas": 21_000,
            "nonce": nonce,
            "chainId": self.chain_id,
            **fees,
        }
        signed = self.account.sign_transaction(tx)
        raw = SignedTx(bytes(signed.hash), bytes(signed.raw_transaction), nonce, self.address, to, 21_000)
        await self.send_signed(raw)
        return await self.wait_for_receipt(raw.tx_hash)

    # ---------------------------------------------------------------------------------------- internals

    async def _guard(self, make: Callable[[], Awaitable[T]]) -> T:
        try:
            return await self._retry(make)
        except ChainUnavailable:
            raise
        except Exception as exc:
            revert = decode_revert(exc, self.decoder)
            if revert is not None:
                raise revert from exc
            raise

    async def _retry(self, make: Callable[[], Awaitable[T]]) -> T:
        delay = self.retry_delay
        for attempt in range(self.retries):
            try:
                return await make()
            except Exception as exc:
                if not _is_transient(exc):
                    raise
                if attempt == self.retries - 1:
                    raise ChainUnavailable(f"chain unavailable after {self.retries} attempts: {exc}") from exc
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _fees_now(self) -> dict[str, int]:
        # Fees are cached for a second: one block read per transaction would halve a relayer's throughput.
        now = time.monotonic()
        if self._fees is not None and now - self._fees[0] < 1.0 and not self.is_embedded:
            return self._fees[1]
        block = await self._retry(lambda: self.w3.eth.get_block("latest"))
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = 1_000_000_000 if not self.is_embedded else 1
        fees = {"maxFeePerGas": 3 * base + tip, "maxPriorityFeePerGas": tip}
        self._fees = (now, fees)
        return fees

    async def _block_gas_limit(self) -> int:
        block = await self._retry(lambda: self.w3.eth.get_block("latest"))
        return int(block["gasLimit"])

    async def _explain_failure(self, receipt: TxReceipt) -> ContractRevert:
        """Replay a failed transaction as a call to recover its revert data."""
        tx = await self._retry(lambda: self.w3.eth.get_transaction(receipt["transactionHash"]))
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"], "value": tx["value"]}
        try:
            await self.w3.eth.call(call, block_identifier=receipt["blockNumber"] - 1)
        except Exception as exc:
            revert = decode_revert(exc, self.decoder)
            if revert is not None:
                revert.tx_hash = bytes(receipt["transactionHash"])
                return revert
        return ContractRevert(None, (), tx_hash=bytes(receipt["transactionHash"]))


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError)):
        return True
    name = type(exc).__name__
    if name in {"ClientConnectorError", "ServerDisconnectedError", "ClientOSError", "ProviderConnectionError"}:
        return True
    if name in {"TransactionFailed", "ContractLogicError", "ContractCustomError", "ContractPanicError"}:
        return False
    message = str(exc).lower()
    return name in {"ClientResponseError", "Web3RPCError"} and any(m in message for m in _TRANSIENT_MESSAGES)


def _hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + value.hex()
