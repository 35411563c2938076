"""The voting client when the objection period ends while an owner is filing an objection. In a
module of its own: moving the chain clock past the objection period would end every other
proposal's period on the same chain (tests/client/conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fixtures.voting_pages import log_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def objection_proposal(live_server: Any, objection_proposal: Any) -> Any:
    """The module's proposal in its objection period, with one objection on record (demo-owner2's)."""
    filed = live_server.run(_file_objection(live_server, objection_proposal.uuid, "demo-owner2", "请公开比价记录。"))
    assert filed == "请公开比价记录。"
    return objection_proposal


async def _file_objection(server: Any, proposal_uuid: str, username: str, text: str) -> str:
    import uuid

    from plugins.governance import service

    runtime, tenant_id = server.thread.runtime, server.tenant_id
    actor = service.Actor(label=f"test:{username}", account_id=server.accounts[username], tenant_id=tenant_id)
    async with runtime.db.tenant(tenant_id) as s:
        proposal = await service.get_proposal(s, uuid.UUID(proposal_uuid))
        return (await service.file_objection(runtime, s, actor, proposal, text)).text


def test_objection_after_the_period_ended_shows_a_readable_error(
    page: Any, live_server: Any, objection_proposal: Any, shot: Any
) -> None:
    """While the owner confirms, the objection period ends and the committee makes the result
    final; the API answers CONFLICT, which the page words for the owner, in English
    and in Chinese, keeping the text."""
    objection = "The lift quote was never compared with other offers."
    log_in(page, live_server, "demo-owner3")
    page.get_by_role("button", name="切换为英文").click()
    page.get_by_role("heading", name="Votes about my home").wait_for()
    page.goto(f"{live_server.base_url}/vote/#/p/{objection_proposal.id}/objection")
    page.get_by_label("Your objection").fill(objection)
    page.get_by_role("button", name="Submit objection").click()
    page.get_by_role("heading", name="Submit this objection?").wait_for()
    assert live_server.end_objection_period(objection_proposal) == "final"
    page.get_by_role("button", name="Yes, submit it").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Objections can no longer be filed: the objection period has ended.")
    expect(page.get_by_label("Your objection")).to_have_value(objection)  # nothing lost
    shot(page, "objection-closed")
    filed = live_server.objections(objection_proposal)
    assert all(text != objection for _, text in filed["objections"])

    page.get_by_role("button", name="Switch to Chinese").click()  # the page reloads the proposal
    expect(page.locator(".closed-note")).to_have_text("现在不能再提出异议：异议期已经结束。")
    assert objection in page.locator(".objection-text").inner_text()  # the unsent text, kept
    page.goto(f"{live_server.base_url}/vote/#/p/{objection_proposal.id}")
    page.get_by_role("heading", name="表决结果").wait_for()
    assert page.locator("#file-objection").count() == 0
    # still public once final: how many objections were filed (demo-owner2's; demo-owner3 filed none)
    expect(page.locator("#objection-total")).to_have_text(re.compile(r"共收到 [1-9]\d* 条异议"))
    assert page.get_by_role("list", name="您已提出的异议").count() == 0
