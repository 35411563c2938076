"""The funds plugin end to end: GraphQL → database mirror → outbox → relayer → embedded EVM, and back
(reconciliation). Runs on SQLite and, with LINLI_TEST_POSTGRES_URL, on PostgreSQL under row-level security."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from strawberry import relay

from kernel.chain.devchain import increase_time, latest_timestamp
from kernel.chain.models import ChainDeployment, ChainTransaction, ChainUnit
from kernel.chain.relay import chain_client, deployment_for, send_lock
from kernel.sdk import holder_account
from kernel.testing import access_token, add_member, unique_slug
from plugins.funds import chain as funds_chain
from plugins.funds.apportionment import allocation_floors
from plugins.funds.models import (
    FundAccount,
    FundDisbursement,
    FundEntry,
    FundReconciliation,
    FundSubLedger,
)
from plugins.funds.reconcile import reconcile_all
from plugins.governance.ballots import FOR, sign_ballot
from tenants.estate import service as estate
from tenants.estate.models import Ownership

PASSWORD = "correct horse battery"
AREAS = {"101": 8963, "102": 12050, "201": 7777}

DEPOSIT = """mutation($in: FundDepositInput!) { recordFundDeposit(input: $in) {
  id kind amountFen balanceAfterFen reference referenceHash chainIntent unitNumber } }"""
UNIT = """query($u: ID!) { fundUnitStatement(unitId: $u) { subLedger { unitNumber area chainUnitId balanceFen firstDepositFen topUpRequired }
  flows { kind amountFen balanceAfterFen reference } } }"""
COMMUNITY = """query($c: ID!) { fundCommunityStatement(communityId: $c) { fundBalanceFen subLedgerTotalFen unallocatedFen welfareBalanceFen
  revenueReceivedFen revenueFundBps depositsFen interestFen disbursedFen emergencyFen subLedgerCount topUpRequiredUnits
  lastReconciliation { ok mismatchCount } } }"""
RECONCILE = "mutation($c: ID!) { reconcileFunds(communityId: $c) { ok chainChecked mismatches { what database expected source } } }"
DISCLOSURES = "query($c: ID!) { fundDisclosures(communityId: $c, first: 100) { edges { node { kind amountFen unitNumber reference referenceHash } } } }"
EMERGENCY = """mutation($in: EmergencyDisbursementInput!) { emergencyFundDisbursement(input: $in) {
  id kind status amountFen disclosureHash emergencyNo shares { unitNumber area shareFen } } }"""
REQUEST = """mutation($in: FundDisbursementInput!) { requestFundDisbursement(input: $in) {
  id status amountFen proposalId shares { unitId unitNumber area shareFen } } }"""
PREVIEW = """query($c: ID!, $a: Fen!, $b: [ID!]) { previewFundApportionment(communityId: $c, amountFen: $a, buildingIds: $b) {
  amountFen totalArea shares { unitNumber area shareFen balanceFen shortfallFen } } }"""
EXECUTE = "mutation($id: ID!) { executeFundDisbursement(id: $id) { id status chainProposalId shares { unitNumber shareFen } } }"
ATTACH = "mutation($id: ID!, $p: ID!) { attachDisbursementProposal(id: $id, proposalId: $p) { id proposalId } }"
REVENUE = """mutation($in: PublicRevenueInput!) { recordPublicRevenue(input: $in) { source amountFen toFundFen toWelfareFen fundBps } }"""
RATIO = "mutation($p: ID!, $b: Int!) { applyRevenueRatio(proposalId: $p, fundBps: $b) { revenueFundBps } }"


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def reason(result: dict) -> str | None:
    """The machine-readable reason of a coded error (the console words its message from it)."""
    errors = result.get("errors") or []
    return errors[0]["extensions"].get("reason") if errors else None


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


def uid(gid: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(gid).node_id)


@dataclass
class Estate:
    """Community; building 1 (units 101, 102), building 2 (unit 201); each unit owned by its own owner."""

    tenant: object
    community: str
    b1: str = ""
    b2: str = ""
    units: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    persons: dict[str, uuid.UUID] = field(default_factory=dict)
    committee: str = ""


async def build(runtime, gql, new_tenant) -> Estate:  # type: ignore[no-untyped-def]
    t = await new_tenant("fund")
    c = ok(await gql('mutation { createCommunity(code: "F1", name: "幸福里") { id } }', token=t.token))["createCommunity"]["id"]
    comp = ok(await gql('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": c}, token=t.token))["createCompound"]["id"]
    est = Estate(tenant=t, community=c)
    for attr, name, numbers in (("b1", "1幢", ("101", "102")), ("b2", "2幢", ("201",))):
        b = ok(await gql('mutation($c: ID!, $n: String!) { createBuilding(compoundId: $c, name: $n, floors: 6) { id } }', {"c": comp, "n": name}, token=t.token))
        setattr(est, attr, b["createBuilding"]["id"])
        for n in numbers:
            u = ok(await gql('mutation($b: ID!, $n: String!, $a: Int!) { createUnit(input: {buildingId: $b, number: $n, registeredArea: $a}) { id } }',
                             {"b": getattr(est, attr), "n": n, "a": AREAS[n]}, token=t.token))
            est.units[n] = u["createUnit"]["id"]
    for n, unit in est.units.items():
        account = await add_member(runtime, t.tenant_id, unique_slug(f"o{n}"), PASSWORD, "owner")
        async with runtime.db.tenant(t.tenant_id) as s:
            person = await estate.register_person(s, runtime.vault, t.tenant_id, name=f"业主{n}", account_id=account)
            await estate.add_ownership(s, unit_id=uid(unit), person_id=person.id)
        est.persons[n] = person.id
        est.owners[n] = await access_token(runtime, account, t.tenant_id)
    committee = await add_member(runtime, t.tenant_id, unique_slug("cm"), PASSWORD, "committee_member")
    est.committee = await access_token(runtime, committee, t.tenant_id)
    return est


async def deposit(gql, est: Estate, n: str, amount: int, ref: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    return await gql(DEPOSIT, {"in": {"unitId": est.units[n], "amountFen": amount, "bankRef": ref or f"ICBC-{n}-{amount}"}}, token=est.tenant.token)


BATCH = "mutation($d: [FundDepositInput!]!) { recordFundDeposits(deposits: $d) { unitNumber amountFen chainIntent } }"


async def deposits(gql, est: Estate, lines: dict[str, int]) -> dict:  # type: ignore[no-untyped-def]
    return await gql(BATCH, {"d": [{"unitId": est.units[n], "amountFen": a, "bankRef": f"ICBC-{n}-{a}"} for n, a in lines.items()]}, token=est.tenant.token)


async def relay_all(runtime, est: Estate) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Deliver every queued chain intent (and the events their outcomes publish); returns intent → status."""
    for _ in range(6):
        if not await runtime.outbox.drain(est.tenant.tenant_id):
            break
    async with runtime.db.tenant(est.tenant.tenant_id) as s:
        return {t.intent: t.status for t in await s.scalars(select(ChainTransaction))}


