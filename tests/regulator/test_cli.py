"""``linli tenant jurisdiction`` and ``linli tenant regulator`` for a district account, from an
empty data folder: the account logs in and supervises the district's street."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from gateway.cli import cli
from kernel.config import Settings
from kernel.runtime import Runtime
from kernel.testing import GraphQLClient
from tests.test_people_cli import _env


async def test_jurisdictions_and_a_district_regulator_from_the_cli(tmp_path):
    data = tmp_path / "fresh"
    env = {**_env(data), "LINLI_SECOND_FACTOR_ROLES": ""}
    runner = CliRunner()

    async def linli(*args: str) -> str:
        r = await asyncio.to_thread(runner.invoke, cli, list(args), env=env)
        return f"{r.exit_code} {r.output}"

    assert (await linli("tenant", "jurisdiction", "滨江区", "杭州市滨江区", "--is-district")).startswith("0 ")
    assert (await linli("tenant", "jurisdiction", "滨江街道", "滨江街道办事处", "--district", "滨江区")).startswith("0 ")
    again = await linli("tenant", "jurisdiction", "滨江街道", "again")
    assert not again.startswith("0 ") and "CONFLICT" in again
    orphan = await linli("tenant", "jurisdiction", "西兴街道", "x", "--district", "NOPE")
    assert not orphan.startswith("0 ") and "BAD_USER_INPUT" in orphan
    assert (await linli("tenant", "regulator", "bj-district", "滨江区", "--password", "district office 2026")).startswith("0 ")

    runtime = Runtime.build(Settings(data_dir=data, secret_key=env["LINLI_SECRET_KEY"], master_key=env["LINLI_MASTER_KEY"], second_factor_roles=[]))
    from gateway.app import create_app

    client = GraphQLClient(create_app(runtime))
    try:
        token = await client.login("bj-district", "district office 2026")
        r = await client("{ myJurisdiction { code kind streets { code name } } }", token=token)
        assert r["data"]["myJurisdiction"] == {"code": "滨江区", "kind": "district", "streets": [{"code": "滨江街道", "name": "滨江街道办事处"}]}
    finally:
        await client.http.aclose()
        await runtime.db.dispose()
