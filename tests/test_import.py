"""CSV bulk import of units and owners: validate everything first, write nothing on any error,
write in bulk otherwise."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords, make_units_csv, row_counts  # noqa: F401 - fixture
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, select
from typer.testing import CliRunner

from kernel.errors import NotFound
from tenants.estate import models as m
from tenants.estate import service
from tenants.estate.importer import UnitRow, error_report_path, import_for_tenant, parse_rows
from tenants.estate.voting import totals, voting_units

pytestmark = pytest.mark.usefixtures("fast_passwords")

SAMPLE = Path(__file__).parent / "fixtures" / "units_sample.csv"
HEADER = "building,unit,floor,area_m2,sold,owner_name,owner_phone,owner_id_number,co_owner_name,co_owner_id_number"


@pytest_asyncio.fixture
async def firm(runtime, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant("imp")
    async with runtime.db.tenant(t.tenant_id) as s:
        c = await service.create_community(s, code="C1", name="幸福里社区")
        await service.create_compound(s, community_id=c.id, name="幸福里一期")
    return t


def by_line(report) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[int, set[str]] = {}
    for e in report.errors:
        out.setdefault(e.line, set()).add(e.column)
    return out


async def test_sample_file_counts_persons_per_art_278(runtime, firm):
    report = await import_for_tenant(runtime, firm.slug, SAMPLE.read_text(encoding="utf-8"), community_code="C1")
    assert report.ok, report.errors
    assert (report.units, report.buildings_created, report.persons_created, report.ownerships) == (6, 2, 4, 7)
    assert report.area == 8963 + 12050 + 8963 + 8963 + 7500 + 7500
    async with runtime.db.tenant(firm.tenant_id) as s:
        community = await s.scalar(select(m.Community))
        t = totals(await voting_units(s, community.id))
        # 张三 (two units) = 1, 李四+王芳 (co-owned) = 1, developer's two unsold units = 1, 赵六 = 1
        assert (t.area, t.persons) == (report.area, 4)
        people = {p.name: p for p in await s.scalars(select(m.Person))}
        assert people["张三"].id_number_digest and runtime.vault.decrypt(firm.tenant_id, people["张三"].phone_enc) == "13812345678"
        assert people["张三"].id_number_enc.startswith("v1:") and "110101" not in people["张三"].id_number_enc
        assert sum(1 for p in people.values() if p.kind == "developer") == 1
        shares = sorted(o.share_bp for o in await s.scalars(select(m.Ownership)))
        assert shares == [5000, 5000, 10000, 10000, 10000, 10000, 10000]
        assert {b.name: b.floors for b in await s.scalars(select(m.Building))} == {"1幢": 2, "2幢": 1}
    # importing the same file again: every unit exists already, nothing is written
    before = await row_counts(runtime, firm.tenant_id)
    again = await import_for_tenant(runtime, firm.slug, SAMPLE.read_text(encoding="utf-8"), community_code="C1", locale="en")
    assert not again.ok and {e.line for e in again.errors} == set(range(2, 8))
    assert all("exists already" in e.message for e in again.errors)
    assert await row_counts(runtime, firm.tenant_id) == before


async def test_known_id_number_reuses_the_person(runtime, firm):
    await import_for_tenant(runtime, firm.slug, SAMPLE.read_text(encoding="utf-8"), community_code="C1")
    more = f"{HEADER}\n3幢,101,1,99.00,true,张三,,110101199003070011,,\n"
    report = await import_for_tenant(runtime, firm.slug, more, community_code="C1")
    assert report.ok and report.persons_created == 0 and report.persons_reused == 1


async def test_5000_rows_in_bulk(runtime, firm, capsys):
    text = make_units_csv(5000)
    statements = 0

    def count(*_args):  # type: ignore[no-untyped-def]
        nonlocal statements
        statements += 1

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", count)
    stages: dict[str, int] = {}
    started = time.perf_counter()
    try:
        report = await import_for_tenant(
            runtime, firm.slug, text, community_code="C1", progress=lambda stage, n, total: stages.__setitem__(stage, stages.get(stage, 0) + n)
        )
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", count)
    elapsed = time.perf_counter() - started
    assert report.ok, report.errors[:5]
    assert report.units == 5000 and report.buildings_created == 70
    assert stages["validate"] == 5000 and stages["write"] == report.units + report.buildings_created + report.persons_created + 1 + report.ownerships
    # bulk: a few statements per table, not one per row
    assert statements < 120, statements
    counts = await row_counts(runtime, firm.tenant_id)
    assert counts["units"] == 5000 and counts["ownerships"] == report.ownerships
    with capsys.disabled():
        print(f"\n[import] 5,000 units, {report.persons_created} persons, {report.ownerships} ownerships "
              f"on {runtime.db.dialect}: {elapsed:.2f} s, {statements} SQL statements")
    assert elapsed < 60


async def test_any_bad_row_writes_nothing_and_every_error_is_reported(runtime, firm):
    lines = make_units_csv(5000).splitlines()
    cells = [line.split(",") for line in lines]
    # file line n is lines[n - 1]
    cells[99][3] = "-12.5"                        # negative area
    cells[199][4] = "maybe"                       # sold?
    cells[299][4] = "false"                       # unsold but with an owner
    cells[399][1] = cells[398][1]                 # the same unit twice
    cells[399][0] = cells[398][0]
    cells[499][6] = "12345"                       # phone
    cells[599][7] = "11010119900307001"           # ID number one digit short
    cells[699][2] = "abc"                         # floor
    cells[799][5] = ""                            # sold without owner name
    cells[899][7] = cells[2][7]                   # line 3's ID number under another name
    cells[899][5] = "冒名顶替"
    cells[999][3] = "12.345"                      # three decimals
    text = "\n".join(",".join(c) for c in cells) + "\n"
    before = await row_counts(runtime, firm.tenant_id)
    report = await import_for_tenant(runtime, firm.slug, text, community_code="C1", locale="en")
    assert not report.ok
    found = by_line(report)
    assert found == {
        100: {"area_m2"}, 200: {"sold"}, 300: {"sold"}, 400: {"unit"}, 500: {"owner_phone"}, 600: {"owner_id_number"},
        700: {"floor"}, 800: {"owner_name"} | found.get(800, set()), 900: {"owner_name"}, 1000: {"area_m2"},
    }, report.errors
    assert "line 399" in next(e.message for e in report.errors if e.line == 400)
    assert "line 3" in next(e.message for e in report.errors if e.line == 900)
    assert await row_counts(runtime, firm.tenant_id) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "")]),
        ("building,unit,floor\n1幢,101,1\n", [(1, "area_m2")]),
        ("building,unit,area_m2,colour\n1幢,101,90,red\n", [(1, "colour")]),
        (f"{HEADER}\n1幢,101,1,90,true,张三,,,,,extra\n", [(2, "")]),
        (f"{HEADER}\n1幢,101,1,90,true,,,,李四,\n", [(2, "owner_name")]),
        (f"{HEADER}\n1幢,101,1,90,true,张三,,110101199003070011,李四,110101199003070011\n", [(2, "co_owner_id_number")]),
        (f"{HEADER}\n1幢,101,0,90,true,张三,,,,\n", [(2, "floor")]),
        (f"{HEADER}\n,101,1,90,true,张三,,,,\n", [(2, "building")]),
        (f"{HEADER}\n1幢,101,1,0,true,张三,,,,\n", [(2, "area_m2")]),
    ],
)
def test_file_level_errors(text, expected):
    _rows, errors = parse_rows(text)
    assert [(e.line, e.column) for e in errors] == expected, errors


@given(area=st.integers(min_value=1, max_value=10_000_000), sold=st.booleans())
def test_area_and_sold_round_trip(area, sold):
    text = f"{HEADER}\n1幢,101,3,{area // 100}.{area % 100:02d},{'true' if sold else 'false'},{'张三' if sold else ''},,,,\n"
    rows, errors = parse_rows(text)
    assert not errors
    assert rows == [UnitRow(2, "", "1幢", "101", 3, area, sold, rows[0].owners)]


async def test_unknown_community(runtime, firm):
    with pytest.raises(NotFound):
        await import_for_tenant(runtime, firm.slug, SAMPLE.read_text(encoding="utf-8"), community_code="NOPE")


async def test_cli_reports_errors_next_to_the_file(runtime, firm, linli_database, tmp_path):
    from gateway.cli import cli

    s = linli_database.settings()
    env = {"LINLI_DATABASE_URL": s.database_url, "LINLI_DATABASE_ADMIN_URL": s.database_admin_url, "LINLI_DATA_DIR": str(s.data_dir),
           "LINLI_SECRET_KEY": s.secret_key, "LINLI_MASTER_KEY": s.master_key, "LINLI_LOG_JSON": "false"}
    bad = tmp_path / "units.csv"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace("120.50", "-1"), encoding="utf-8")
    runner = CliRunner()
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "import", firm.slug, str(bad), "--community-code", "C1"], env=env)
    assert r.exit_code == 1, r.output
    assert "nothing was imported" in r.output and "area_m2" in r.output
    report = error_report_path(bad).read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "line,column,message" and report[1].startswith("3,area_m2,")
    assert (await row_counts(runtime, firm.tenant_id))["units"] == 0
    good = tmp_path / "good.csv"
    good.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "import", firm.slug, str(good), "--community-code", "C1"], env=env)
    assert r.exit_code == 0 and "imported 6 units" in r.output, r.output
    assert (await row_counts(runtime, firm.tenant_id))["units"] == 6


IMPORT = """mutation($c: ID!, $csv: String!) { importUnits(communityId: $c, csv: $csv) {
  ok units buildingsCreated personsCreated personsReused ownerships areaM2 errors { line column message } } }"""


async def test_import_over_graphql(runtime, gql, firm, new_tenant):
    from strawberry import relay

    async with runtime.db.tenant(firm.tenant_id) as s:
        community = await s.scalar(select(m.Community))
    cid = str(relay.GlobalID("Community", str(community.id)))
    sample = SAMPLE.read_text(encoding="utf-8")
    r = await gql(IMPORT, {"c": cid, "csv": sample.replace("120.50", "-3")}, token=firm.token)
    assert not r.get("errors"), r
    result = r["data"]["importUnits"]
    assert result["ok"] is False and result["units"] == 0
    assert result["errors"] == [{"line": 3, "column": "area_m2", "message": result["errors"][0]["message"]}]
    assert (await row_counts(runtime, firm.tenant_id))["units"] == 0
    r = await gql(IMPORT, {"c": cid, "csv": sample}, token=firm.token)
    assert r["data"]["importUnits"] == {
        "ok": True, "units": 6, "buildingsCreated": 2, "personsCreated": 4, "personsReused": 0, "ownerships": 7,
        "areaM2": "539.39", "errors": [],
    }, r
    # another tenant cannot import into this community, nor see it
    other = await new_tenant("impo")
    r = await gql(IMPORT, {"c": cid, "csv": sample}, token=other.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND", r
    assert (await row_counts(runtime, other.tenant_id))["units"] == 0
    # an auditor key may read the estate but not import
    r = await gql('mutation { createApiKey(name: "a", role: "auditor") { secret } }', token=firm.token)
    r = await gql(IMPORT, {"c": cid, "csv": sample}, headers={"x-api-key": r["data"]["createApiKey"]["secret"]})
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN", r