async def counts(runtime, tenant_id) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant_id) as s:
        return tuple(
            [int(await s.scalar(select(func.count()).select_from(m)) or 0) for m in (FundEntry, FundDisbursement, FundAccount, ChainTransaction)]
            + [int(await s.scalar(select(func.coalesce(func.sum(FundSubLedger.balance), 0))) or 0)]
        )


async def fund_contract(runtime, est: Estate):  # type: ignore[no-untyped-def]
    client = await chain_client(runtime)
    async with runtime.db.tenant(est.tenant.tenant_id) as s:
        d = await deployment_for(s, await s.scalar(select(ChainDeployment.community_id)))
    return client, d, client.contract("MaintenanceFund", d.address_of("fund")), client.contract("OwnersGovernance", d.address_of("governance"))


async def final_proposal(runtime, est: Estate, matter: int, content_hash: bytes) -> int:  # type: ignore[no-untyped-def]
    """A proposal carried on chain to Final by every owner voting FOR (stands in for the governance plugin)."""
    client, d, _, gov = await fund_contract(runtime, est)
    now = await latest_timestamp(client)
    async with send_lock(runtime):
        receipt = await client.transact(gov.functions.propose(matter, 0, now + 5, now + 60, content_hash))
    pid = int(gov.events.ProposalCreated().process_receipt(receipt)[0]["args"]["proposalId"])
    await increase_time(client, 10)
    async with runtime.db.tenant(est.tenant.tenant_id) as s:
        keys = [k for k in (await s.scalars(select(ChainUnit.holder_key))).all()]
        accounts = [await holder_account(runtime, s, k) for k in keys]
    async with send_lock(runtime):
        for _, key in accounts:
            b = sign_ballot(key, client.chain_id, d.address_of("governance"), pid, FOR)
            await client.transact(gov.functions.castVoteBySig(pid, FOR, b.voter, b.nonce, b.signature))
        await increase_time(client, 120)
        await client.transact(gov.functions.publishResult(pid))
        await increase_time(client, 7 * 24 * 3600 + 10)
        await client.transact(gov.functions.finalize(pid))
    assert int(await client.call(gov.functions.state(pid))) == 5  # Final
    return pid


