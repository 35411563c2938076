"""What a property firm in China actually feeds the unit import: Excel's GBK/GB18030 "CSV" and its "CSV UTF-8"
(with BOM), detected and reported; a missing file said plainly (coded); messages in the firm's language; and
units listed in natural order (101, 102, … 1001), kept by a sort key computed on write and backfilled by
the migration."""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from alembic import command
from fixtures.estates import fast_passwords, row_counts  # noqa: F401 - fixture
from sqlalchemy import select
from strawberry import relay
from typer.testing import CliRunner

from kernel.db.migrate import alembic_config
from kernel.errors import BadUserInput, NotFound
from kernel.plugins.host import PluginHost
from tenants.estate import models as m
from tenants.estate import service
from tenants.estate.importer import decode_csv, import_for_tenant, read_csv_file

pytestmark = pytest.mark.usefixtures("fast_passwords")

SAMPLE = Path(__file__).parent / "fixtures" / "units_sample.csv"
IMPORT = """mutation($c: ID!, $csv: String, $b: String, $l: String!) { importUnits(communityId: $c, csv: $csv, csvBase64: $b, locale: $l) {
  ok units encoding errors { line column message } } }"""


@pytest_asyncio.fixture
async def firm(runtime, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant("xls")
    async with runtime.db.tenant(t.tenant_id) as s:
        c = await service.create_community(s, code="C1", name="幸福里社区")
        await service.create_compound(s, community_id=c.id, name="幸福里一期")
    return t


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda text: text.encode("gbk"), "gbk"),
        (lambda text: text.encode("utf-8-sig"), "utf-8-sig"),
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: text.replace("张三", "张𠮷").encode("gb18030"), "gb18030"),  # 𠮷 is outside GBK
    ],
)
async def test_excel_encodings_are_detected_and_reported(runtime, firm, encode, expected) -> None:  # type: ignore[no-untyped-def]
    data = encode(SAMPLE.read_text(encoding="utf-8"))
    report = await import_for_tenant(runtime, firm.slug, data, community_code="C1")
    assert report.ok, report.errors
    assert (report.units, report.encoding) == (6, expected)
    async with runtime.db.tenant(firm.tenant_id) as s:
        names = set((await s.scalars(select(m.Person.name))).all())
    assert ("张𠮷" if expected == "gb18030" else "张三") in names and "李四" in names  # decoded, not mojibake


def test_undecodable_bytes_are_a_coded_error() -> None:
    with pytest.raises(BadUserInput) as err:
        decode_csv(b"building,unit,area_m2\n\xff\xfe\xff,1,2\n")
    assert err.value.code == "BAD_USER_INPUT" and "编码" in err.value.message
    with pytest.raises(BadUserInput, match="encoding"):
        decode_csv(b"\xef\xbb\xbf\xff\xff", "en")


def test_missing_file_is_not_found_in_the_firms_language(tmp_path: Path) -> None:
    missing = tmp_path / "房屋.csv"
    with pytest.raises(NotFound) as err:
        read_csv_file(missing)
    assert err.value.code == "NOT_FOUND" and "不存在" in err.value.message and str(missing) in err.value.message
    with pytest.raises(NotFound, match="does not exist"):
        read_csv_file(missing, "en")
    with pytest.raises(BadUserInput):
        read_csv_file(tmp_path, "en")  # a folder


async def test_messages_speak_the_firms_language(runtime, firm) -> None:  # type: ignore[no-untyped-def]
    bad = SAMPLE.read_text(encoding="utf-8").replace("120.50", "-1")
    zh = await import_for_tenant(runtime, firm.slug, bad, community_code="C1")
    en = await import_for_tenant(runtime, firm.slug, bad, community_code="C1", locale="en")
    assert [(e.line, e.column) for e in zh.errors] == [(e.line, e.column) for e in en.errors] == [(3, "area_m2")]
    assert "面积" in zh.errors[0].message and "平方米" in zh.errors[0].message
    assert "area" in en.errors[0].message and "m²" in en.errors[0].message
    with pytest.raises(NotFound, match="社区"):
        await import_for_tenant(runtime, firm.slug, bad, community_code="NOPE")
    with pytest.raises(BadUserInput):
        await import_for_tenant(runtime, firm.slug, bad, community_code="C1", locale="fr")


async def test_cli_reads_gbk_and_says_when_the_file_is_missing(runtime, firm, linli_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gateway.cli import cli

    s = linli_database.settings()
    env = {"LINLI_DATABASE_URL": s.database_url, "LINLI_DATABASE_ADMIN_URL": s.database_admin_url, "LINLI_DATA_DIR": str(s.data_dir),
           "LINLI_SECRET_KEY": s.secret_key, "LINLI_MASTER_KEY": s.master_key, "LINLI_LOG_JSON": "false"}
    runner = CliRunner()
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "import", firm.slug, str(tmp_path / "nope.csv"), "--community-code", "C1"], env=env)
    assert r.exit_code == 1 and "NOT_FOUND" in r.output and "不存在" in r.output, r.output
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "import", firm.slug, str(tmp_path / "nope.csv"), "--community-code", "C1", "--lang", "en"], env=env)
    assert r.exit_code == 1 and "does not exist" in " ".join(r.output.split()), r.output  # rich wraps lines
    gbk = tmp_path / "excel.csv"
    gbk.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gbk"))
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "import", firm.slug, str(gbk), "--community-code", "C1"], env=env)
    assert r.exit_code == 0 and "imported 6 units" in r.output and "encoding gbk" in " ".join(r.output.split()), r.output
    assert (await row_counts(runtime, firm.tenant_id))["units"] == 6


