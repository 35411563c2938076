"""Controls of development chains (embedded eth-tester and anvil): time, mining, snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a client exists before these run: its module is loaded by then
    from .client import ChainClient

__all__ = ["increase_time", "latest_timestamp", "mine", "revert", "snapshot"]


def _tester(client: ChainClient) -> Any:
    return client.w3.provider.ethereum_tester  # type: ignore[attr-defined]


def _persist(client: ChainClient) -> None:
    """After a direct eth-tester call: write what it changed to the chain's folder, if it has one."""
    store = getattr(client.w3.provider, "linli_store", None)
    if store is not None:
        store.flush()


async def _rpc(client: ChainClient, method: str, params: list[Any]) -> Any:
    response = await client.w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in response:
        raise RuntimeError(f"{method}: {response['error']}")
    return response["result"]


async def latest_timestamp(client: ChainClient) -> int:
    """Timestamp of the latest block."""
    return int((await client.w3.eth.get_block("latest"))["timestamp"])


async def increase_time(client: ChainClient, seconds: int) -> int:
    """Move the chain's clock ``seconds`` forward and mine a block; return the new block's timestamp."""
    target = await latest_timestamp(client) + seconds
    if client.is_embedded:
        tester = _tester(client)
        tester.time_travel(target)
        _persist(client)
    else:
        await _rpc(client, "evm_setNextBlockTimestamp", [target])
        await _rpc(client, "evm_mine", [])
    return await latest_timestamp(client)


async def mine(client: ChainClient, blocks: int = 1) -> None:
    """Mine ``blocks`` empty blocks."""
    if client.is_embedded:
        _tester(client).mine_blocks(blocks)
        _persist(client)
    else:
        await _rpc(client, "anvil_mine", [hex(blocks)])


async def snapshot(client: ChainClient) -> Any:
    """Take a snapshot of the chain state; restore it with :func:`revert`."""
    if client.is_embedded:
        return _tester(client).take_snapshot()
    return await _rpc(client, "evm_snapshot", [])


async def revert(client: ChainClient, snapshot_id: Any) -> None:
    """Restore a snapshot (anvil's snapshots are single-use; take a new one after reverting)."""
    if client.is_embedded:
        _tester(client).revert_to_snapshot(snapshot_id)
        _persist(client)
    else:
        ok = await _rpc(client, "evm_revert", [snapshot_id])
        if not ok:
            raise RuntimeError(f"evm_revert({snapshot_id}) failed")
    client.reset_local_state()
