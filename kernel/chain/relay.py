"""Chain writes through the outbox: intents, the relayer that delivers them, and community deployments.

A component that needs a contract call writes an *intent* in its own transaction with
:func:`enqueue_chain_call` (a :class:`ChainTransaction` row, status ``pending``, plus an outbox message of
topic ``chain``). After the commit the outbox worker hands the message to the relayer (:func:`make_chain_deliverer`),
which signs with the platform's relayer key (explicit nonces), sends, waits for the receipt and records the
hash, block, status and decoded events — in the same transaction that marks the message delivered.

Exactly-once effect: the intent is the idempotency key (a second enqueue is ignored). A crash after the send
but before the mark re-delivers the message; the re-delivery must not repeat the effect, so

* calls whose repetition would be harmful carry a *guard* (a view that shows the effect is already there,
  e.g. ``unitCount() >= n`` for ``registerUnits``), checked before signing;
* the contract contributing a role classifies its outcomes (``ContractContribution``, see
  :mod:`kernel.chain.catalog`): a revert whose custom error means "already done" marks the intent
  ``skipped`` instead of failing it; "not yet" raises, so the outbox retries with back-off; a receipt may
  say the call was skipped (a batch member already counted) or must be retried.

Transient failures (``ChainUnavailable``) raise too; any other revert marks the intent ``reverted`` with the
error's name. Calls of a function the contribution batches ride together in one transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.memo import transaction_memo
from kernel.outbox import OutboxMessage
from kernel.outbox import enqueue as enqueue_outbox
from kernel.plugins.contributions import CallBatch, CallVerdict

from .catalog import ROLE, CallOutcome, ContractCatalog, contract_catalog
from .deploy import deploy_contracts
from .errors import ChainError, ChainUnavailable, ContractRevert
from .models import ChainDeployment, ChainTransaction

if TYPE_CHECKING:  # the client (web3, eth-account) loads on the first connection: chain_client()
    from .client import ChainClient

__all__ = [
    "CommunityContracts",
    "RetryLater",
    "chain_client",
    "decode_receipt_events",
    "enqueue_chain_call",
    "ensure_community_contracts",
    "deployment_for",
    "make_chain_deliverer",
    "send_lock",
    "transaction_for",
]

log = structlog.get_logger("linli.chain.relay")

_CONNECT_LOCK = "chain_connect_lock"
_SEND_LOCK = "chain_send_lock"
_ARTIFACTS_KNOWN = "chain_artifacts_known"


# ----------------------------------------------------------------------------------------------- client


async def chain_client(runtime: Any) -> ChainClient:
    """The runtime's connected :class:`ChainClient` (``runtime.services["chain"]``), connected on first use.

    ``LINLI_CHAIN_URL`` (``settings.chain_url``) selects a JSON-RPC node; without it an embedded EVM runs in
    the process (one per runtime).
    """
    client = runtime.services.get("chain")
    if client is None:
        lock = runtime.services.setdefault(_CONNECT_LOCK, asyncio.Lock())
        async with lock:
            client = runtime.services.get("chain")
            if client is None:
                url, store = runtime.settings.chain_url, runtime.settings.embedded_chain_dir
                # The client's libraries (web3, eth-account, py-evm: seconds of CPU) and, on the embedded
                # default, the chain's journal replay run in a worker thread: the gateway goes on answering
                # while the first chain operation (a vote, the indexer's first round) waits here.
                await asyncio.to_thread(_prepare_connection, url, store)
                from .client import ChainClient

                client = runtime.services["chain"] = await ChainClient.connect(url, store=store)
                _freeze_chain_heap()
    if runtime.services.get(_ARTIFACTS_KNOWN) is not client:
        # The contributed artifacts (a plugin's own among them), known by name to the client and its error
        # decoder; also when the client was handed in (a test sharing one chain between runtimes).
        for artifact in contract_catalog(runtime).artifacts():
            client.register_artifact(artifact)
        runtime.services[_ARTIFACTS_KNOWN] = client
    return client  # type: ignore[no-any-return]


def _prepare_connection(url: str | None, store: Any) -> None:
    """What connecting costs before the event loop is needed: importing the client, and opening (replaying)
    the embedded chain's folder; ``ChainClient.connect`` then finds both done."""
    from . import client  # noqa: F401

    if url is None and store is not None:
        from .embedded import open_chain_store

        open_chain_store(store)


