"""OwnersRegistry: units, persons, scopes, snapshots — every event and custom error."""

from __future__ import annotations

import pytest
import pytest_asyncio
from contract_helpers import World, deploy_world, events, new_accounts, one_event, register, reverts

from kernel.chain import ContractRevert, devchain

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(chain):
    w = await deploy_world(chain)
    # a: two units (one buyer, one person); dev: the developer's unsold units (one person together);
    # c: a co-owned unit under one designated address.
    w.owners = new_accounts(3)
    return w


@pytest_asyncio.fixture(loop_scope="session")
async def w(world, isolated):
    return world


async def test_register_batch_counts_persons_once(w: World):
    a, dev, c = (o.address for o in w.owners)
    receipt = await register(w, [a, a, dev, dev, dev, c], [8000, 9000, 10000, 10000, 12000, 7500], [1, 1, 1, 2, 2, 2])
    regs = events(receipt, w.registry, "UnitRegistered")
    assert [(e["unitId"], e["owner"], e["building"], e["area"]) for e in regs] == [
        (1, a, 1, 8000), (2, a, 1, 9000), (3, dev, 1, 10000), (4, dev, 2, 10000), (5, dev, 2, 12000), (6, c, 2, 7500)
    ]
    assert await w.call(w.registry.functions.totals(0)) == [56500, 3]
    assert await w.call(w.registry.functions.unitCount()) == 6
    assert await w.call(w.registry.functions.unit(4)) == [dev, 10000, 2]
    assert await w.call(w.registry.functions.areaOf(0, dev)) == 32000
    assert await w.call(w.registry.functions.unitAreas([6, 1])) == [7500, 8000]
    assert await w.call(w.registry.functions.unitAreaRange(2, 3)) == [9000, 10000, 10000]
    assert await w.call(w.registry.functions.buildingUnitCount(2)) == 3


async def test_register_errors(w: World):
    a = w.owners[0].address
    with reverts("RegistryLengthMismatch", 2, 1):
        await w.tx(w.registry.functions.registerUnits([a, a], [1], [1, 1]))
    with reverts("RegistryLengthMismatch", 1, 2):
        await w.tx(w.registry.functions.registerUnits([a], [1], [1, 1]))
    with reverts("RegistryZeroOwner", 1):
        await w.tx(w.registry.functions.registerUnits([a, "0x" + "00" * 20], [1, 1], [1, 1]))
    with reverts("RegistryZeroArea", 0):
        await w.tx(w.registry.functions.registerUnits([a], [0], [1]))
    with reverts("RegistryUnknownUnit", 9):
        await w.call(w.registry.functions.unit(9))


async def test_only_registrar(w: World):
    stranger = w.owners[0]
    await w.client.transfer_ether(stranger.address, 10**18)
    from kernel.chain import ChainClient

    other = await ChainClient.connect(w.client.url, private_key=stranger.key) if w.client.url else None
    if other is None:  # embedded: same in-process chain, so use the shared client's w3 with another key
        other = type(w.client)(w.client.w3, stranger, w.client.chain_id, url=None)
    role = await w.call(w.registry.functions.REGISTRAR_ROLE())
    with reverts("AccessControlUnauthorizedAccount", stranger.address, role):
        await other.transact(w.registry.functions.registerUnits([stranger.address], [1], [1]))


async def test_transfer_moves_persons_and_area(w: World):
    a, b, c = (o.address for o in w.owners)
    await register(w, [a, a, b], [5000, 6000, 7000])
    receipt = await w.tx(w.registry.functions.transferUnits([1], [c]))
    assert one_event(receipt, w.registry, "UnitTransferred") == {"unitId": 1, "previousOwner": a, "newOwner": c}
    assert await w.call(w.registry.functions.totals(0)) == [18000, 3]
    await w.tx(w.registry.functions.transferUnits([2], [b]))  # a sells its last unit: a stops being a person
    assert await w.call(w.registry.functions.totals(0)) == [18000, 2]
    assert await w.call(w.registry.functions.areaOf(0, b)) == 13000
    with reverts("RegistrySameOwner", 2, b):
        await w.tx(w.registry.functions.transferUnits([2], [b]))
    with reverts("RegistryUnknownUnit", 7):
        await w.tx(w.registry.functions.transferUnits([7], [b]))
    with reverts("RegistryZeroOwner", 0):
        await w.tx(w.registry.functions.transferUnits([2], ["0x" + "00" * 20]))
    with reverts("RegistryLengthMismatch", 1, 0):
        await w.tx(w.registry.functions.transferUnits([2], []))


