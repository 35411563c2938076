"""Chain writes through the outbox: intents, the relayer that delivers them, and community deployments.

A component that needs a contract call writes an *intent* in its own transaction with
:func:`enqueue_chain_call` (a :class:`ChainTransaction` row, status ``pending``, plus an outbox message of
topic ``chain``). After the commit the outbox worker hands the message to the relayer (:func:`make_chain_deliverer`),
which signs with the platform's relayer key (explicit nonces), sends, waits for the receipt and records the
hash, block, status and decoded events — in the same transaction that marks the message delivered.

Exactly-once effect: the intent is the idempotency key (a second enqueue is ignored). A crash after the send
but before the mark re-delivers the message; the re-delivery must not repeat the effect, so

* votes go through ``castVotesBySig``, which skips a ballot already counted (``VoteRejected(AlreadyVoted)``);
* calls whose repetition would be harmful carry a *guard* (a view that shows the effect is already there,
  e.g. ``unitCount() >= n`` for ``registerUnits``), checked before signing;
* a revert whose custom error means "already done" (``GovernanceAlreadyVoted``,
  ``AuditAnchorCountNotIncreasing``, ...) marks the intent ``skipped`` instead of failing it.

Transient failures (``ChainUnavailable``, a proposal not active yet, a scope still being filled) raise, so
the outbox retries with back-off; any other revert marks the intent ``reverted`` with the error's name.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import OutboxMessage
from kernel.outbox import enqueue as enqueue_outbox

from .client import ChainClient
from .deploy import deploy_community
from .errors import ChainError, ChainUnavailable, ContractRevert
from .models import CONTRACTS, ChainDeployment, ChainTransaction

__all__ = [
    "ARTIFACTS",
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

#: Artifact name of each contract role.
ARTIFACTS = {
    "registry": "OwnersRegistry",
    "governance": "OwnersGovernance",
    "fund": "MaintenanceFund",
    "audit": "AuditAnchor",
}

#: Custom errors meaning "the effect is already there" — the intent is done (status ``skipped``).
DONE_ERRORS = {
    "GovernanceAlreadyVoted",
    "AuditAnchorCountNotIncreasing",
    "RegistryUnitAlreadyInScope",
    "RegistrySameOwner",
}
#: Custom errors meaning "not yet" — the outbox retries later.
RETRY_ERRORS = {"GovernanceScopeNotReady", "GovernanceObjectionPeriodRunning", "RegistryAreasLocked"}
#: ``ProposalState`` values (IOwnersGovernance) and those in which a proposal still waits for time to pass.
PROPOSAL_STATES = ("Pending", "Active", "DefeatedNoQuorum", "Defeated", "Succeeded", "Final", "Executed", "Cancelled")
#: ``VoteRejected.reason`` values (OwnersGovernance.Rejection).
REJECTIONS = (
    "None",
    "NonexistentProposal",
    "NotActive",
    "InvalidSupport",
    "AlreadyVoted",
    "InvalidNonce",
    "InvalidSignature",
    "NoVotingWeight",
)

_CONNECT_LOCK = "chain_connect_lock"
_SEND_LOCK = "chain_send_lock"


# ----------------------------------------------------------------------------------------------- client


async def chain_client(runtime: Any) -> ChainClient:
    """The runtime's connected :class:`ChainClient` (``runtime.services["chain"]``), connected on first use.

    ``LINLI_CHAIN_URL`` (``settings.chain_url``) selects a JSON-RPC node; without it an embedded EVM runs in
    the process (one per runtime).
    """
    client = runtime.services.get("chain")
    if client is not None:
        return client  # type: ignore[no-any-return]
    lock = runtime.services.setdefault(_CONNECT_LOCK, asyncio.Lock())
    async with lock:
        client = runtime.services.get("chain")
        if client is None:
            client = await ChainClient.connect(runtime.settings.chain_url)
            runtime.services["chain"] = client
    return client  # type: ignore[no-any-return]


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

    ``contract`` is one of registry, governance, fund, audit of the community's deployment (see
    :func:`ensure_community_contracts`); ``args`` are JSON values (hex strings for bytes and addresses,
    ints or decimal strings for large numbers; structs as lists); ``intent`` is the idempotency key
    (``vote:<proposal>:<person_key>``): enqueuing the same intent again does nothing. ``guard`` optionally
    names a view of the same contract whose result ``>= min`` means the effect is already on chain.
    """
    if contract not in CONTRACTS:
        raise ValueError(f"unknown contract {contract!r}; one of {', '.join(CONTRACTS)}")
    if not intent or len(intent) > 200:
        raise ValueError("intent must be 1..200 characters")
    existing = await session.scalar(select(ChainTransaction.id).where(ChainTransaction.intent == intent))
    if existing is not None:
        return
    session.add(
        ChainTransaction(
            intent=intent,
            community_id=community_id,
            contract=contract,
            function=function,
            args=list(args),
            guard=guard,
            status="pending",
        )
    )
    await enqueue_outbox(session, "chain", f"chain:{intent}", {"intent": intent})


