"""The notices plugin (通知公告) end to end through GraphQL: audience by unit, read receipts,
the disclosure board (公示), tenant isolation, enablement, coded errors that write nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.sdk import utcnow
from kernel.testing import access_token, add_member, unique_slug
from plugins.notices.models import Notice, NoticeReceipt
from tenants.estate import service as estate

PASSWORD = "correct horse battery"

CREATE = """mutation($in: NoticeInput!, $p: Boolean!) { createNotice(input: $in, publish: $p) {
  id scope targetId status title publicDisclosure displayDays publishedAt displayUntil } }"""
MY = "{ myNotices(first: 50) { edges { node { id title readByMe } } } }"
ONE = "query($id: ID!) { notice(id: $id) { id title } }"
READ = "mutation($id: ID!) { markNoticeRead(id: $id) { id readByMe } }"
RECEIPTS = """query($id: ID!) { noticeReceipts(noticeId: $id) { totalUnits readUnits unreadUnits
  byBuilding { buildingName read unread } unitsNotRead(first: 50) { edges { node { number } } } } }"""
BOARD = "query($c: ID!) { disclosureBoard(communityId: $c) { id title } }"


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


def uid(gid: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(gid).node_id)


@dataclass
class Estate:
    """One community, building 1 (units 101, 102), building 2 (unit 201); ids are global ids."""

    community: str
    b1: str
    b2: str
    units: dict[str, str] = field(default_factory=dict)


async def build_estate(gql, token: str, code_: str = "C1", *, small: bool = False) -> Estate:  # type: ignore[no-untyped-def]
    """The estate above; ``small`` stops after the community (no buildings or units)."""
    c = ok(await gql(f'mutation {{ createCommunity(code: "{code_}", name: "幸福里{code_}") {{ id }} }}', token=token))["createCommunity"]["id"]
    comp = ok(await gql('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": c}, token=token))["createCompound"]["id"]
    est = Estate(community=c, b1="", b2="")
    if small:
        return est
    for attr, name, numbers in (("b1", "1幢", ("101", "102")), ("b2", "2幢", ("201",))):
        b = ok(await gql('mutation($c: ID!, $n: String!) { createBuilding(compoundId: $c, name: $n, floors: 6) { id } }', {"c": comp, "n": name}, token=token))
        bid = b["createBuilding"]["id"]
        setattr(est, attr, bid)
        for n in numbers:
            u = ok(await gql('mutation($b: ID!, $n: String!) { createUnit(input: {buildingId: $b, number: $n, registeredArea: 8963}) { id } }', {"b": bid, "n": n}, token=token))
            est.units[n] = u["createUnit"]["id"]
    return est


async def person_of_unit(runtime, gql, tenant, unit_gid: str, *, role: str = "owner") -> str:  # type: ignore[no-untyped-def]
    """A new account that owns (role owner) or rents (role resident) the unit; returns its token."""
    username = unique_slug(role)
    account_id = await add_member(runtime, tenant.tenant_id, username, PASSWORD, role)
    async with runtime.db.tenant(tenant.tenant_id) as s:
        person = await estate.register_person(s, runtime.vault, tenant.tenant_id, name="王小明", account_id=account_id)
        if role == "owner":
            await estate.add_ownership(s, unit_id=uid(unit_gid), person_id=person.id)
        else:
            await estate.add_residency(s, unit_id=uid(unit_gid), person_id=person.id, kind="renter")
    return await access_token(runtime, account_id, tenant.tenant_id)


async def create(gql, token, target: str, title: str = "停水通知", *, publish: bool = True, **extra) -> dict:  # type: ignore[no-untyped-def]
    return await gql(CREATE, {"in": {"targetId": target, "title": title, "body": "明日9:00–12:00停水检修。", **extra}, "p": publish}, token=token)


async def test_publish_reaches_owners_and_residents_in_scope_and_counts_receipts(runtime, gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token)
    owner_101 = await person_of_unit(runtime, gql, t, est.units["101"])
    renter_102 = await person_of_unit(runtime, gql, t, est.units["102"], role="resident")
    owner_201 = await person_of_unit(runtime, gql, t, est.units["201"])

    n = ok(await create(gql, t.token, est.b1, category="OUTAGE"))["createNotice"]
    assert n["scope"] == "BUILDING" and n["status"] == "PUBLISHED" and n["targetId"] == est.b1 and n["publishedAt"]

    # building 1's owner and renter see it; building 2's owner does not, even by id
    for token in (owner_101, renter_102):
        assert [e["node"]["title"] for e in ok(await gql(MY, token=token))["myNotices"]["edges"]] == ["停水通知"]
    assert ok(await gql(MY, token=owner_201))["myNotices"]["edges"] == []
    assert ok(await gql(ONE, {"id": n["id"]}, token=owner_201))["notice"] is None
    assert code(await gql(READ, {"id": n["id"]}, token=owner_201)) == "NOT_FOUND"
    assert ok(await gql("query($id: ID!) { node(id: $id) { id } }", {"id": n["id"]}, token=owner_201))["node"] is None

    # receipts: one per unit; reading twice changes nothing
    r = ok(await gql(RECEIPTS, {"id": n["id"]}, token=t.token))["noticeReceipts"]
    assert (r["totalUnits"], r["readUnits"], r["unreadUnits"]) == (2, 0, 2)
    assert ok(await gql(READ, {"id": n["id"]}, token=owner_101))["markNoticeRead"]["readByMe"] is True
    ok(await gql(READ, {"id": n["id"]}, token=owner_101))
    r = ok(await gql(RECEIPTS, {"id": n["id"]}, token=t.token))["noticeReceipts"]
    assert (r["totalUnits"], r["readUnits"], r["unreadUnits"]) == (2, 1, 1)
    assert r["byBuilding"] == [{"buildingName": "1幢", "read": 1, "unread": 1}]
    assert [e["node"]["number"] for e in r["unitsNotRead"]["edges"]] == ["102"]
    assert ok(await gql(MY, token=renter_102))["myNotices"]["edges"][0]["node"]["readByMe"] is False
    ok(await gql(READ, {"id": n["id"]}, token=renter_102))
    r = ok(await gql(RECEIPTS, {"id": n["id"]}, token=t.token))["noticeReceipts"]
    assert (r["readUnits"], r["unreadUnits"], r["unitsNotRead"]["edges"]) == (2, 0, [])

    # a unit notice reaches one flat; a community notice reaches all three
    ok(await create(gql, t.token, est.units["201"], "201室漏水排查"))
    ok(await create(gql, t.token, est.community, "消防演练", category="SAFETY"))
    assert [e["node"]["title"] for e in ok(await gql(MY, token=owner_201))["myNotices"]["edges"]] == ["消防演练", "201室漏水排查"]
    assert [e["node"]["title"] for e in ok(await gql(MY, token=owner_101))["myNotices"]["edges"]] == ["消防演练", "停水通知"]

    # owners cannot publish nor see the staff list or receipts
    assert code(await create(gql, owner_101, est.b1)) == "FORBIDDEN"
    assert code(await gql("{ notices { edges { node { id } } } }", token=owner_101)) == "FORBIDDEN"
    assert code(await gql(RECEIPTS, {"id": n["id"]}, token=owner_101)) == "FORBIDDEN"

    # audit entries for what staff did
    async with runtime.db.tenant(t.tenant_id) as s:
        actions = list((await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("notices.%")))).all())
        receipts = await s.scalar(select(func.count()).select_from(NoticeReceipt))
    assert actions.count("notices.created") == 3 and actions.count("notices.published") == 3
    assert receipts == 2


async def test_draft_withdraw_republish_and_staff_list_pages(runtime, gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token)
    owner = await person_of_unit(runtime, gql, t, est.units["101"])
    n = ok(await create(gql, t.token, est.community, publish=False))["createNotice"]
    assert n["status"] == "DRAFT" and n["publishedAt"] is None
    assert ok(await gql(MY, token=owner))["myNotices"]["edges"] == []
    assert code(await gql("mutation($id: ID!) { withdrawNotice(id: $id) { id } }", {"id": n["id"]}, token=t.token)) == "CONFLICT"
    assert ok(await gql("mutation($id: ID!) { publishNotice(id: $id) { status } }", {"id": n["id"]}, token=t.token))["publishNotice"]["status"] == "PUBLISHED"
    assert code(await gql("mutation($id: ID!) { publishNotice(id: $id) { status } }", {"id": n["id"]}, token=t.token)) == "CONFLICT"
    assert len(ok(await gql(MY, token=owner))["myNotices"]["edges"]) == 1
    w = ok(await gql("mutation($id: ID!) { withdrawNotice(id: $id) { status withdrawnAt } }", {"id": n["id"]}, token=t.token))["withdrawNotice"]
    assert w["status"] == "WITHDRAWN" and w["withdrawnAt"]
    assert ok(await gql(MY, token=owner))["myNotices"]["edges"] == []
    drafts = ok(await gql("{ notices(status: WITHDRAWN) { edges { node { id } } } }", token=t.token))["notices"]["edges"]
    assert [e["node"]["id"] for e in drafts] == [n["id"]]

    # the staff list pages newest first
    for i in range(4):
        ok(await create(gql, t.token, est.community, f"通知{i}"))
    seen, after = [], None
    while True:
        page = ok(await gql("query($a: String) { notices(first: 2, after: $a) { edges { node { title } } pageInfo { hasNextPage endCursor } } }", {"a": after}, token=t.token))["notices"]
        seen += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"通知{i}" for i in reversed(range(4))] + ["停水通知"]
    assert code(await gql('{ notices(after: "garbage") { edges { node { id } } } }', token=t.token)) == "BAD_USER_INPUT"


async def test_disclosure_board_shows_disclosures_to_the_community_for_the_display_period(runtime, gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token)
    other = await build_estate(gql, t.token, "C2", small=True)
    b = ok(await gql('mutation($c: ID!) { createCompound(communityId: $c, name: "二期") { id } }', {"c": other.community}, token=t.token))["createCompound"]["id"]
    b = ok(await gql('mutation($c: ID!) { createBuilding(compoundId: $c, name: "9幢") { id } }', {"c": b}, token=t.token))["createBuilding"]["id"]
    u = ok(await gql('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "901", registeredArea: 10000}) { id } }', {"b": b}, token=t.token))["createUnit"]["id"]
    owner_201 = await person_of_unit(runtime, gql, t, est.units["201"])
    outsider = await person_of_unit(runtime, gql, t, u)

    # a building-1 disclosure is on the whole community's board, not in building 2's inbox
    d = ok(await create(gql, t.token, est.b1, "2026年公共收益收支公示", category="GOVERNANCE", publicDisclosure=True, displayDays=7))["createNotice"]
    assert d["displayDays"] == 7 and d["displayUntil"] and d["publicDisclosure"] is True
    ok(await create(gql, t.token, est.community, "普通通知"))
    assert [x["title"] for x in ok(await gql(BOARD, {"c": est.community}, token=owner_201))["disclosureBoard"]] == ["2026年公共收益收支公示"]
    assert [x["title"] for x in ok(await gql(BOARD, {"c": est.community}, token=t.token))["disclosureBoard"]] == ["2026年公共收益收支公示"]
    assert ok(await gql(BOARD, {"c": est.community}, token=outsider))["disclosureBoard"] == []

    # the default period is 7 days; after the period the board is empty again
    d2 = ok(await create(gql, t.token, est.community, "物业费调整公示", publicDisclosure=True))["createNotice"]
    assert d2["displayDays"] == 7
    async with runtime.db.tenant(t.tenant_id) as s:
        await s.execute(update(Notice).where(Notice.public_disclosure.is_(True)).values(display_until=utcnow() - timedelta(minutes=1)))
    assert ok(await gql(BOARD, {"c": est.community}, token=owner_201))["disclosureBoard"] == []


async def test_another_tenants_notice_ids_give_nothing(runtime, gql, new_tenant):
    a, b = await new_tenant("a"), await new_tenant("b")
    est = await build_estate(gql, a.token)
    n = ok(await create(gql, a.token, est.community))["createNotice"]
    nid = n["id"]
    assert ok(await gql(ONE, {"id": nid}, token=b.token))["notice"] is None
    assert ok(await gql("query($id: ID!) { node(id: $id) { id } }", {"id": nid}, token=b.token))["node"] is None
    assert ok(await gql(RECEIPTS, {"id": nid}, token=b.token))["noticeReceipts"] is None
    assert ok(await gql(BOARD, {"c": est.community}, token=b.token))["disclosureBoard"] == []
    for m in ("publishNotice", "withdrawNotice", "markNoticeRead"):
        assert code(await gql(f"mutation($id: ID!) {{ {m}(id: $id) {{ id }} }}", {"id": nid}, token=b.token)) in ("NOT_FOUND", "CONFLICT")
    assert code(await gql("mutation($id: ID!) { publishNotice(id: $id) { id } }", {"id": nid}, token=b.token)) == "NOT_FOUND"
    # a scope id of another tenant: NOT_FOUND, nothing written
    for target in (est.community, est.b1, est.units["101"]):
        r = await create(gql, b.token, target)
        assert code(r) == "NOT_FOUND", r
    assert ok(await gql("{ notices { edges { node { id } } } }", token=b.token))["notices"]["edges"] == []
    async with runtime.db.tenant(b.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0
    # and tenant a's notice is untouched
    assert ok(await gql(ONE, {"id": nid}, token=a.token))["notice"]["id"] == nid


async def test_bad_input_gets_coded_errors_and_writes_nothing(runtime, gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token, small=True)
    cases = [
        ({"title": "   "}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"displayDays": 3}, "displayDays"),  # a period without a disclosure
        ({"publicDisclosure": True, "displayDays": 0}, "displayDays"),
        ({"publicDisclosure": True, "displayDays": 366}, "displayDays"),
    ]
    for extra, field_ in cases:
        variables = {"in": {"targetId": est.community, "title": "标题", "body": "正文", **extra}, "p": True}
        r = await gql(CREATE, variables, token=t.token)
        assert (code(r), r["errors"][0]["extensions"].get("field")) == ("BAD_USER_INPUT", field_), extra
    # an unknown category in the document (see test_unknown_enum_in_variables_is_bad_user_input)
    r = await gql('mutation($t: ID!) { createNotice(input: {targetId: $t, title: "t", body: "b", category: GOSSIP}) { id } }', {"t": est.community}, token=t.token)
    assert code(r) == "BAD_USER_INPUT"
    # a target that is no place
    compound = str(relay.GlobalID("Compound", str(uuid.uuid4())))
    assert code(await create(gql, t.token, compound)) == "BAD_USER_INPUT"
    missing_unit = str(relay.GlobalID("Unit", str(uuid.uuid4())))
    assert code(await create(gql, t.token, missing_unit)) == "NOT_FOUND"
    assert code(await gql("{ notices(first: 1000) { edges { node { id } } } }", token=t.token)) == "BAD_USER_INPUT"
    async with runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("notices.%"))) == 0



async def test_disabled_plugin_answers_plugin_disabled_and_enabling_again_restores(runtime, gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token)
    owner = await person_of_unit(runtime, gql, t, est.units["101"])
    n = ok(await create(gql, t.token, est.community))["createNotice"]
    ok(await gql('mutation { disablePlugin(name: "notices") { enabled } }', token=t.token))
    for token in (t.token, owner):
        assert code(await gql(MY, token=token)) == "PLUGIN_DISABLED"
        assert code(await gql(ONE, {"id": n["id"]}, token=token)) == "PLUGIN_DISABLED"
        assert code(await gql("query($id: ID!) { node(id: $id) { id } }", {"id": n["id"]}, token=token)) == "PLUGIN_DISABLED"
    assert code(await create(gql, t.token, est.community)) == "PLUGIN_DISABLED"
    plugins = ok(await gql("{ plugins { name enabled } }", token=t.token))["plugins"]
    assert {"name": "notices", "enabled": False} in plugins

    ok(await gql('mutation { enablePlugin(name: "notices") { enabled } }', token=t.token))
    assert [e["node"]["id"] for e in ok(await gql(MY, token=owner))["myNotices"]["edges"]] == [n["id"]]  # data was kept
    ok(await create(gql, t.token, est.community, "恢复后的通知"))


async def test_invalid_variables_are_bad_user_input(gql, new_tenant):
    t = await new_tenant()
    est = await build_estate(gql, t.token, small=True)
    assert code(await create(gql, t.token, "not-a-global-id")) == "BAD_USER_INPUT"
    assert code(await create(gql, t.token, est.community, category="GOSSIP")) == "BAD_USER_INPUT"


async def test_the_service_audits_each_change_as_the_caller(runtime, gql, new_tenant):
    """createNotice, publishNotice and withdrawNotice are audited by the service, as the caller,
    with the notice as target; the draft's publication is announced once."""
    t = await new_tenant()
    est = await build_estate(gql, t.token, small=True)
    nid = ok(await create(gql, t.token, est.community, publish=False))["createNotice"]["id"]
    ok(await gql("mutation($id: ID!) { publishNotice(id: $id) { id } }", {"id": nid}, token=t.token))
    ok(await gql("mutation($id: ID!) { withdrawNotice(id: $id) { id } }", {"id": nid}, token=t.token))
    async with runtime.db.tenant(t.tenant_id) as s:
        rows = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor, AuditEntry.target, AuditEntry.detail)
                .where(AuditEntry.action.like("notices.%"))
                .order_by(AuditEntry.seq)
            )
        ).all()
    assert [a for a, _, _, _ in rows] == ["notices.created", "notices.published", "notices.withdrawn"]
    assert len({actor for _, actor, _, _ in rows}) == 1 and rows[0][1].startswith("account:")
    assert {target for _, _, target, _ in rows} == {str(uid(nid))}
    assert rows[0][3] == {"scope": "community"}
