"""The deliberation hall end to end: thresholds of both kinds, one co-signature per owner, who
may take part, the committee's answer and conversion (disclosed on the 公示 board), the deadline
job at explicit times, comment moderation, tenant isolation and coded errors."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from kernel.sdk import utcnow
from tests.participation.conftest import Hall, code_of, ext, gid, ok

TOPIC = "query($id: ID!) { deliberationTopic(id: $id) { status coSignatures overdue reply proposalId } }"
ANSWER = "mutation($t: ID!, $r: String!) { answerDeliberationTopic(topicId: $t, reply: $r) { status reply answeredAt } }"
COMMENTS = "query($t: ID!) { deliberationComments(topicId: $t) { id author mine body hidden hiddenReason } }"


async def test_share_threshold_one_signature_per_owner_and_the_committee_is_told(
    hall: Hall, gql
) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    rules = await hall.configure(firm, "share", 5000, days=10)
    # six owners as Art. 278 counts them: unit 6's co-owners F and G are one
    assert (rules["owners"], rules["thresholdNow"]) == (6, 3)

    opened = ok(await hall.open(firm))["openDeliberationTopic"]
    assert (opened["status"], opened["threshold"], opened["coSignatures"]) == ("open", 3, 1)
    assert opened["openedByMe"] and opened["signedByMe"]
    topic = opened["id"]

    again = await hall.co_sign(firm, topic, "A")
    assert code_of(again) == "CONFLICT" and ext(again)["reason"] == "already_signed"
    assert ok(await hall.co_sign(firm, topic, "F"))["coSignDeliberationTopic"]["coSignatures"] == 2
    co_owner = await hall.co_sign(firm, topic, "G")  # the same owner (unit 6) through another login
    assert code_of(co_owner) == "CONFLICT"
    assert await hall.notified(firm, "participation.topic_due") == []

    before = utcnow()
    due = ok(await hall.co_sign(firm, topic, "B"))["coSignDeliberationTopic"]
    assert (due["status"], due["coSignatures"]) == ("due", 3)
    answer_due = datetime.fromisoformat(due["answerDueAt"])
    assert before + timedelta(days=10) <= answer_due <= utcnow() + timedelta(days=10)
    told = await hall.notified(firm, "participation.topic_due")
    assert [n.account_id for n in told] == [firm.accounts["committee"]]
    assert code_of(await hall.co_sign(firm, topic, "C")) == "CONFLICT"  # no longer gathering

    listed = ok(
        await gql("{ deliberationTopics { id status signedByMe } }", token=firm.tokens["G"])
    )
    assert listed["deliberationTopics"] == [{"id": topic, "status": "due", "signedByMe": True}]
    assert "participation.topic_due" in await hall.audit_actions(
        firm.tenant.tenant_id, "participation."
    )


async def test_fixed_number_threshold_and_who_may_take_part(hall: Hall, gql) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    assert (await hall.configure(firm, "count", 2))["thresholdNow"] == 2
    # a renter is not an owner: the permission answers first
    assert code_of(await hall.open(firm, "renter")) == "FORBIDDEN"
    # the owner role without a register person owning a unit here is not an owner either
    stranger = await hall.open(firm, "stranger")
    assert code_of(stranger) == "FORBIDDEN" and ext(stranger)["reason"] == "not_an_owner"
    # the committee answers topics; it does not open them
    assert code_of(await hall.open(firm, "committee")) == "FORBIDDEN"

    topic = ok(await hall.open(firm, "C"))["openDeliberationTopic"]["id"]
    assert code_of(await hall.co_sign(firm, topic, "renter")) == "FORBIDDEN"
    assert ok(await hall.co_sign(firm, topic, "D"))["coSignDeliberationTopic"]["status"] == "due"
    # the renter reads the hall of their community
    seen = ok(await gql(TOPIC, {"id": topic}, token=firm.tokens["renter"]))["deliberationTopic"]
    assert seen["coSignatures"] == 2


async def test_answer_with_reasons_is_disclosed_and_the_opener_told(
    hall: Hall, gql, deliver
) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    topic = ok(await hall.open(firm, "A", "取消地面停车收费"))["openDeliberationTopic"]["id"]
    reply = "地面停车收入用于道路养护，业委会建议维持现行标准，并将在年度收支公示中单列。"
    assert (
        code_of(await gql(ANSWER, {"t": topic, "r": reply}, token=firm.tokens["A"])) == "FORBIDDEN"
    )
    short = await gql(ANSWER, {"t": topic, "r": "不行"}, token=firm.tokens["committee"])
    assert code_of(short) == "BAD_USER_INPUT" and ext(short)["field"] == "reply"
    done = ok(await gql(ANSWER, {"t": topic, "r": reply}, token=firm.tokens["committee"]))
    assert done["answerDeliberationTopic"]["status"] == "answered"
    assert (
        code_of(await gql(ANSWER, {"t": topic, "r": reply}, token=firm.tokens["committee"]))
        == "CONFLICT"
    )

    await deliver(firm.tenant)
    board = await hall.board(firm)
    assert [(b["title"], b["category"]) for b in board] == [
        ("议题答复：取消地面停车收费", "GOVERNANCE")
    ]
    assert reply in board[0]["body"]
    await deliver(firm.tenant)  # a second delivery run publishes nothing more
    assert len(await hall.board(firm)) == 1
    told = await hall.notified(firm, "participation.topic_answered")
    assert [n.account_id for n in told] == [firm.accounts["A"]]


async def test_conversion_links_a_governance_proposal_both_ways(
    hall: Hall, gql, deliver, runtime
) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    await hall.configure(firm, "count", 1)
    topic = ok(await hall.open(firm, "B", "更换1幢电梯"))["openDeliberationTopic"]
    assert topic["status"] == "due"  # the opener's own signature reaches a threshold of one
    draft = await gql(
        'mutation($c: ID!) { draftProposal(communityId: $c, matter: USE_FUND, title: "更换1幢电梯", body: "使用维修资金更换1幢电梯") { id } }',
        {"c": firm.community},
        token=firm.tokens["committee"],
    )
    proposal = ok(draft)["draftProposal"]["id"]
    convert = "mutation($t: ID!, $p: ID!) { convertDeliberationTopic(topicId: $t, proposalId: $p) { status proposalId } }"
    missing = await gql(
        convert,
        {"t": topic["id"], "p": gid("Proposal", uuid.uuid4())},
        token=firm.tokens["committee"],
    )
    assert code_of(missing) == "NOT_FOUND" and ext(missing)["field"] == "proposalId"
    done = ok(await gql(convert, {"t": topic["id"], "p": proposal}, token=firm.tokens["committee"]))
    assert done["convertDeliberationTopic"] == {"status": "converted", "proposalId": proposal}
    back = ok(
        await gql(
            "query($p: ID!) { deliberationTopicOfProposal(proposalId: $p) { id status } }",
            {"p": proposal},
            token=firm.tokens["C"],
        )
    )["deliberationTopicOfProposal"]
    assert back == {"id": topic["id"], "status": "converted"}
    other = ok(await hall.open(firm, "C", "更换2幢电梯"))["openDeliberationTopic"]["id"]
    reused = await gql(convert, {"t": other, "p": proposal}, token=firm.tokens["committee"])
    assert code_of(reused) == "CONFLICT"
    await deliver(firm.tenant)
    assert [b["title"] for b in await hall.board(firm)] == ["议题转为表决议案：更换1幢电梯"]

    # the declared service other plugins ask (no import): the topic behind the proposal
    from strawberry import relay

    from kernel.sdk.services import service

    lookup = service(runtime, "participation.topic_of_proposal")
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        facts = await lookup(s, uuid.UUID(relay.GlobalID.from_id(proposal).node_id))
    assert (str(facts.id), facts.title, facts.co_signatures) == (
        relay.GlobalID.from_id(topic["id"]).node_id,
        "更换1幢电梯",
        1,
    )


async def test_the_deadline_job_flags_overdue_answers_once(hall: Hall, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    from plugins.participation import check_deadlines

    firm = await hall.firm()
    await hall.configure(firm, "count", 1, days=7)
    topic = ok(await hall.open(firm, "D"))["openDeliberationTopic"]
    due_at = datetime.fromisoformat(topic["answerDueAt"])
    only = {firm.tenant.tenant_id}
    assert await check_deadlines(runtime, now=due_at - timedelta(minutes=1), only=only) == 0
    assert await hall.notified(firm, "participation.topic_overdue") == []
    assert await check_deadlines(runtime, now=due_at + timedelta(minutes=1), only=only) == 1
    told = await hall.notified(firm, "participation.topic_overdue")
    assert [n.account_id for n in told] == [firm.accounts["committee"]]
    assert await check_deadlines(runtime, now=due_at + timedelta(days=1), only=only) == 0  # once
    assert "participation.topic_overdue" in await hall.audit_actions(
        firm.tenant.tenant_id, "participation."
    )
    # an answered topic is never overdue
    other = ok(await hall.open(firm, "E", "楼道照明改造"))["openDeliberationTopic"]
    ok(
        await gql(
            ANSWER,
            {"t": other["id"], "r": "已纳入本年度维修计划，预计下月完工。"},
            token=firm.tokens["committee"],
        )
    )
    later = datetime.fromisoformat(other["answerDueAt"]) + timedelta(days=1)
    assert await check_deadlines(runtime, now=later, only=only) == 0


async def test_moderation_hides_keeps_and_tells_the_author(hall: Hall, gql) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    topic = ok(await hall.open(firm))["openDeliberationTopic"]["id"]
    comment = "mutation($t: ID!, $b: String!) { commentDeliberationTopic(topicId: $t, body: $b) { id author mine body } }"
    assert (
        code_of(await gql(comment, {"t": topic, "b": "支持"}, token=firm.tokens["renter"]))
        == "FORBIDDEN"
    )
    assert (
        code_of(await gql(comment, {"t": topic, "b": "  "}, token=firm.tokens["B"]))
        == "BAD_USER_INPUT"
    )
    written = ok(
        await gql(comment, {"t": topic, "b": "物业就是在乱收费！"}, token=firm.tokens["B"])
    )
    cid = written["commentDeliberationTopic"]["id"]
    hide = "mutation($c: ID!, $r: String!) { hideDeliberationComment(commentId: $c, reason: $r) { hidden hiddenReason body } }"
    assert (
        code_of(await gql(hide, {"c": cid, "r": "人身攻击"}, token=firm.tokens["C"])) == "FORBIDDEN"
    )
    hidden = ok(
        await gql(
            hide, {"c": cid, "r": "含不实指控，请修改后重新发表"}, token=firm.tokens["committee"]
        )
    )
    assert hidden["hideDeliberationComment"]["hidden"] is True
    assert (
        code_of(await gql(hide, {"c": cid, "r": "再次隐藏"}, token=firm.tokens["committee"]))
        == "CONFLICT"
    )

    others = ok(await gql(COMMENTS, {"t": topic}, token=firm.tokens["C"]))["deliberationComments"]
    assert others == [
        {
            "id": cid,
            "author": "owner",
            "mine": False,
            "body": None,
            "hidden": True,
            "hiddenReason": "含不实指控，请修改后重新发表",
        }
    ]
    author = ok(await gql(COMMENTS, {"t": topic}, token=firm.tokens["B"]))["deliberationComments"]
    assert author[0]["body"] == "物业就是在乱收费！" and author[0]["mine"]
    committee = ok(await gql(COMMENTS, {"t": topic}, token=firm.tokens["committee"]))[
        "deliberationComments"
    ]
    assert committee[0]["body"] == "物业就是在乱收费！"  # kept, not deleted
    told = await hall.notified(firm, "participation.comment_hidden")
    assert [n.account_id for n in told] == [firm.accounts["B"]]
    assert "含不实指控" in told[0].body


async def test_another_firms_ids_answer_not_found(hall: Hall, gql) -> None:  # type: ignore[no-untyped-def]
    a, b = await hall.firm("parta"), await hall.firm("partb")
    topic = ok(await hall.open(a))["openDeliberationTopic"]["id"]
    assert (
        ok(await gql(TOPIC, {"id": topic}, token=b.tokens["committee"]))["deliberationTopic"]
        is None
    )
    assert code_of(await hall.co_sign(b, topic, "A")) == "NOT_FOUND"
    r = await gql(
        ANSWER, {"t": topic, "r": "跨公司的答复不应被接受。"}, token=b.tokens["committee"]
    )
    assert code_of(r) == "NOT_FOUND"
    assert code_of(await gql(COMMENTS, {"t": topic}, token=b.tokens["committee"])) == "NOT_FOUND"
    # another firm's community: not found for opening, settings and configuration
    foreign = await gql(
        'mutation($c: ID!) { openDeliberationTopic(communityId: $c, title: "跨公司议题", body: "这是另一家物业公司的小区。") { id } }',
        {"c": a.community},
        token=b.tokens["A"],
    )
    assert code_of(foreign) == "NOT_FOUND"
    settings = await gql(
        "query($c: ID!) { participationSettings(communityId: $c) { owners } }",
        {"c": a.community},
        token=b.tokens["committee"],
    )
    assert code_of(settings) == "NOT_FOUND"


async def test_coded_errors(hall: Hall, gql, new_tenant) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("partx")
    assert code_of(await gql("{ deliberationTopics { id } }", token=t.token)) == "PLUGIN_DISABLED"
    firm = await hall.firm()
    bad = await gql(
        "mutation($c: ID!) { configureParticipation(communityId: $c, thresholdKind: share, thresholdValue: 20000) { owners } }",
        {"c": firm.community},
        token=firm.tokens["committee"],
    )
    assert code_of(bad) == "BAD_USER_INPUT"
    days = await gql(
        "mutation($c: ID!) { configureParticipation(communityId: $c, thresholdKind: count, thresholdValue: 3, answerWithinDays: 0) { owners } }",
        {"c": firm.community},
        token=firm.tokens["committee"],
    )
    assert code_of(days) == "BAD_USER_INPUT" and ext(days)["field"] == "answerWithinDays"
    short = await hall.open(firm, "A", "短")
    assert code_of(short) == "BAD_USER_INPUT" and ext(short)["field"] == "title"
    assert (
        code_of(await hall.co_sign(firm, gid("DeliberationTopic", uuid.uuid4()), "A"))
        == "NOT_FOUND"
    )
    assert code_of(await hall.co_sign(firm, "not-an-id", "A")) == "BAD_USER_INPUT"
    assert code_of(await hall.co_sign(firm, gid("Survey", uuid.uuid4()), "A")) in (
        "BAD_USER_INPUT",
        "NOT_FOUND",
    )