async def test_snapshots_freeze_history(w: World):
    a, b, _ = (o.address for o in w.owners)
    r1 = await register(w, [a], [5000])
    block1 = r1["blockNumber"]
    r2 = await w.tx(w.registry.functions.transferUnits([1], [b]))
    await devchain.mine(w.client)
    assert await w.call(w.registry.functions.areaAt(0, a, block1)) == 5000
    assert await w.call(w.registry.functions.areaAt(0, b, block1)) == 0
    assert await w.call(w.registry.functions.areaAt(0, b, r2["blockNumber"])) == 5000
    assert await w.call(w.registry.functions.totalsAt(0, block1)) == [5000, 1]
    future = await w.client.w3.eth.block_number + 5
    with pytest.raises(ContractRevert) as info:
        await w.call(w.registry.functions.totalsAt(0, future))
    assert info.value.error_name == "RegistryFutureLookup" and info.value.error_args[0] == future


async def test_correct_area_and_lock(w: World):
    a = w.owners[0].address
    await register(w, [a], [5000])
    receipt = await w.tx(w.registry.functions.correctUnitArea(1, 5200))
    assert one_event(receipt, w.registry, "UnitAreaCorrected") == {"unitId": 1, "previousArea": 5000, "newArea": 5200}
    assert await w.call(w.registry.functions.totals(0)) == [5200, 1]
    with reverts("RegistryZeroArea", 0):
        await w.tx(w.registry.functions.correctUnitArea(1, 0))
    locker = await w.call(w.registry.functions.AREA_LOCKER_ROLE())
    await w.tx(w.registry.functions.grantRole(locker, w.client.address))
    receipt = await w.tx(w.registry.functions.lockAreas())
    assert one_event(receipt, w.registry, "AreaLockChanged") == {"locks": 1}
    with reverts("RegistryAreasLocked", 1):
        await w.tx(w.registry.functions.correctUnitArea(1, 5300))
    receipt = await w.tx(w.registry.functions.unlockAreas())
    assert one_event(receipt, w.registry, "AreaLockChanged") == {"locks": 0}
    with reverts("RegistryNotLocked"):
        await w.tx(w.registry.functions.unlockAreas())


async def test_scopes_backfill_and_count_persons_once(w: World):
    a, b, c = (o.address for o in w.owners)
    # a holds units in buildings 1 and 2: one person in a scope covering both.
    await register(w, [a, a, b, c], [5000, 6000, 7000, 8000], [1, 2, 2, 3])
    receipt = await w.tx(w.registry.functions.defineScope([1, 2]))
    assert one_event(receipt, w.registry, "ScopeDefined") == {"scopeId": 1, "buildings": [1, 2], "pendingUnits": 3}
    assert not await w.call(w.registry.functions.scopeReady(1))
    receipt = await w.tx(w.registry.functions.includeUnitsInScope(1, [1, 2]))
    assert one_event(receipt, w.registry, "UnitsIncludedInScope") == {"scopeId": 1, "count": 2, "pendingUnits": 1}
    assert events(receipt, w.registry, "ScopeReady") == []
    with reverts("RegistryUnitAlreadyInScope", 1, 2):
        await w.tx(w.registry.functions.includeUnitsInScope(1, [2]))
    with reverts("RegistryUnitNotInScopeBuildings", 1, 4):
        await w.tx(w.registry.functions.includeUnitsInScope(1, [4]))
    receipt = await w.tx(w.registry.functions.includeUnitsInScope(1, [3]))
    assert one_event(receipt, w.registry, "ScopeReady") == {"scopeId": 1}
    assert await w.call(w.registry.functions.scopeReady(1))
    assert await w.call(w.registry.functions.totals(1)) == [18000, 2]
    # Later changes keep the scope current: a new unit in building 2, a transfer out of the scope's owner set.
    await register(w, [c], [1000], [2])
    assert await w.call(w.registry.functions.totals(1)) == [19000, 3]
    assert await w.call(w.registry.functions.isUnitInScope(1, 5))
    await w.tx(w.registry.functions.transferUnits([3], [a]))
    assert await w.call(w.registry.functions.totals(1)) == [19000, 2]
    assert await w.call(w.registry.functions.scopePendingUnits(1)) == 0
    assert await w.call(w.registry.functions.scopeCount()) == 1


async def test_scope_errors(w: World):
    with reverts("RegistryEmptyScope"):
        await w.tx(w.registry.functions.defineScope([]))
    with reverts("RegistryDuplicateBuilding", 1, 7):
        await w.tx(w.registry.functions.defineScope([7, 7]))
    with reverts("RegistryUnknownScope", 9):
        await w.tx(w.registry.functions.includeUnitsInScope(9, []))
    with reverts("RegistryUnknownScope", 9):
        await w.call(w.registry.functions.scopePendingUnits(9))
    for _ in range(4):
        receipt = await w.tx(w.registry.functions.defineScope([8]))
        assert one_event(receipt, w.registry, "ScopeReady")  # no unit yet: ready at once
    with reverts("RegistryTooManyScopes", 8, 4):
        await w.tx(w.registry.functions.defineScope([8]))
