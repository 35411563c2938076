"""Fixtures for the voting-client browser tests: the real app under uvicorn on a free
127.0.0.1 port (in a background thread), on a fresh database (PostgreSQL through the RLS
application role when ``LINLI_TEST_POSTGRES_URL`` is set, else SQLite), seeded with the demo
tenant (40 units) and ``plugins.governance.demo.seed_governance_demo`` (one proposal open for
voting, on the embedded EVM); and Debian's Chromium driven by Playwright.

No test depends on another's state: a test that votes gets its own open proposal
(``open_proposal``), the objection tests share one proposal closed with most owners' votes
(``objection_proposal``, whose state they only add objections to), and a test that moves the
chain clock past an objection period lives in its own module (its own server and chain)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fixtures.governance_votes import (
    close_with_many_votes,
    end_objection_period,
    objections_on_record,
)
from fixtures.live_app import CHROMIUM, CHROMIUM_ARGS, chromium_available, serving

from kernel.testing import missing

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
EXTRA_OWNERS = ("demo-owner2", "demo-owner3")


@dataclass(frozen=True)
class ProposalRef:
    """A proposal the fixtures opened: its GraphQL id, its uuid and its (unique) title."""

    id: str
    uuid: str
    title: str


@dataclass
class LiveServer:
    base_url: str
    tenant: str
    password: str
    proposal_id: str
    proposal_uuid: str
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)
    tenant_id: uuid.UUID | None = None
    own_key: str = ""  # demo-owner2's self-custody private key
    logins: frozenset[str] = frozenset()  # person ids of the demo owners who sign in (they vote in the browser)
    thread: Any = None

    def run(self, coro: Any, timeout: float = 60) -> Any:
        """Runs ``coro`` in the server's event loop (where the runtime and the chain live)."""
        return asyncio.run_coroutine_threadsafe(coro, self.thread.loop).result(timeout)

    def new_proposal(self) -> ProposalRef:
        """A new proposal about the lift, open for voting now (by the chain's clock), on which no
        one has voted."""
        from plugins.governance.demo import seed_governance_demo

        title = f"关于更换{uuid.uuid4().hex[:6]}号电梯的决定"
        seeded = self.run(seed_governance_demo(self.thread.runtime, self.tenant_id, title=title), timeout=120)
        return ProposalRef(seeded["proposal_id"], seeded["proposal_uuid"], title)

    def close_with_many_votes(self, proposal: ProposalRef) -> dict[str, Any]:
        """:func:`close_with_many_votes` on ``proposal``, in the server's loop."""
        return self.run(close_with_many_votes(self.thread.runtime, self.tenant_id, proposal.uuid, self.logins), timeout=180)

    def objections(self, proposal: ProposalRef) -> dict[str, Any]:
        """:func:`objections_on_record` for ``proposal``, in the server's loop."""
        return self.run(objections_on_record(self.thread.runtime, self.tenant_id, proposal.uuid))

    def end_objection_period(self, proposal: ProposalRef) -> str:
        """:func:`end_objection_period` for ``proposal``, in the server's loop (moves the chain clock)."""
        return self.run(end_objection_period(self.thread.runtime, self.tenant_id, proposal.uuid), timeout=90)