async def transaction_for(session: AsyncSession, intent: str) -> ChainTransaction | None:
    """The recorded transaction of ``intent`` (its status, hash, block and decoded events)."""
    return await session.scalar(select(ChainTransaction).where(ChainTransaction.intent == intent))


async def deployment_for(session: AsyncSession, community_id: uuid.UUID) -> ChainDeployment | None:
    """The community's deployment, if its contracts were deployed."""
    return await session.scalar(select(ChainDeployment).where(ChainDeployment.community_id == community_id))


async def ensure_community_contracts(runtime: Any, session: AsyncSession, community_id: uuid.UUID) -> ChainDeployment:
    """The community's deployment; deploys registry, governance, fund and audit anchor the first time.

    The deployment runs at once (not through the outbox: later intents need the addresses) with the relayer
    account as administrator; the addresses are recorded in the caller's transaction.
    """
    existing = await deployment_for(session, community_id)
    if existing is not None:
        return existing
    client = await chain_client(runtime)
    async with send_lock(runtime):
        block = int(await client.w3.eth.block_number)
        community = await deploy_community(client)
    addresses = community.addresses()
    deployment = ChainDeployment(
        community_id=community_id,
        chain_id=client.chain_id,
        registry=addresses["registry"],
        governance=addresses["governance"],
        fund=addresses["fund"],
        audit=addresses["audit"],
        deployed_block=block + 1,
        indexed_block=block,
    )
    session.add(deployment)
    await session.flush()
    log.info("community_contracts_deployed", community_id=str(community_id), chain_id=client.chain_id, **addresses)
    return deployment


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
        if deployment is None:
            raise RetryLater(f"community {tx.community_id} has no deployment yet")
        client = await chain_client(runtime)
        await relay(client, runtime, session, deployment, tx)
        if not intent.startswith("vote:"):
            # Workflows waiting on this call (a proposal's id, a published result) react to this event.
            # Votes publish none: their receipts are read from the row, and there are many.
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


async def relay(client: ChainClient, runtime: Any, session: AsyncSession, deployment: ChainDeployment, tx: ChainTransaction) -> None:
    """Send ``tx`` (or find it already done) and record the outcome on the row."""
    artifact = ARTIFACTS[tx.contract]
    address = deployment.address_of(tx.contract)
    contract = client.contract(artifact, address)
    if tx.tx_hash:  # sent by an earlier attempt whose mark was committed: look for its receipt first
        receipt = await client.get_receipt(tx.tx_hash)
        if receipt is not None:
            await _record_receipt(client, tx, artifact, address, receipt)
            return
    if tx.guard and await _guard_met(client, contract, tx.guard, deployment, tx):
        tx.status, tx.error_name = "skipped", "AlreadyDone"
        return
    fn_abi = _abi_function(contract.abi, tx.function, len(tx.args))
    members = [tx]
    call_args = tx.args
    if tx.contract == "governance" and tx.function == "castVotesBySig":
        # Ballots waiting in other intents ride along in the same transaction (the contract counts each
        # once and skips, never reverts on, a bad one); each intent gets its own outcome below.
        members += await _waiting_ballots(session, tx)
        call_args = [[ballot for m in members for ballot in m.args[0]]]
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
        await _handle_revert(client, contract, tx, revert)
        return
    except ChainUnavailable:
        raise
    if len(members) == 1:
        await _record_receipt(client, tx, artifact, address, receipt)
        return
    for member in members[1:]:
        try:
            await _record_receipt(client, member, artifact, address, receipt, ballots=member.args[0])
        except RetryLater:  # not active yet: this intent stays pending and is retried with its own message
            member.tx_hash, member.block_number, member.result = None, None, None
    await _record_receipt(client, tx, artifact, address, receipt, ballots=tx.args[0])