def _freeze_chain_heap() -> None:
    """A process that froze its start-up heap (``kernel.process.freeze_startup_heap``: the cyclic GC
    skips it) freezes what the chain's loading added as well — web3, py-evm, the ABIs, which belonged to
    the start-up heap when they were loaded at start-up."""
    import gc

    if gc.get_freeze_count():
        gc.freeze()


def send_lock(runtime: Any) -> asyncio.Lock:
    """Serialises the runtime's sends from the relayer account (deployments and relayed calls)."""
    return runtime.services.setdefault(_SEND_LOCK, asyncio.Lock())  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------- intents


async def enqueue_chain_call(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    contract: str,
    function: str,
    args: list[Any],
    intent: str,
    guard: dict[str, Any] | None = None,
) -> None:
    """Queue a call of ``contract.function(*args)`` for the relayer, in the caller's transaction.

    ``contract`` is a role of the community's deployment (``registry``, ``audit``, or a role a plugin
    contributes; see :func:`ensure_community_contracts`); ``args`` are JSON values (hex strings for bytes and
    addresses, ints or decimal strings for large numbers; structs as lists); ``intent`` is the idempotency key
    (``audit:<community>:<seq>``): enqueuing the same intent again does nothing. ``guard`` optionally
    names a view of the same contract whose result ``>= min`` means the effect is already on chain.
    """
    if not ROLE.match(contract):
        raise ValueError(f"unknown contract {contract!r}")
    if not intent or len(intent) > 200:
        raise ValueError("intent must be 1..200 characters")
    deployment = await deployment_for(session, community_id)
    deployed = set(deployment.roles) if deployment is not None else set()
    if deployed and contract not in deployed:
        raise ValueError(f"unknown contract {contract!r}; the community has {', '.join(sorted(deployed))}")
    # one statement, no read first (a vote is on every owner's hot path): a repeated intent inserts nothing
    from kernel.db.base import utcnow
    from kernel.db.scope import TENANT_KEY, TenancyError

    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise TenancyError("a chain call was queued with no tenant in scope")
    now = utcnow()
    values = {
        "id": uuid.uuid4(), "tenant_id": tenant_id, "created_at": now, "intent": intent,
        "community_id": community_id, "contract": contract, "function": function, "args": list(args), "guard": guard,
        "status": "pending",
    }
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(ChainTransaction)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(ChainTransaction)
    stmt = stmt.values(**values).on_conflict_do_nothing(index_elements=["tenant_id", "intent"]).returning(ChainTransaction.id)
    if (await session.execute(stmt)).first() is None:
        return  # queued before
    await enqueue_outbox(session, "chain", f"chain:{intent}", {"intent": intent})


async def transaction_for(session: AsyncSession, intent: str) -> ChainTransaction | None:
    """The recorded transaction of ``intent`` (its status, hash, block and decoded events)."""
    return await session.scalar(select(ChainTransaction).where(ChainTransaction.intent == intent))


@dataclass(frozen=True)
class CommunityContracts:
    """The deployed contracts of one community, by role (read from ``chain_deployments``)."""

    community_id: uuid.UUID
    rows: dict[str, ChainDeployment]

    @property
    def chain_id(self) -> int:
        """The chain the community's contracts live on (that of its first contract)."""
        return min(self.rows.values(), key=lambda r: (r.deployed_block, r.contract)).chain_id

    @property
    def deployed_block(self) -> int:
        return min(r.deployed_block for r in self.rows.values())

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.rows)

    def __contains__(self, role: object) -> bool:
        return role in self.rows

    def address_of(self, contract: str) -> str:
        """The address of role ``contract``; ``ValueError`` when the community has no such contract."""
        row = self.rows.get(contract)
        if row is None:
            raise ValueError(f"unknown contract {contract!r}; the community has {', '.join(sorted(self.rows))}")
        return row.address

    def addresses(self) -> dict[str, str]:
        return {role: row.address for role, row in self.rows.items()}


