"""Issue #13 audit: a topic is converted only into a proposal still to be voted on (a cancelled or
decided one cannot take it up), and the 公示 notice names the Art. 278 matter in words, not by its
code (the walkthrough saw "事项：use_fund")."""

from __future__ import annotations

from tests.participation.conftest import Hall, code_of, ext, ok

DRAFT = 'mutation($c: ID!) { draftProposal(communityId: $c, matter: USE_FUND, title: "更换1幢电梯", body: "使用维修资金更换1幢电梯") { id } }'
CONVERT = "mutation($t: ID!, $p: ID!) { convertDeliberationTopic(topicId: $t, proposalId: $p) { status proposalId } }"


async def test_only_a_proposal_still_to_be_voted_takes_up_a_topic(hall: Hall, gql, deliver) -> None:  # type: ignore[no-untyped-def]
    firm = await hall.firm()
    await hall.configure(firm, "count", 1)
    committee = firm.tokens["committee"]
    topic = ok(await hall.open(firm, "B", "更换1幢电梯"))["openDeliberationTopic"]
    cancelled = ok(await gql(DRAFT, {"c": firm.community}, token=committee))["draftProposal"]["id"]
    ok(
        await gql(
            "mutation($p: ID!) { cancelProposal(id: $p) { status } }",
            {"p": cancelled},
            token=committee,
        )
    )
    refused = await gql(CONVERT, {"t": topic["id"], "p": cancelled}, token=committee)
    assert code_of(refused) == "CONFLICT"
    assert ext(refused)["reason"] == "proposal_not_open" and ext(refused)["status"] == "cancelled"
    assert ext(refused)["field"] == "proposalId"

    draft = ok(await gql(DRAFT, {"c": firm.community}, token=committee))["draftProposal"]["id"]
    done = ok(await gql(CONVERT, {"t": topic["id"], "p": draft}, token=committee))
    assert done["convertDeliberationTopic"] == {"status": "converted", "proposalId": draft}
    await deliver(firm.tenant)
    [notice] = [b for b in await hall.board(firm) if b["title"] == "议题转为表决议案：更换1幢电梯"]
    assert "使用建筑物及其附属设施的维修资金" in notice["body"] and "use_fund" not in notice["body"]
    assert notice["body"].endswith("表决公告另行发布。")
