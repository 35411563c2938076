"""The firm's export holds no ballot linked to a person and no secret (issue #14 item 6).

Owners vote through the product, then the firm exports its data the way its admin would: the
archive must not say how anyone voted (``gov_votes.choice``), nor carry what links a person to their
ballot on the public chain (their voting address, the call data and projected events), nor any
credential (password and token hashes, TOTP seeds, custodial private keys).
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.chain import devchain
from kernel.chain.models import ChainKey
from kernel.chain.relay import chain_client
from plugins.governance.models import Vote
from tenants.export import export_tenant, verify_archive
from tests.governance.conftest import build_voting_estate
from tests.governance.test_governance_graphql import DRAFT, VOTE, drain, step

pytestmark = pytest.mark.usefixtures("fast_passwords")


async def test_export_has_no_ballot_choice_and_no_secret(
    chain_runtime, gql_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="expvote")
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await gql(
        DRAFT,
        {"c": e.community_gid(), "m": "OTHER", "t": "绿化改造", "b": "补种树木", "end": end},
        token=e.tokens["committee"],
    )
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
        votes = (await s.execute(select(Vote))).scalars().all()
        addresses = {k.address.lower() for k in (await s.execute(select(ChainKey))).scalars()}
        cast = [
            a
            for a in (
                await s.execute(
                    select(AuditEntry).where(AuditEntry.action == "governance.vote_cast")
                )
            ).scalars()
        ]
    assert sorted(v.choice for v in votes) == ["AGAINST", "FOR"]  # the platform holds them
    assert addresses and len(cast) == 2
    # the audit log (readable by staff) names who voted, never with what address
    assert all(not (entry.detail or {}).get("voter") for entry in cast)

    result = await export_tenant(runtime, e.slug, tmp_path / "firm.zip")
    manifest = verify_archive(result.path)
    with zipfile.ZipFile(result.path) as z:
        text = "\n".join(z.read(n).decode() for n in z.namelist() if n.endswith(".jsonl"))
        rows = {
            n[: -len(".jsonl")]: [json.loads(line) for line in z.read(n).decode().splitlines()]
            for n in z.namelist()
            if n.endswith(".jsonl")
        }

    exported_votes = rows["gov_votes"]
    assert len(exported_votes) == 2  # participation is there …
    assert all(
        "choice" not in v and "voter_address" not in v for v in exported_votes
    )  # … not the ballot
    assert manifest["tables"]["gov_votes"]["withheld_columns"] == ["choice", "voter_address"]
    # nothing in the archive links a person to an address on the chain
    leaks = {n: [a for a in addresses if a in json.dumps(r).lower()] for n, r in rows.items()}
    assert not any(leaks.values()), {n: v for n, v in leaks.items() if v}
    assert all("address" not in k for k in rows["chain_keys"])
    assert all("args" not in t for t in rows["chain_transactions"]) and all(
        "args" not in ev for ev in rows["chain_events"]
    )
    # no credential of any kind
    assert "$argon2" not in text
    for table, column in (
        ("accounts", "password_hash"),
        ("accounts", "totp_secret"),
        ("chain_keys", "key"),
        ("refresh_tokens", "token_hash"),
    ):
        assert all(column not in row for row in rows[table]), (table, column)
        assert any(c.startswith(column) for c in manifest["tables"][table]["withheld_columns"]), (
            table,
            manifest["tables"][table],
        )