async def deployment_for(session: AsyncSession, community_id: uuid.UUID) -> CommunityContracts | None:
    """The community's deployed contracts, if any were deployed (kept for the transaction until it writes:
    a vote asks for them when signing the ballot and again when queueing it)."""
    memo = transaction_memo(session)
    key = ("chain.deployment", community_id)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    rows = (await session.scalars(select(ChainDeployment).where(ChainDeployment.community_id == community_id))).all()
    found = CommunityContracts(community_id, {r.contract: r for r in sorted(rows, key=lambda r: r.created_at)}) if rows else None
    memo[key] = found
    return found


async def ensure_community_contracts(
    runtime: Any, session: AsyncSession, community_id: uuid.UUID, *, options: dict[str, Any] | None = None
) -> CommunityContracts:
    """The community's contracts; deploys every role of the catalog not deployed yet (all of them the first
    time; a plugin's contracts when it arrives later).

    Each contribution's deployment step runs at once (not through the outbox: later intents need the
    addresses) with the relayer account as administrator; the addresses are recorded in the caller's
    transaction. ``options`` go to the steps (``DeployContext.options``).
    """
    existing = await deployment_for(session, community_id)
    catalog = contract_catalog(runtime)
    if existing is not None and set(catalog.roles) <= set(existing.roles):
        return existing
    client = await chain_client(runtime)
    if existing is not None and existing.chain_id != client.chain_id:
        return existing  # recorded on another chain (a previous embedded EVM): nothing to build on here
    async with send_lock(runtime):
        block = int(await client.w3.eth.block_number)
        deployed = await deploy_contracts(client, catalog, existing=existing.addresses() if existing else None, options=options)
    for role, contract in deployed.items():
        session.add(
            ChainDeployment(
                community_id=community_id,
                contract=role,
                artifact=catalog.artifact(role).name,
                address=contract.address,
                chain_id=client.chain_id,
                deployed_block=block + 1,
                indexed_block=block,
            )
        )
    await session.flush()
    log.info("community_contracts_deployed", community_id=str(community_id), chain_id=client.chain_id, **deployed.addresses())
    found = await deployment_for(session, community_id)
    assert found is not None
    return found


# ------------------------------------------------------------------------------------------- conversion


def _to_web3(abi_input: dict[str, Any], value: Any) -> Any:
    kind: str = abi_input["type"]
    if kind.endswith("]"):
        inner = dict(abi_input, type=kind[: kind.rindex("[")])
        return [_to_web3(inner, v) for v in value]
    if kind == "tuple":
        components = abi_input["components"]
        if isinstance(value, dict):
            value = [value[c["name"]] for c in components]
        return tuple(_to_web3(c, v) for c, v in zip(components, value, strict=True))
    if kind.startswith(("uint", "int")):
        return int(value)
    if kind.startswith("bytes"):
        if isinstance(value, str):
            return bytes.fromhex(value[2:] if value.startswith("0x") else value)
        return bytes(value)
    if kind == "address":
        from eth_utils import to_checksum_address

        return to_checksum_address(value)
    if kind == "bool":
        return bool(value)
    return value


def _abi_function(abi: list[dict[str, Any]], name: str, nargs: int) -> dict[str, Any]:
    for item in abi:
        if item.get("type") == "function" and item["name"] == name and len(item["inputs"]) == nargs:
            return item
    raise ValueError(f"no function {name} with {nargs} arguments")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "hex") and not isinstance(value, (int, str)):
        return "0x" + bytes(value).hex()
    return value


def _event_decoders(client: ChainClient, contract_name: str, address: str) -> dict[bytes, Any]:
    cache: dict[tuple[str, str], dict[bytes, Any]] = client.__dict__.setdefault("_event_decoders", {})
    key = (contract_name, address.lower())
    found = cache.get(key)
    if found is None:
        from eth_utils import event_abi_to_log_topic

        contract = client.contract(contract_name, address)
        found = cache[key] = {
            bytes(event_abi_to_log_topic(item)): getattr(contract.events, item["name"])()
            for item in contract.abi
            if item.get("type") == "event"
        }
    return found