def fake_governance(runtime, est: Estate) -> dict[uuid.UUID, funds_chain.ProposalFacts]:  # type: ignore[no-untyped-def]
    """Proposal facts the test controls, as the governance plugin would report them."""
    facts: dict[uuid.UUID, funds_chain.ProposalFacts] = {}

    async def lookup(session, proposal_id):  # type: ignore[no-untyped-def]
        return facts.get(proposal_id)

    runtime.services["governance.proposal_facts"] = lookup
    return facts


# -- deposits, allocation, emergency use, reconciliation ---------------------------------------------------------


async def test_deposits_allocation_emergency_and_reconciliation_against_the_chain(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    first = ok(await deposit(gql, est, "101", 500_000, "ICBC-20261121-0001"))["recordFundDeposit"]
    assert (first["kind"], first["amountFen"], first["balanceAfterFen"], first["unitNumber"]) == ("DEPOSIT", 500_000, 500_000, "101")
    assert first["referenceHash"] == funds_chain.sha256_hex("ICBC-20261121-0001")
    batch = ok(await deposits(gql, est, {"102": 700_000, "201": 300_000}))["recordFundDeposits"]
    assert [b["unitNumber"] for b in batch] == ["102", "201"] and len({b["chainIntent"] for b in batch}) == 1  # one transaction
    ok(await deposit(gql, est, "101", 3_000_000_000))  # above 2^31 fen: the Fen scalar carries it

    # interest waits in the pool, then one allocation round credits it by area in registry order
    ok(await gql("mutation($c: ID!) { recordFundInterest(communityId: $c, amountFen: 1001, bankRef: \"INT-2026Q4\") { kind } }", {"c": est.community}, token=t.token))
    alloc = ok(await gql("mutation($c: ID!) { allocateFundPool(communityId: $c) { roundNo amountFen unitCount totalArea carriedFen } }", {"c": est.community}, token=t.token))["allocateFundPool"]
    async with runtime.db.tenant(t.tenant_id) as s:
        reg = sorted((cu.chain_unit_id, cu.unit_id, cu.area) for cu in await s.scalars(select(ChainUnit)))
        credits = {e.unit_id: e.amount for e in await s.scalars(select(FundEntry).where(FundEntry.kind == "allocation"))}
    expected, carried = allocation_floors(1001, [a for _, _, a in reg])  # each unit its floor; the rest stays in the pool
    assert alloc == {"roundNo": 1, "amountFen": 1001, "unitCount": 3, "totalArea": sum(AREAS.values()), "carriedFen": carried}
    assert [credits.get(u, 0) for _, u, _ in reg] == expected and sum(expected) + carried == 1001 and 0 <= carried < 3

    # public revenue: until the owners vote, all of it goes to the fund (pool)
    r = ok(await gql(REVENUE, {"in": {"communityId": est.community, "source": "PARKING", "amountFen": 10_000, "sourceRef": "P-2026-11"}}, token=t.token))["recordPublicRevenue"]
    assert (r["toFundFen"], r["toWelfareFen"], r["fundBps"]) == (10_000, 0, 10_000)

    statuses = await relay_all(runtime, est)
    fund_intents = {k: v for k, v in statuses.items() if k.startswith("fund:")}
    assert fund_intents and set(fund_intents.values()) == {"confirmed"}, statuses
    rec = ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"]
    assert rec == {"ok": True, "chainChecked": True, "mismatches": []}

    # the owner's own statement
    st = ok(await gql(UNIT, {"u": est.units["101"]}, token=est.owners["101"]))["fundUnitStatement"]
    credit_101 = dict((u, c) for (_, u, _), c in zip(reg, expected, strict=True))[uid(est.units["101"])]
    assert st["subLedger"]["balanceFen"] == 3_000_500_000 + credit_101
    assert (st["subLedger"]["firstDepositFen"], st["subLedger"]["area"], st["subLedger"]["topUpRequired"]) == (500_000, 8963, False)
    assert [f["kind"] for f in st["flows"]][:1] == ["ALLOCATION"]

    # emergency use by the committee: apportioned by area exactly as the contract debits it
    before = await counts(runtime, t.tenant_id)
    bad = {"communityId": est.community, "title": "电梯钢丝绳", "amountFen": 123_457, "payee": "某电梯公司", "disclosure": "  ", "unitIds": [est.units["101"], est.units["102"]]}
    assert code(await gql(EMERGENCY, {"in": bad}, token=est.committee)) == "BAD_USER_INPUT"
    assert code(await gql(EMERGENCY, {"in": {**bad, "disclosure": "1幢电梯钢丝绳断股，困人风险，紧急更换"}}, token=t.token)) == "FORBIDDEN"
    assert await counts(runtime, t.tenant_id) == before
    e = ok(await gql(EMERGENCY, {"in": {**bad, "disclosure": "1幢电梯钢丝绳断股，困人风险，紧急更换"}}, token=est.committee))["emergencyFundDisbursement"]
    assert (e["kind"], e["status"], e["emergencyNo"]) == ("EMERGENCY", "EXECUTED", 1)
    assert e["disclosureHash"] == funds_chain.sha256_hex("1幢电梯钢丝绳断股，困人风险，紧急更换")
    shares = {s["unitNumber"]: s["shareFen"] for s in e["shares"]}
    assert sum(shares.values()) == 123_457
    statuses = await relay_all(runtime, est)
    async with runtime.db.tenant(t.tenant_id) as s:
        tx = await s.scalar(select(ChainTransaction).where(ChainTransaction.intent.like("fund:emergency:%")))
        numbers = {cu.chain_unit_id: n for n, g in est.units.items() for cu in [await s.scalar(select(ChainUnit).where(ChainUnit.unit_id == uid(g)))]}
    assert tx.status == "confirmed", tx.error_name
    debited = {numbers[int(ev["args"]["unitId"])]: int(ev["args"]["amount"]) for ev in tx.result if ev["event"] == "SubLedgerDebited"}
    assert debited == shares  # the contract's own largest remainder gave the same fen to the same units
    assert ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"]["ok"] is True

    # owners read the disclosure board; bank references are masked for them
    board = ok(await gql(DISCLOSURES, {"c": est.community}, token=est.owners["201"]))["fundDisclosures"]["edges"]
    kinds = [b["node"]["kind"] for b in board]
    assert kinds.count("DEPOSIT") == 4 and "EMERGENCY" in kinds and "REVENUE" in kinds and "INTEREST" in kinds
    dep = next(b["node"] for b in board if b["node"]["kind"] == "DEPOSIT")
    assert dep["reference"].endswith("0001") and dep["reference"].startswith("*") and dep["referenceHash"].startswith("0x")

    # tamper with one sub-ledger row: the scheduled job raises the alarm
    published: list[str] = []
    original = runtime.bus.publish

    async def spy(session, event):  # type: ignore[no-untyped-def]
        published.append(event.type)
        return await original(session, event)

    runtime.bus.publish = spy  # type: ignore[method-assign]
    async with runtime.db.tenant(t.tenant_id) as s:
        await s.execute(update(FundSubLedger).where(FundSubLedger.unit_id == uid(est.units["201"])).values(balance=FundSubLedger.balance + 1))
    reports = await reconcile_all(runtime, only={t.tenant_id})
    assert len(reports) == 1 and not reports[0].ok and reports[0].chain_checked
    whats = {(m["what"], m["source"]) for m in reports[0].mismatches}
    assert ("unit_balance", "chain") in whats and ("sub_ledger_total", "sum of sub-ledgers") in whats
    assert published == ["funds.reconciliation_mismatch"]
    async with runtime.db.tenant(t.tenant_id) as s:
        last = await s.scalar(select(FundReconciliation).order_by(FundReconciliation.ran_at.desc()).limit(1))
    assert last.ok is False and last.mismatches
    stmt = ok(await gql(COMMUNITY, {"c": est.community}, token=est.committee))["fundCommunityStatement"]
    assert stmt["lastReconciliation"]["ok"] is False and stmt["emergencyFen"] == 123_457


# -- voted disbursement and the revenue ratio -------------------------------------------------------------------------


async def test_voted_disbursement_is_previewed_then_paid_only_against_a_final_proposal(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    facts = fake_governance(runtime, est)
    ok(await deposits(gql, est, {"101": 400_000, "102": 400_000, "201": 400_000}))

    # the preview before the vote (readable by an owner of the community) equals the request's apportionment
    pv = ok(await gql(PREVIEW, {"c": est.community, "a": 99_999, "b": [est.b1]}, token=est.owners["201"]))["previewFundApportionment"]
    assert pv["totalArea"] == AREAS["101"] + AREAS["102"] and sum(s["shareFen"] for s in pv["shares"]) == 99_999
    assert all(s["shortfallFen"] == 0 and s["balanceFen"] == 400_000 for s in pv["shares"])
    d = ok(await gql(REQUEST, {"in": {"communityId": est.community, "title": "1幢外墙渗水维修", "amountFen": 99_999, "payee": "某建筑公司",
                                      "buildingIds": [est.b1]}}, token=t.token))["requestFundDisbursement"]
    assert d["status"] == "AWAITING_VOTE" and d["proposalId"] is None
    assert {(s["unitNumber"], s["shareFen"]) for s in d["shares"]} == {(s["unitNumber"], s["shareFen"]) for s in pv["shares"]}
    await relay_all(runtime, est)

    # no proposal, or one not final yet: coded error, nothing written
    before = await counts(runtime, t.tenant_id)
    r = await gql(EXECUTE, {"id": d["id"]}, token=t.token)
    assert (code(r), reason(r)) == ("CONFLICT", "no_proposal")
    proposal = uuid.uuid4()
    pgid = str(relay.GlobalID("Proposal", str(proposal)))
    assert code(await gql(ATTACH, {"id": d["id"], "p": pgid}, token=t.token)) == "NOT_FOUND"
    facts[proposal] = funds_chain.ProposalFacts(proposal, uid(est.community), "other", "voting", None)
    r = await gql(ATTACH, {"id": d["id"], "p": pgid}, token=t.token)
    assert (code(r), reason(r)) == ("BAD_USER_INPUT", "wrong_matter")
    facts[proposal] = funds_chain.ProposalFacts(proposal, uid(est.community), "use_fund", "voting", None)
    assert ok(await gql(ATTACH, {"id": d["id"], "p": pgid}, token=t.token))["attachDisbursementProposal"]["proposalId"] == pgid
    second = {"communityId": est.community, "title": "重复", "amountFen": 1, "payee": "某公司", "unitIds": [est.units["201"]], "proposalId": pgid}
    r = await gql(REQUEST, {"in": second}, token=t.token)  # one vote authorises one payment
    assert (code(r), reason(r)) == ("CONFLICT", "proposal_taken")
    after_attach = await counts(runtime, t.tenant_id)
    r = await gql(EXECUTE, {"id": d["id"]}, token=t.token)
    assert (code(r), reason(r)) == ("CONFLICT", "proposal_not_final")
    assert r["errors"][0]["extensions"]["proposalStatus"] == "voting"
    assert await counts(runtime, t.tenant_id) == after_attach == before

    # the owners vote it through on chain; once final, the fund pays once
    pid = await final_proposal(runtime, est, 4, b"\x11" * 32)
    facts[proposal] = funds_chain.ProposalFacts(proposal, uid(est.community), "use_fund", "final", str(pid))
    paid = ok(await gql(EXECUTE, {"id": d["id"]}, token=t.token))["executeFundDisbursement"]
    assert paid["status"] == "EXECUTED" and paid["chainProposalId"] == str(pid)
    assert code(await gql(EXECUTE, {"id": d["id"]}, token=t.token)) == "CONFLICT"
    statuses = await relay_all(runtime, est)
    disburse = [v for k, v in statuses.items() if k.startswith("fund:disburse:")]
    assert disburse == ["confirmed"], statuses
    client, _, fund, gov = await fund_contract(runtime, est)
    assert int(await client.call(gov.functions.state(pid))) == 6  # Executed: a vote pays once
    assert ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"]["ok"] is True

    # the revenue ratio: a final OTHER-matter proposal bound to the exact figure, then enforced on every receipt
    ratio_hash = await client.call(fund.functions.revenueRatioHash(3000))
    rpid = await final_proposal(runtime, est, 8, ratio_hash)
    ratio = uuid.uuid4()
    facts[ratio] = funds_chain.ProposalFacts(ratio, uid(est.community), "other", "final", str(rpid))
    rgid = str(relay.GlobalID("Proposal", str(ratio)))
    assert code(await gql(RATIO, {"p": rgid, "b": 10_001}, token=t.token)) == "BAD_USER_INPUT"
    assert ok(await gql(RATIO, {"p": rgid, "b": 3000}, token=t.token))["applyRevenueRatio"]["revenueFundBps"] == 3000
    r = ok(await gql(REVENUE, {"in": {"communityId": est.community, "source": "ELEVATOR_ADS", "amountFen": 10_001, "sourceRef": "AD-11"}}, token=t.token))["recordPublicRevenue"]
    assert (r["toFundFen"], r["toWelfareFen"], r["fundBps"]) == (3000, 7001, 3000)
    statuses = await relay_all(runtime, est)
    assert statuses[f"fund:ratio:{ratio}"] == "confirmed" and int(await client.call(fund.functions.welfareBalance())) == 7001
    assert ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"] == {"ok": True, "chainChecked": True, "mismatches": []}


# -- sale ----------------------------------------------------------------------------------------------------------


async def test_sub_ledger_follows_the_unit_to_its_buyer(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    ok(await deposit(gql, est, "101", 250_000))
    TRANSFER = "mutation($u: ID!, $d: String!) { transferFundSubLedger(unitId: $u, deedRef: $d) { kind amountFen balanceAfterFen } }"
    assert code(await gql(TRANSFER, {"u": est.units["101"], "d": "沪(2026)不动产权第0001号"}, token=t.token)) == "CONFLICT"  # owner unchanged
    async with runtime.db.tenant(t.tenant_id) as s:
        await s.execute(delete(Ownership).where(Ownership.unit_id == uid(est.units["101"])))
        buyer = await estate.register_person(s, runtime.vault, t.tenant_id, name="买受人")
        await estate.add_ownership(s, unit_id=uid(est.units["101"]), person_id=buyer.id)
    flow = ok(await gql(TRANSFER, {"u": est.units["101"], "d": "沪(2026)不动产权第0001号"}, token=t.token))["transferFundSubLedger"]
    assert flow == {"kind": "TRANSFER", "amountFen": 250_000, "balanceAfterFen": 250_000}
    statuses = await relay_all(runtime, est)
    assert {k: v for k, v in statuses.items() if k.startswith(("fund:transfer", "registry:transfer"))} and all(
        v == "confirmed" for k, v in statuses.items()
    ), statuses
    client, _, fund, _ = await fund_contract(runtime, est)
    async with runtime.db.tenant(t.tenant_id) as s:
        cu = await s.scalar(select(ChainUnit).where(ChainUnit.unit_id == uid(est.units["101"])))
    holder, balance, first = await client.call(fund.functions.subLedger(cu.chain_unit_id))
    assert holder == cu.owner_address and (balance, first) == (250_000, 250_000)
    assert ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"]["ok"] is True


# -- audiences, isolation, bad input -------------------------------------------------------------------------------------


async def test_owners_see_only_their_units_and_other_tenants_see_nothing(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    ok(await deposits(gql, est, {"101": 100_000, "201": 100_000}))
    mine = ok(await gql("{ myFundStatements { subLedger { unitNumber balanceFen } } }", token=est.owners["101"]))["myFundStatements"]
    assert mine == [{"subLedger": {"unitNumber": "101", "balanceFen": 100_000}}]
    assert ok(await gql(UNIT, {"u": est.units["201"]}, token=est.owners["101"]))["fundUnitStatement"] is None
    assert ok(await gql(UNIT, {"u": est.units["201"]}, token=est.committee))["fundUnitStatement"]["subLedger"]["balanceFen"] == 100_000
    assert ok(await gql(COMMUNITY, {"c": est.community}, token=est.owners["102"]))["fundCommunityStatement"]["depositsFen"] == 200_000
    # the disclosure pages page by cursor, oldest first
    page = "query($c: ID!, $a: String) { fundDisclosures(communityId: $c, first: 1, after: $a) { edges { cursor node { unitNumber } } pageInfo { hasNextPage endCursor } } }"
    p1 = ok(await gql(page, {"c": est.community, "a": None}, token=est.owners["102"]))["fundDisclosures"]
    p2 = ok(await gql(page, {"c": est.community, "a": p1["pageInfo"]["endCursor"]}, token=est.owners["102"]))["fundDisclosures"]
    assert p1["pageInfo"]["hasNextPage"] and [e["node"]["unitNumber"] for e in p1["edges"] + p2["edges"]] == ["101", "201"]
    # an owner cannot record money
    assert code(await gql(DEPOSIT, {"in": {"unitId": est.units["101"], "amountFen": 5, "bankRef": "X-1"}}, token=est.owners["101"])) == "FORBIDDEN"
    # a renter has no access to owners' money
    renter = await add_member(runtime, t.tenant_id, unique_slug("rent"), PASSWORD, "resident")
    assert code(await gql(COMMUNITY, {"c": est.community}, token=await access_token(runtime, renter, t.tenant_id))) == "FORBIDDEN"

    other = await new_tenant("other")
    before = await counts(runtime, t.tenant_id)
    assert ok(await gql(COMMUNITY, {"c": est.community}, token=other.token))["fundCommunityStatement"] is None
    assert ok(await gql(UNIT, {"u": est.units["101"]}, token=other.token))["fundUnitStatement"] is None
    assert ok(await gql(DISCLOSURES, {"c": est.community}, token=other.token))["fundDisclosures"]["edges"] == []
    assert code(await gql(DEPOSIT, {"in": {"unitId": est.units["101"], "amountFen": 5, "bankRef": "X-2"}}, token=other.token)) == "NOT_FOUND"
    assert code(await gql(PREVIEW, {"c": est.community, "a": 100, "b": [est.b1]}, token=other.token)) == "NOT_FOUND"
    assert await counts(runtime, t.tenant_id) == before


async def test_bad_input_is_refused_with_a_code_and_writes_nothing(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    ok(await deposit(gql, est, "101", 1_000, "DUP-1"))
    before = await counts(runtime, t.tenant_id)
    for amount in (-1, 0):
        assert code(await deposit(gql, est, "101", amount)) == "BAD_USER_INPUT"
    assert code(await deposit(gql, est, "101", 2**48)) == "BAD_USER_INPUT"
    assert code(await gql(DEPOSIT, {"in": {"unitId": est.units["101"], "amountFen": 1.5, "bankRef": "X"}}, token=t.token)) == "BAD_USER_INPUT"
    assert code(await deposit(gql, est, "101", 10, "   ")) == "BAD_USER_INPUT"
    assert code(await deposit(gql, est, "101", 10, "DUP-1")) == "CONFLICT"
    # one bad line refuses the whole statement
    assert code(await deposits(gql, est, {"102": 500, "201": -500})) == "BAD_USER_INPUT"
    assert code(await gql(BATCH, {"d": []}, token=t.token)) == "BAD_USER_INPUT"
    ghost = str(relay.GlobalID("Unit", str(uuid.uuid4())))
    assert code(await gql(DEPOSIT, {"in": {"unitId": ghost, "amountFen": 10, "bankRef": "G"}}, token=t.token)) == "NOT_FOUND"
    assert code(await gql(DEPOSIT, {"in": {"unitId": est.community, "amountFen": 10, "bankRef": "G"}}, token=t.token)) == "BAD_USER_INPUT"
    req = {"communityId": est.community, "title": "维修", "amountFen": 100, "payee": "某公司"}
    assert code(await gql(REQUEST, {"in": req}, token=t.token)) == "BAD_USER_INPUT"  # no units named
    assert code(await gql(REQUEST, {"in": {**req, "unitIds": [ghost]}}, token=t.token)) == "NOT_FOUND"
    assert code(await gql(REQUEST, {"in": {**req, "amountFen": -5, "unitIds": [est.units["101"]]}}, token=t.token)) == "BAD_USER_INPUT"
    # more than the sub-ledgers hold: the emergency use is refused like the contract would
    e = {"communityId": est.community, "title": "抢修", "amountFen": 5_000, "payee": "某公司", "disclosure": "水泵房进水，紧急抢修水泵", "unitIds": [est.units["101"]]}
    assert code(await gql(EMERGENCY, {"in": e}, token=est.committee)) == "CONFLICT"
    assert code(await gql("mutation($c: ID!) { allocateFundPool(communityId: $c) { roundNo } }", {"c": est.community}, token=t.token)) == "BAD_USER_INPUT"
    assert code(await gql(REVENUE, {"in": {"communityId": est.community, "source": "PARKING", "amountFen": 0, "sourceRef": "P"}}, token=t.token)) == "BAD_USER_INPUT"
    assert await counts(runtime, t.tenant_id) == before


# -- with the governance plugin ------------------------------------------------------------------------------------


GOV_STEP = "mutation($id: ID!) {{ {name}(id: $id) {{ status }} }}"


async def test_disbursement_against_a_governance_proposal_voted_through_graphql(runtime, gql, new_tenant):
    from datetime import UTC, datetime, timedelta

    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    ok(await deposits(gql, est, {"101": 300_000, "102": 300_000, "201": 300_000}))
    d = ok(await gql(REQUEST, {"in": {"communityId": est.community, "title": "屋面防水", "amountFen": 250_001, "payee": "某防水公司",
                                      "unitIds": list(est.units.values())}}, token=t.token))["requestFundDisbursement"]
    client = await chain_client(runtime)
    # the chain's clock, not the wall's: earlier tests moved the shared chain's time forward
    end = (datetime.fromtimestamp(await latest_timestamp(client), UTC) + timedelta(hours=1)).isoformat()
    draft = ok(await gql(
        "mutation($c: ID!, $end: DateTime, $cost: Int) { draftProposal(communityId: $c, matter: USE_FUND, title: \"屋面防水\", body: \"全体业主分摊\", "
        "votingEndsAt: $end, estimatedCostFen: $cost) { id status } }", {"c": est.community, "end": end, "cost": 250_001}, token=est.committee))["draftProposal"]
    pid = draft["id"]
    assert ok(await gql(ATTACH, {"id": d["id"], "p": pid}, token=t.token))["attachDisbursementProposal"]["proposalId"] == pid
    for name in ("publishProposal", "openVoting"):
        ok(await gql(GOV_STEP.format(name=name), {"id": pid}, token=est.committee))
        await relay_all(runtime, est)
    await increase_time(client, 5)
    assert code(await gql(EXECUTE, {"id": d["id"]}, token=t.token)) == "CONFLICT"  # voting
    for n in est.owners:
        ok(await gql('mutation($p: ID!) { castVote(proposalId: $p, choice: FOR) { status } }', {"p": pid}, token=est.owners[n]))
    await relay_all(runtime, est)
    await increase_time(client, 2 * 3600)
    ok(await gql(GOV_STEP.format(name="closeVoting"), {"id": pid}, token=est.committee))
    await relay_all(runtime, est)
    assert code(await gql(EXECUTE, {"id": d["id"]}, token=t.token)) == "CONFLICT"  # objection period
    await increase_time(client, 8 * 24 * 3600)
    ok(await gql(GOV_STEP.format(name="finalizeProposal"), {"id": pid}, token=est.committee))
    await relay_all(runtime, est)
    paid = ok(await gql(EXECUTE, {"id": d["id"]}, token=t.token))["executeFundDisbursement"]
    assert paid["status"] == "EXECUTED" and sum(s["shareFen"] for s in paid["shares"]) == 250_001
    statuses = await relay_all(runtime, est)
    assert [v for k, v in statuses.items() if k.startswith("fund:disburse:")] == ["confirmed"], statuses
    assert ok(await gql(RECONCILE, {"c": est.community}, token=t.token))["reconcileFunds"] == {"ok": True, "chainChecked": True, "mismatches": []}