async def _link_owners(
    runtime: Any, tenant_id: uuid.UUID
) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Accounts for two more owners of the demo owner's building (the demo seeds one owner
    login), so that each test votes as a different, not-yet-voted owner."""
    from sqlalchemy import select, update

    from kernel.testing import add_member
    from tenants.demo import DEMO_PASSWORD
    from tenants.estate import models as m

    linked: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    async with runtime.db.tenant(tenant_id) as s:
        first = (
            await s.execute(
                select(m.Unit.building_id)
                .join(m.Ownership, m.Ownership.unit_id == m.Unit.id)
                .join(m.Person, m.Person.id == m.Ownership.person_id)
                .where(m.Person.account_id.is_not(None), m.Person.kind == "natural")  # demo-owner's, not the developer's
                .limit(1)
            )
        ).scalar_one()
        persons = (
            await s.scalars(
                select(m.Person)
                .join(m.Ownership, m.Ownership.person_id == m.Person.id)
                .join(m.Unit, m.Unit.id == m.Ownership.unit_id)
                .where(
                    m.Unit.building_id == first,
                    m.Unit.sold.is_(True),
                    m.Ownership.share_bp == 10000,
                    m.Person.account_id.is_(None),
                    m.Person.kind == "natural",
                )
                .order_by(m.Unit.number)
                .limit(len(EXTRA_OWNERS))
            )
        ).all()
        persons = list(persons)
    for username, person in zip(EXTRA_OWNERS, persons, strict=True):
        account_id = await add_member(
            runtime, tenant_id, username, DEMO_PASSWORD, "owner", person.name
        )
        linked[username] = (account_id, person.id)
        async with runtime.db.tenant(tenant_id) as s:
            await s.execute(
                update(m.Person).where(m.Person.id == person.id).values(account_id=account_id)
            )
    return linked


async def _persons_with_logins(runtime: Any, tenant_id: uuid.UUID) -> list[str]:
    from sqlalchemy import select

    from tenants.estate import models as m

    async with runtime.db.tenant(tenant_id) as s:
        return [str(p) for p in (await s.scalars(select(m.Person.id).where(m.Person.account_id.is_not(None)))).all()]


async def _register_self_custody(
    runtime: Any, tenant_id: uuid.UUID, owner: tuple[uuid.UUID, uuid.UUID], address: str
) -> None:
    from kernel.chain.custody import register_self_custody

    async with runtime.db.tenant(tenant_id) as s:
        await register_self_custody(runtime, s, str(owner[1]), address)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not chromium_available():
        missing("browser", "chromium is missing (apt-get install chromium)")
    from eth_account import Account

    from plugins.governance.demo import seed_governance_demo
    from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo

    own_key = Account.create()

    async def prepare(runtime: Any) -> dict[str, Any]:
        demo = await seed_demo(runtime, units=40)  # 20 units per community keeps the suite quick
        accounts = await _link_owners(runtime, demo.tenant_id)
        # demo-owner2 holds their own key: registered before the units go on chain
        await _register_self_custody(runtime, demo.tenant_id, accounts["demo-owner2"], own_key.address)
        seeded = await seed_governance_demo(runtime, demo.tenant_id)
        return {
            "seeded": seeded,
            "accounts": {k: v[0] for k, v in accounts.items()},
            "tenant_id": demo.tenant_id,
            "logins": await _persons_with_logins(runtime, demo.tenant_id),
        }

    started = time.perf_counter()
    with serving(tmp_path_factory.mktemp("vote-client"), prepare, name="linli-vote-server") as thread:
        seeded = thread.info["seeded"]
        server = LiveServer(
            base_url=f"http://127.0.0.1:{thread.port}",
            tenant=DEMO_SLUG,
            password=DEMO_PASSWORD,
            proposal_id=seeded["proposal_id"],
            proposal_uuid=seeded["proposal_uuid"],
            accounts=dict(thread.info["accounts"]),
            tenant_id=thread.info["tenant_id"],
            own_key="0x" + own_key.key.hex().removeprefix("0x"),
            logins=frozenset(thread.info["logins"]),
            thread=thread,
        )
        server.startup_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
        print(f"\nvoting client server ready in {server.startup_seconds:.1f} s: {thread.timings}")
        yield server


@pytest.fixture
def open_proposal(live_server: LiveServer) -> ProposalRef:
    """A proposal of its own for a test that votes, open now, no one has voted on it."""
    return live_server.new_proposal()


@pytest.fixture(scope="module")
def objection_proposal(live_server: LiveServer) -> ProposalRef:
    """A proposal most owners without a login voted on (7 for : 2 against : 1 abstain), closed:
    its preliminary result is on notice for objections. The module's objection tests share it and
    only add objections."""
    proposal = live_server.new_proposal()
    closed = live_server.close_with_many_votes(proposal)
    assert closed["status"] == "objection", closed
    return proposal


@pytest.fixture(scope="module")
def browser(live_server: LiveServer) -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Any:
    """A phone-sized page in a fresh context (empty storage), failing on any request that
    leaves the app's origin."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.base_url) or route.request.url.startswith(
            "data:"
        ):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    pg.set_default_timeout(10_000)
    yield pg
    context.close()
    assert not outside, f"the client made external requests: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``shot(page, name)`` takes a whole-page screenshot ``vote-<name>.png``: into docs/img (the
    pictures docs/governance.md shows) with ``LINLI_UPDATE_SCREENSHOTS=1``, else into a temporary
    folder, so that running the tests does not rewrite tracked files."""
    folder = SCREENSHOTS if os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1" else tmp_path_factory.mktemp("screenshots")

    def save(page: Any, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"vote-{name}.png"), full_page=True)

    return save