def decode_receipt_events(client: ChainClient, contract_name: str, address: str, logs: list[Any]) -> list[dict[str, Any]]:
    """Decode the logs of ``address`` with the contract's ABI: ``[{"event", "args", "log_index"}]``."""
    by_topic = _event_decoders(client, contract_name, address)
    out: list[dict[str, Any]] = []
    for entry in logs:
        if str(entry["address"]).lower() != address.lower() or not entry["topics"]:
            continue
        event = by_topic.get(bytes(entry["topics"][0]))
        if event is None:
            continue
        decoded = event.process_log(entry)
        out.append(
            {
                "event": decoded["event"],
                "args": _jsonable(dict(decoded["args"])),
                "log_index": int(entry["logIndex"]),
                "block_number": int(entry["blockNumber"]),
                "tx_hash": "0x" + bytes(entry["transactionHash"]).hex(),
            }
        )
    return out


# --------------------------------------------------------------------------------------------- relayer


class RetryLater(ChainError):
    """The call cannot be made yet (time must pass or an earlier intent must land); the outbox retries."""


def make_chain_deliverer(runtime: Any):  # type: ignore[no-untyped-def]
    """The outbox deliverer of topic ``chain``: the relayer."""

    async def deliver(session: AsyncSession, message: OutboxMessage) -> None:
        intent = message.payload["intent"]
        tx = await transaction_for(session, intent)
        if tx is None or tx.status in ("confirmed", "reverted", "skipped"):
            return
        deployment = await deployment_for(session, tx.community_id)
        if deployment is None or tx.contract not in deployment:
            raise RetryLater(f"community {tx.community_id} has no {tx.contract} contract yet")
        client = await chain_client(runtime)
        await relay(client, runtime, session, deployment, tx)
        if contract_catalog(runtime).batch_for(tx.contract, tx.function) is None:
            # Workflows waiting on this call (an id it creates, a state it reaches) react to this event.
            # Batched calls publish none: their outcomes are read from the rows, and there are many.
            from kernel.events import Event

            await runtime.bus.publish(
                session,
                Event(
                    "chain.transaction_done",
                    session.info["tenant_id"],
                    {"intent": intent, "status": tx.status, "tx_hash": tx.tx_hash, "error_name": tx.error_name},
                ),
            )

    return deliver


async def relay(client: ChainClient, runtime: Any, session: AsyncSession, deployment: CommunityContracts, tx: ChainTransaction) -> None:
    """Send ``tx`` (or find it already done) and record the outcome on the row."""
    catalog = contract_catalog(runtime)
    row = deployment.rows[tx.contract]
    artifact, address = row.artifact, row.address
    contract = client.contract(artifact, address)
    if tx.tx_hash:  # sent by an earlier attempt whose mark was committed: look for its receipt first
        receipt = await client.get_receipt(tx.tx_hash)
        if receipt is not None:
            await _record_receipt(catalog, client, tx, artifact, address, receipt)
            return
    if tx.guard and await _guard_met(client, contract, tx.guard, deployment, tx):
        tx.status, tx.error_name = "skipped", "AlreadyDone"
        return
    fn_abi = _abi_function(contract.abi, tx.function, len(tx.args))
    members = [tx]
    call_args = tx.args
    batch = catalog.batch_for(tx.contract, tx.function)
    if batch is not None:
        # Calls waiting in other intents ride along in the same transaction (the contract skips, never
        # reverts on, a bad member); each intent gets its own outcome below.
        members += await _waiting_members(session, tx, batch)
        call_args = batch.merge([m.args for m in members])
    args = [_to_web3(i, v) for i, v in zip(fn_abi["inputs"], call_args, strict=True)]
    fn = getattr(contract.functions, tx.function)(*args)
    try:
        async with send_lock(runtime):
            signed = await client.sign(fn)
            try:
                await client.send_signed(signed)
            except ChainError:
                client.nonces.resync()
                raise
        tx.tx_hash, tx.nonce = "0x" + signed.tx_hash.hex(), signed.nonce
        receipt = await client.wait_for_receipt(signed.tx_hash, check=False)
        if receipt["status"] == 0:
            raise await client._explain_failure(receipt)  # noqa: SLF001 - the client's own revert decoding
    except ContractRevert as revert:
        verdict = await catalog.classify(CallOutcome(client, tx.contract, address, tx.function, tx.args, tx.intent, revert=revert))
        _apply(tx, verdict, revert)
        return
    except ChainUnavailable:
        raise
    if len(members) == 1:
        await _record_receipt(catalog, client, tx, artifact, address, receipt)
        return
    assert batch is not None
    # one decoding of the batch's logs for all its intents (each keeps its own calls' events): decoding
    # per intent made a 100-ballot batch decode 100 × 100 events (most of the relayer's CPU)
    decoded = decode_receipt_events(client, artifact, address, list(receipt["logs"]))
    for member in members[1:]:
        try:
            await _record_receipt(catalog, client, member, artifact, address, receipt, batch=batch, decoded=decoded)
        except RetryLater:  # not yet: this intent stays pending and is retried with its own message
            member.tx_hash, member.block_number, member.result = None, None, None
    await _record_receipt(catalog, client, tx, artifact, address, receipt, batch=batch, decoded=decoded)


