"""Nothing personal is ever written on chain (issue #14 item 3): owners with a name, a phone and an ID
number vote through the product; every call the relayer sent (``chain_transactions.args``: the unit register, the proposal, the
ballots) and every event the indexer projected holds only numbers, hashes and addresses — never the seeded
name, phone or ID number, never a person's or unit's database id. Then a voter is erased: the
ballot stays (a filed decision, on chain) under a pseudonym, the custodial key is destroyed, and
the report says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kernel.chain import devchain
from kernel.chain.models import ChainEvent, ChainKey, ChainTransaction
from kernel.chain.relay import chain_client
from plugins.governance.models import Vote
from tenants.estate.models import Person
from tests.governance.conftest import build_voting_estate
from tests.governance.test_governance_graphql import DRAFT, VOTE, drain, step

pytestmark = pytest.mark.usefixtures("fast_passwords")

HEX = re.compile(r"^0x[0-9a-fA-F]*$")
NAME, PHONE, ID_NUMBER = "业主a", "13511112222", "110101198001010011"


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in leaves(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in leaves(v)]
    return [value]


def not_a_hash_or_address(value: Any) -> bool:
    if isinstance(value, bool | int) or value is None:
        return False
    return not (isinstance(value, str) and (HEX.match(value) or value.isdigit()))


async def test_the_chain_holds_hashes_and_addresses_only(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="erasechain")
    async with runtime.db.tenant(e.tenant_id) as s:
        await s.execute(update(Person).where(Person.id == e.persons["a"]).values(
            phone_enc=runtime.vault.encrypt(e.tenant_id, PHONE), id_number_enc=runtime.vault.encrypt(e.tenant_id, ID_NUMBER),
        ))
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": "绿化改造", "b": "补种树木", "end": end}, token=e.tokens["committee"])
    assert not r.get("errors"), r
    pid = r["data"]["draftProposal"]["id"]
    await step(gql, e.tokens["committee"], "publishProposal", pid)
    await drain(runtime, e.tenant_id)
    await step(gql, e.tokens["committee"], "openVoting", pid)
    await drain(runtime, e.tenant_id)
    await devchain.increase_time(await chain_client(runtime), 5)
    for who, choice in (("a", "FOR"), ("e", "AGAINST")):
        r = await gql(VOTE, {"p": pid, "c": choice}, token=e.tokens[who])
        assert not r.get("errors"), (who, r)
    await drain(runtime, e.tenant_id)

    async with runtime.db.tenant(e.tenant_id) as s:
        sent = (await s.execute(select(ChainTransaction.function, ChainTransaction.args))).all()
        events = (await s.execute(select(ChainEvent.event, ChainEvent.args))).all()
        ids = {str(v) for v in (*e.persons.values(), *e.units.values(), e.community, *e.buildings)}
    assert {"registerUnits", "propose", "castVotesBySig"} <= {f for f, _ in sent}  # the register, the proposal, the ballots
    on_chain = [(f, v) for f, args in [*sent, *events] for v in leaves(args)]
    assert on_chain, "the relayer sent nothing"
    assert [(f, v) for f, v in on_chain if not_a_hash_or_address(v)] == []  # numbers, hashes, addresses only
    text = repr(on_chain)
    assert NAME not in text and PHONE not in text and ID_NUMBER not in text
    assert not any(i in text or i.replace("-", "") in text for i in ids)  # no database id either

    # erase voter a: the ballot stays under a pseudonym, the custodial key is gone, the report says so
    r = await gql("mutation { requestErasure { id } }", token=e.tokens["a"])
    rid = r["data"]["requestErasure"]["id"]
    r = await gql("mutation($id: ID!) { executeErasure(id: $id) { report { table action rows reason columns } } }", {"id": rid}, token=e.tokens["admin"])
    assert not r.get("errors"), r
    report = {(x["table"], x["action"]): x for x in r["data"]["executeErasure"]["report"]}
    assert report[("gov_votes", "kept")]["rows"] == 1 and "ballots" in report[("gov_votes", "kept")]["reason"]
    assert report[("chain_keys", "pseudonymised")]["columns"] == ["key_enc"]
    assert report[("ownerships", "kept")]["rows"] == 2  # a bought two units: the register still counts one person
    async with runtime.db.tenant(e.tenant_id) as s:
        votes = {v.holder_key: v.choice for v in await s.scalars(select(Vote))}
        key = await s.scalar(select(ChainKey).where(ChainKey.holder_key == str(e.persons["a"])))
        person = await s.scalar(select(Person).where(Person.id == e.persons["a"]))
    assert votes[str(e.persons["a"])] == "FOR"  # the filed decision is unchanged
    assert key is not None and key.key_enc is None and HEX.match(key.address)
    assert person is not None and person.name != NAME and person.phone_enc is None and person.id_number_enc is None