async def test_graphql_takes_the_files_bytes(runtime, gql, firm) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(firm.tenant_id) as s:
        community = await s.scalar(select(m.Community))
    cid = str(relay.GlobalID("Community", str(community.id)))
    sample = SAMPLE.read_text(encoding="utf-8")
    bad = base64.b64encode(sample.replace("120.50", "-1").encode("gbk")).decode()
    r = await gql(IMPORT, {"c": cid, "b": bad, "l": "en"}, token=firm.token)
    result = r["data"]["importUnits"]
    assert (result["ok"], result["encoding"], result["errors"][0]["column"]) == (False, "gbk", "area_m2") and "area" in result["errors"][0]["message"]
    for variables in ({"csv": sample, "b": base64.b64encode(b"x").decode()}, {}, {"b": "%%%"}, {"csv": sample, "l": "fr"}):
        r = await gql(IMPORT, {"c": cid, "l": "zh-CN", **variables}, token=firm.token)
        assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (variables, r)
    r = await gql(IMPORT, {"c": cid, "b": base64.b64encode(sample.encode("utf-8-sig")).decode(), "l": "zh-CN"}, token=firm.token)
    assert r["data"]["importUnits"] == {"ok": True, "units": 6, "encoding": "utf-8-sig", "errors": []}, r


UNITS = """query($b: ID!, $after: String) { node(id: $b) { ... on Building { units(first: 3, after: $after) {
  edges { node { number } } pageInfo { hasNextPage endCursor } } } } }"""


async def test_units_sort_naturally_across_pages(runtime, gql, firm) -> None:  # type: ignore[no-untyped-def]
    numbers = ["1001", "101", "2-101", "102", "10-101", "9", "B12", "B3", "1002"]
    async with runtime.db.tenant(firm.tenant_id) as s:
        compound = await s.scalar(select(m.Compound))
        b = await service.create_building(s, compound_id=compound.id, name="1幢")
        for n in numbers:
            await service.create_unit(s, building_id=b.id, number=n, registered_area=100)
    seen: list[str] = []
    after = None
    while True:
        r = await gql(UNITS, {"b": str(relay.GlobalID("Building", str(b.id))), "after": after}, token=firm.token)
        assert not r.get("errors"), r
        page = r["data"]["node"]["units"]
        seen += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["2-101", "9", "10-101", "101", "102", "1001", "1002", "B3", "B12"]
    # bulk inserts (the importer's Core executemany) get the key too
    report = await import_for_tenant(runtime, firm.slug, "building,unit,area_m2,sold\n2幢,1001,90,false\n2幢,99,90,false\n", community_code="C1")
    assert report.ok, report.errors
    async with runtime.db.tenant(firm.tenant_id) as s:
        keys = dict((await s.execute(select(m.Unit.number, m.Unit.number_key).where(m.Unit.number.in_(["1001", "99"])))).all())
    assert keys["99"] < keys["1001"] and keys["99"] == m.natural_key("99")


def test_migration_backfills_the_sort_key(tmp_path: Path) -> None:
    """e0002 on a database holding units from before it: every unit gets its natural key."""
    db = tmp_path / "old.db"
    host = PluginHost()
    host.load(entry_points=False)
    cfg = alembic_config(f"sqlite+aiosqlite:///{db}", host)
    command.upgrade(cfg, "e0001")
    engine = sa.create_engine(f"sqlite:///{db}")
    t = {name: sa.table(name, *(sa.column(c) for c in cols)) for name, cols in {
        "tenants": ("id", "slug", "name", "status", "plan", "policy_version", "created_at"),
        "communities": ("id", "tenant_id", "code", "name", "city", "district", "street_code", "created_at"),
        "compounds": ("id", "tenant_id", "community_id", "name", "address", "created_at"),
        "buildings": ("id", "tenant_id", "compound_id", "community_id", "name", "floors", "created_at"),
        "units": ("id", "tenant_id", "building_id", "community_id", "number", "floor", "registered_area", "area_source", "use", "sold", "created_at"),
    }.items()}
    ids = {k: uuid.uuid4().hex for k in ("tenant", "community", "compound", "building")}
    now = "2026-12-01 00:00:00.000000"
    numbers = [f"{n}" for n in (1001, 101, 102, 9)] + [f"U{n}" for n in range(2500)]  # more than one backfill page
    with engine.begin() as conn:
        conn.execute(t["tenants"].insert().values(id=ids["tenant"], slug="old", name="old", status="active", plan="standard", policy_version=0, created_at=now))
        conn.execute(t["communities"].insert().values(id=ids["community"], tenant_id=ids["tenant"], code="C", name="C", city="", district="", street_code="", created_at=now))
        conn.execute(t["compounds"].insert().values(id=ids["compound"], tenant_id=ids["tenant"], community_id=ids["community"], name="一期", address="", created_at=now))
        conn.execute(t["buildings"].insert().values(id=ids["building"], tenant_id=ids["tenant"], compound_id=ids["compound"], community_id=ids["community"], name="1幢", floors=1, created_at=now))
        conn.execute(t["units"].insert(), [
            {"id": uuid.uuid4().hex, "tenant_id": ids["tenant"], "building_id": ids["building"], "community_id": ids["community"], "number": n,
             "floor": 1, "registered_area": 100, "area_source": "registered", "use": "residential", "sold": True, "created_at": now}
            for n in numbers
        ])
    command.upgrade(cfg, "heads")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT number, number_key FROM units")).all())
        ordered = [n for (n,) in conn.execute(sa.text("SELECT number FROM units WHERE number NOT LIKE 'U%' ORDER BY number_key")).all()]
    engine.dispose()
    assert len(rows) == len(numbers) and all(rows[n] == m.natural_key(n) for n in numbers)
    assert ordered == ["9", "101", "102", "1001"]