def _apply(tx: ChainTransaction, verdict: CallVerdict, revert: ContractRevert | None = None) -> None:
    if verdict.outcome == "retry":
        raise RetryLater(verdict.reason or f"{tx.intent}: not yet")
    if verdict.outcome == "done":
        tx.status, tx.error_name = "skipped", verdict.reason or "AlreadyDone"
    elif verdict.outcome == "failed":
        tx.status, tx.error_name = "reverted", verdict.reason or "revert"
        log.warning("chain_intent_reverted", intent=tx.intent, error=str(revert) if revert else tx.error_name)
    else:
        tx.status, tx.error_name = "confirmed", None


async def _waiting_members(session: AsyncSession, tx: ChainTransaction, batch: CallBatch) -> list[ChainTransaction]:
    stmt = (
        select(ChainTransaction)
        .where(
            ChainTransaction.community_id == tx.community_id,
            ChainTransaction.contract == tx.contract,
            ChainTransaction.function == tx.function,
            ChainTransaction.status == "pending",
            ChainTransaction.tx_hash.is_(None),
            ChainTransaction.id != tx.id,
        )
        .order_by(ChainTransaction.created_at)
        .limit(batch.max_calls - 1)
    )
    return list((await session.scalars(stmt)).all())


async def _guard_met(
    client: ChainClient, contract: Any, guard: dict[str, Any], deployment: CommunityContracts, tx: ChainTransaction
) -> bool:
    if "event" in guard:
        # {"event": "Created", "field": "contentHash", "equals": "0x.."}: the effect is an event
        # already emitted by this contract; its decoded form becomes the intent's result.
        logs = await getattr(contract.events, guard["event"])().get_logs(from_block=deployment.rows[tx.contract].deployed_block)
        for entry in logs:
            args = _jsonable(dict(entry["args"]))
            if str(args.get(guard["field"])).lower() == str(guard["equals"]).lower():
                tx.tx_hash = "0x" + bytes(entry["transactionHash"]).hex()
                tx.block_number = int(entry["blockNumber"])
                tx.result = [{"event": guard["event"], "args": args, "log_index": int(entry["logIndex"])}]
                return True
        return False
    fn = getattr(contract.functions, guard["view"])(*guard.get("args", []))
    value = await client.call(fn)
    if isinstance(value, (list, tuple)):
        value = value[guard.get("index", 0)]
    return int(value) >= int(guard["min"])


async def _record_receipt(
    catalog: ContractCatalog,
    client: ChainClient,
    tx: ChainTransaction,
    artifact: str,
    address: str,
    receipt: Any,
    *,
    batch: CallBatch | None = None,
    decoded: list[dict[str, Any]] | None = None,
) -> None:
    events = decoded if decoded is not None else decode_receipt_events(client, artifact, address, list(receipt["logs"]))
    if batch is not None:  # a shared batch: keep the events of this intent's calls
        events = [e for e in events if batch.owns(tx.args, e)]
    tx.tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    tx.block_number = int(receipt["blockNumber"])
    tx.result = events
    if int(receipt["status"]) == 0:
        tx.status, tx.error_name = "reverted", "revert"
        return
    _apply(tx, await catalog.classify(CallOutcome(client, tx.contract, address, tx.function, tx.args, tx.intent, events=events)))