#: Most ballots relayed in one ``castVotesBySig`` transaction.
VOTE_BATCH = 100


async def _waiting_ballots(session: AsyncSession, tx: ChainTransaction) -> list[ChainTransaction]:
    stmt = (
        select(ChainTransaction)
        .where(
            ChainTransaction.community_id == tx.community_id,
            ChainTransaction.contract == "governance",
            ChainTransaction.function == "castVotesBySig",
            ChainTransaction.status == "pending",
            ChainTransaction.tx_hash.is_(None),
            ChainTransaction.id != tx.id,
        )
        .order_by(ChainTransaction.created_at)
        .limit(VOTE_BATCH - 1)
    )
    return list((await session.scalars(stmt)).all())


async def _guard_met(
    client: ChainClient, contract: Any, guard: dict[str, Any], deployment: ChainDeployment, tx: ChainTransaction
) -> bool:
    if "event" in guard:
        # {"event": "ProposalCreated", "field": "contentHash", "equals": "0x.."}: the effect is an event
        # already emitted by this contract; its decoded form becomes the intent's result.
        logs = await getattr(contract.events, guard["event"])().get_logs(from_block=deployment.deployed_block)
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


async def _handle_revert(client: ChainClient, contract: Any, tx: ChainTransaction, revert: ContractRevert) -> None:
    name = revert.error_name or "revert"
    if name in DONE_ERRORS:
        tx.status, tx.error_name = "skipped", name
        return
    if name in RETRY_ERRORS:
        raise RetryLater(f"{tx.intent}: {revert}")
    if name == "GovernanceUnexpectedProposalState":
        current = PROPOSAL_STATES[int(revert.error_kwargs.get("current", revert.error_args[-1]))]
        if tx.function in ("publishResult", "finalize") and current in ("Pending", "Active"):
            raise RetryLater(f"{tx.intent}: proposal still {current}")
        if (tx.function == "publishResult" and current not in ("Pending", "Active")) or (
            tx.function == "finalize" and current in ("Final", "Executed")
        ) or (tx.function == "cancel" and current == "Cancelled"):
            tx.status, tx.error_name = "skipped", name
            return
    tx.status, tx.error_name = "reverted", name
    log.warning("chain_intent_reverted", intent=tx.intent, error=str(revert))


async def _record_receipt(
    client: ChainClient, tx: ChainTransaction, artifact: str, address: str, receipt: Any, *, ballots: list[Any] | None = None
) -> None:
    events = decode_receipt_events(client, artifact, address, list(receipt["logs"]))
    if ballots is not None:  # a shared batch: keep the events of this intent's ballots
        mine = {(int(b[0]), str(b[2]).lower()) for b in ballots}
        events = [
            e
            for e in events
            if e["event"] in ("VoteCast", "VoteRejected") and (int(e["args"]["proposalId"]), str(e["args"]["voter"]).lower()) in mine
        ]
    tx.tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    tx.block_number = int(receipt["blockNumber"])
    tx.result = events
    if int(receipt["status"]) == 0:
        tx.status, tx.error_name = "reverted", "revert"
        return
    rejected = [e for e in events if e["event"] == "VoteRejected"]
    counted = [e for e in events if e["event"] == "VoteCast"]
    if rejected and not counted:
        reasons = {REJECTIONS[int(e["args"]["reason"])] for e in rejected}
        if reasons <= {"AlreadyVoted"}:
            tx.status, tx.error_name = "skipped", "AlreadyVoted"
            return
        if "NotActive" in reasons and await _proposal_pending(client, address, int(rejected[0]["args"]["proposalId"])):
            raise RetryLater(f"{tx.intent}: voting has not started on chain yet")
        tx.status, tx.error_name = "reverted", "VoteRejected:" + ",".join(sorted(reasons))
        return
    tx.status, tx.error_name = "confirmed", None


async def _proposal_pending(client: ChainClient, governance: str, proposal_id: int) -> bool:
    contract = client.contract("OwnersGovernance", governance)
    state = int(await client.call(contract.functions.state(proposal_id)))
    return PROPOSAL_STATES[state] == "Pending"
