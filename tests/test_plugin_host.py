"""The plugin host: loading and refusing plugins, schema composition, per-tenant enablement
(prepare/apply, exact revocation), isolated event handlers with outbox retries, ``/-/plugins``,
the third-party plugin from the ``linli.plugins`` entry point, and one ``test_hook_<name>`` per
hook spec (see tests/test_hooks_meta.py)."""

from __future__ import annotations

import asyncio
import types
import uuid
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, NewType

import pytest
import strawberry
import typer
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from graphql import GraphQLScalarType
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from gateway.schema import SchemaCollisionError, compose
from kernel.audit import AuditEntry
from kernel.config import Settings
from kernel.db.base import Base, TenantRecord
from kernel.db.migrate import alembic_config
from kernel.errors import NotFound
from kernel.graphql.permissions import Allowed
from kernel.identity.authz import Policies, TenantEnforcer
from kernel.identity.models import PolicyRule
from kernel.outbox import OutboxMessage
from kernel.plugins import enablement
from kernel.plugins.host import PluginHost, PluginLoadError
from kernel.runtime import Runtime
from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
    audit,
    hookimpl,
    utcnow,
)
from kernel.testing import GraphQLClient, unique_slug
from tenants.lifecycle import get_by_slug, provision

PASSWORD = "correct horse battery"
HERE = Path(__file__).resolve().parent
TEST_PLUGIN = "linli_test_plugin"
GREETING = 'query { testPluginGreeting(name: "小明") }'


@pytest.fixture(scope="session")
def test_plugin_installed() -> None:
    """The entry-point plugin is exposed to the test session (tests/fixtures/third_party_plugin.py)."""
    try:
        distribution("linli-test-plugin")
    except PackageNotFoundError:
        pytest.fail("the linli-test-plugin distribution is not visible: tests/conftest.py exposes it at pytest_configure")


def make_plugin(name: str, *, sdk_api: str = SDK_API_VERSION, **hooks: Any) -> types.ModuleType:
    """A plugin module built in the test: a manifest plus ``@hookimpl`` functions."""
    module = types.ModuleType(f"test_plugin_{name}")
    module.MANIFEST = PluginManifest(name=name, version="1.0.0", sdk_api=sdk_api)  # type: ignore[attr-defined]
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))
    return module


def query_plugin(name: str, field: str, value: str = "hi") -> types.ModuleType:
    """A plugin contributing one root query field ``field`` answering ``value``."""
    def answer() -> str:
        return value

    root = strawberry.type(type(f"{name.title()}Query", (), {field: strawberry.field(resolver=answer, name=field)}))
    return make_plugin(name, register_graphql=lambda: GraphQLContribution(query=(root,)))


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


async def tenant_in(rt: Runtime, gql: GraphQLClient) -> tuple[uuid.UUID, str, str]:
    """Provision a tenant in ``rt``; returns (tenant id, slug, admin token)."""
    slug = unique_slug("host")
    p = await provision(rt, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password=PASSWORD)
    return p.tenant_id, slug, await gql.login(f"{slug}-admin", PASSWORD, slug)


async def enable(gql: GraphQLClient, token: str, name: str) -> None:
    ok(await gql("mutation($n: String!) { enablePlugin(name: $n) { enabled } }", {"n": name}, token=token))


async def publish_notice(gql: GraphQLClient, token: str) -> str:
    c = ok(await gql('mutation { createCommunity(code: "C1", name: "幸福里") { id } }', token=token))["createCommunity"]["id"]
    r = await gql(
        'mutation($c: ID!) { createNotice(input: {targetId: $c, title: "停电通知", body: "今晚检修"}, publish: true) { id } }', {"c": c}, token=token
    )
    return str(ok(r)["createNotice"]["id"])


def host_with(*modules: Any) -> PluginHost:
    host = PluginHost()
    host.load(defaults=(), extra=modules, entry_points=False)
    return host


# -- loading and refusing ------------------------------------------------------------------------


def test_a_plugin_implementing_an_unknown_hook_fails_at_start_up_naming_it():
    widgets = make_plugin("widgets", register_widgets=lambda: [])
    with pytest.raises(PluginLoadError, match=r"plugin 'widgets' implements a hook Linli does not know.*register_widgets"):
        host_with(widgets)


@pytest.mark.parametrize("target", ["2.0", "0.9", "1.99", "one"])
def test_an_incompatible_sdk_api_is_refused_with_a_message(target):
    old = make_plugin("oldie", sdk_api=target)
    with pytest.raises(PluginLoadError, match=rf"plugin 'oldie' targets SDK API {target}, but this Linli provides {SDK_API_VERSION}.*LINLI_DISABLE_PLUGINS=oldie"):
        host_with(old)


def test_a_graphql_root_field_collision_stops_composition_naming_both():
    host = host_with(query_plugin("parcels", "lockerStatus"), query_plugin("lockers", "lockerStatus"))
    with pytest.raises(SchemaCollisionError, match=r"'lockerStatus' is defined by both 'parcels' and 'lockers'"):
        compose(host)
    with pytest.raises(SchemaCollisionError, match=r"'me' is defined by both 'kernel' and 'imposter'"):
        compose(host_with(query_plugin("imposter", "me")))


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", secret_key="s" * 40, master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", data_dir=tmp_path)


def test_linli_disable_plugins_keeps_named_plugins_out_of_the_process(monkeypatch, tmp_path, test_plugin_installed):
    rt = Runtime.build(_settings(tmp_path))
    assert {"notices", TEST_PLUGIN} <= set(rt.host.plugins)
    monkeypatch.setenv("LINLI_DISABLE_PLUGINS", f'["notices", "{TEST_PLUGIN}"]')
    rt = Runtime.build(_settings(tmp_path))
    assert "notices" not in rt.host.plugins and TEST_PLUGIN not in rt.host.plugins
    assert "estate" in rt.host.plugins
    sdl = str(compose(rt.host))
    assert "myNotices" not in sdl and "testPluginGreeting" not in sdl and "communities" in sdl


def test_linli_disable_plugins_accepts_a_comma_separated_list(monkeypatch, tmp_path):
    monkeypatch.setenv("LINLI_DISABLE_PLUGINS", f"notices,{TEST_PLUGIN}")
    rt = Runtime.build(_settings(tmp_path))
    assert "notices" not in rt.host.plugins


def test_a_grant_of_an_undeclared_permission_is_refused_at_start_up():
    greedy = make_plugin(
        "greedy",
        register_permissions=lambda: PermissionSet(permissions=(Permission("parcels", "read"),), grants=(Grant("owner", "fees", "write"),)),
    )
    with pytest.raises(PluginLoadError, match=r"plugin 'greedy' proposes a grant of undeclared permission fees:write"):
        host_with(greedy)


# -- the third-party plugin from the entry point ------------------------------------------------


async def test_third_party_plugin_is_loaded_from_its_entry_point_and_enabled_per_tenant(runtime, gql, new_tenant, test_plugin_installed):
    dist = distribution("linli-test-plugin")
    assert [ep.value for ep in dist.entry_points if ep.group == "linli.plugins"] == ["linli_test_plugin"]
    loaded = runtime.host.plugins[TEST_PLUGIN]
    assert loaded.builtin is False
    assert str(loaded.module.__file__).startswith(str(HERE / "plugins" / "linli_test_plugin"))

    listed = {p["name"]: p for p in (await gql.http.get("/-/plugins")).json()}
    assert listed[TEST_PLUGIN]["builtin"] is False
    assert listed[TEST_PLUGIN]["hooks"] == ["register_graphql", "register_permissions"]

    t = await new_tenant()
    assert code(await gql(GREETING, token=t.token)) == "PLUGIN_DISABLED"
    await enable(gql, t.token, TEST_PLUGIN)
    assert ok(await gql(GREETING, token=t.token))["testPluginGreeting"] == f"你好, 小明 ({t.slug})"
    other = await new_tenant()  # enabling is per tenant
    assert code(await gql(GREETING, token=other.token)) == "PLUGIN_DISABLED"
    ok(await gql(f'mutation {{ disablePlugin(name: "{TEST_PLUGIN}") {{ enabled }} }}', token=t.token))
    assert code(await gql(GREETING, token=t.token)) == "PLUGIN_DISABLED"


async def test_plugins_endpoint_lists_plugins_with_their_hooks(runtime, gql):
    response = await gql.http.get("/-/plugins")
    assert response.status_code == 200
    listed = {p["name"]: p for p in response.json()}
    assert listed["estate"]["builtin"] is True
    notices = listed["notices"]
    assert notices["builtin"] is True and notices["sdk_api"] == SDK_API_VERSION and notices["handler_failures"] == 0
    assert {"register_models", "register_migrations", "register_graphql", "register_permissions"} <= set(notices["hooks"])
    assert (await gql.http.get("/-/plugins.json")).json() == response.json()


# -- enablement: prepare / apply / revoke exactly -----------------------------------------------


async def _rules(runtime: Runtime, tenant_id: uuid.UUID, source: str) -> set[tuple[str, str, str]]:
    async with runtime.db.tenant(tenant_id) as s:
        rows = await s.scalars(select(PolicyRule).where(PolicyRule.ptype == "p", PolicyRule.source == source))
        return {(r.v0, r.v1, r.v2) for r in rows}


async def test_enabling_grants_exactly_the_declared_grants_and_disabling_revokes_exactly_those(runtime, gql, new_tenant, test_plugin_installed):
    t = await new_tenant()
    declared = {(f"role:{g.role}", g.obj, g.act) for g in enablement.prepare(runtime.host, "notices")}
    assert declared and await _rules(runtime, t.tenant_id, "plugin:notices") == declared  # default-enabled at provisioning
    assert await _rules(runtime, t.tenant_id, f"plugin:{TEST_PLUGIN}") == set()
    await enable(gql, t.token, TEST_PLUGIN)
    assert await _rules(runtime, t.tenant_id, f"plugin:{TEST_PLUGIN}") == {("role:tenant_admin", "test_greeting", "read")}

    # the admin grants by hand a permission the plugin also grants: it must survive disabling
    async with runtime.db.tenant(t.tenant_id) as s:
        await Policies(s, t.tenant_id).grant([Grant("property_staff", "notices", "publish")], source="tenant")
    before = await _rules(runtime, t.tenant_id, "tenant")
    ok(await gql('mutation { disablePlugin(name: "notices") { enabled } }', token=t.token))
    assert await _rules(runtime, t.tenant_id, "plugin:notices") == set()
    assert await _rules(runtime, t.tenant_id, "tenant") == before == {("role:property_staff", "notices", "publish")}
    assert await _rules(runtime, t.tenant_id, f"plugin:{TEST_PLUGIN}") == {("role:tenant_admin", "test_greeting", "read")}
    async with runtime.db.tenant(t.tenant_id) as s:
        enforcer = TenantEnforcer(t.tenant_id, 0, list(await s.scalars(select(PolicyRule))))
    assert enforcer.role_allows("property_staff", "notices", "publish")
    assert not enforcer.role_allows("tenant_admin", "notices", "publish")

    # enabling again applies the same grants, once; enabling twice is a conflict
    ok(await gql('mutation { enablePlugin(name: "notices") { enabled } }', token=t.token))
    assert await _rules(runtime, t.tenant_id, "plugin:notices") == declared
    assert code(await gql('mutation { enablePlugin(name: "notices") { enabled } }', token=t.token)) == "CONFLICT"
    assert code(await gql('mutation { enablePlugin(name: "nonesuch") { enabled } }', token=t.token)) == "NOT_FOUND"


# -- events: isolation, counting, retries -------------------------------------------------------


async def test_a_raising_event_handler_is_isolated_counted_shown_and_retried(make_runtime, gql_factory):
    heard: dict[str, list[str]] = {"flaky": [], "steady": []}
    state = {"fail": True}

    async def flaky_handler(ctx, event):  # type: ignore[no-untyped-def]
        if state["fail"]:
            raise RuntimeError("flaky is down")
        heard["flaky"].append(event.payload["notice_id"])

    async def steady_handler(ctx, event):  # type: ignore[no-untyped-def]
        assert ctx.tenant_id == event.tenant_id and ctx.plugin == "steady"
        heard["steady"].append(event.payload["notice_id"])

    flaky = make_plugin("flaky", register_event_handlers=lambda: {"notice.published": flaky_handler})
    steady = make_plugin("steady", register_event_handlers=lambda: {"notice.published": steady_handler})
    rt = make_runtime(extra_plugins=[flaky, steady])
    gql = gql_factory(rt)
    tid, _, token = await tenant_in(rt, gql)
    await enable(gql, token, "flaky")
    await enable(gql, token, "steady")
    notice_gid = await publish_notice(gql, token)
    from strawberry import relay

    notice_id = relay.GlobalID.from_id(notice_gid).node_id

    await rt.outbox.drain(tid)
    assert heard == {"flaky": [], "steady": [notice_id]}
    assert rt.host.failures["flaky"] == 1 and rt.host.failures["steady"] == 0
    listed = {p["name"]: p for p in (await gql.http.get("/-/plugins")).json()}
    assert listed["flaky"]["handler_failures"] == 1 and listed["steady"]["handler_failures"] == 0
    assert 'linli_plugin_handler_failures_total{plugin="flaky"}' in (await gql.http.get("/metrics")).text
    async with rt.db.tenant(tid) as s:
        msg = await s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "event:flaky"))
        assert (msg.status, msg.attempts) == ("pending", 1) and "flaky is down" in msg.last_error
        assert msg.next_attempt_at > utcnow()  # backed off
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == msg.id).values(next_attempt_at=utcnow() - timedelta(seconds=1)))

    state["fail"] = False
    await rt.outbox.drain(tid)
    assert heard == {"flaky": [notice_id], "steady": [notice_id]}  # retried once; steady not delivered twice
    async with rt.db.tenant(tid) as s:
        statuses = dict((await s.execute(select(OutboxMessage.topic, OutboxMessage.status))).all())
    # (the notices plugin's own handler tells the notice's audience: its delivery is its own)
    assert {t: v for t, v in statuses.items() if t in ("event:flaky", "event:steady")} == {"event:flaky": "delivered", "event:steady": "delivered"}

    # a tenant that has not enabled the plugins gets no deliveries for them
    other, _, other_token = await tenant_in(rt, gql)
    await publish_notice(gql, other_token)
    async with rt.db.tenant(other) as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic.in_(["event:flaky", "event:steady"]))) == 0


# -- one test per hook (kept in step with kernel/hookspecs.py by tests/test_hooks_meta.py) ------


async def test_hook_register_models(runtime):
    from plugins.notices.models import Notice, NoticeReceipt

    contributed = dict(runtime.host.collect("register_models"))
    assert contributed["notices"] == [Notice, NoticeReceipt]
    for models in contributed.values():
        for model in models:
            assert issubclass(model, Base) and model.__table__.name in Base.metadata.tables
    assert issubclass(Notice, TenantRecord) and {c.name for c in Notice.__table__.primary_key} == {"tenant_id", "id"}
    async with runtime.db.tenant(uuid.uuid4()) as s:  # the table exists (and is empty for an unknown tenant)
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0


async def test_hook_register_migrations(runtime, linli_database):
    located = dict(runtime.host.collect("register_migrations"))
    assert located["notices"] == str(HERE.parent / "plugins" / "notices" / "migrations" / "versions")
    cfg = alembic_config(linli_database.admin_url, runtime.host)
    assert located["notices"] in cfg.get_main_option("version_locations")
    script = ScriptDirectory.from_config(cfg)
    head = script.get_revision("notices@head")
    assert head.revision == "n0001" and "notices" in head.branch_labels and head.dependencies == "e0001"
    engine = create_async_engine(linli_database.admin_url)
    try:
        async with engine.connect() as conn:
            heads = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    finally:
        await engine.dispose()
    assert "n0001" in heads


def test_hook_register_graphql():
    @strawberry.type
    class Parcel:
        code: str

    @strawberry.type
    class ParcelQuery:
        @strawberry.field(permission_classes=[Allowed("parcels", "read")])
        def parcel_count(self) -> int:
            return 0

    parcels = make_plugin("parcels", register_graphql=lambda: GraphQLContribution(query=(ParcelQuery,), types=(Parcel,)))
    sdl = str(compose(host_with(parcels)))
    assert "parcelCount: Int!" in sdl and "type Parcel {" in sdl and "me: Me!" in sdl
    broken = make_plugin("broken", register_graphql=lambda: [ParcelQuery])
    with pytest.raises(SchemaCollisionError, match="plugin 'broken': register_graphql must return a GraphQLContribution"):
        compose(host_with(broken))


#: A plugin's own scalar, as plugins.funds.graphql.Fen: a NewType mapped to its definition.
Grams = NewType("Grams", int)


@strawberry.type
class Parcel64:
    weight: Grams


def _grams_plugin(name: str, field: str) -> types.ModuleType:
    def heaviest() -> Parcel64:
        return Parcel64(weight=Grams(2**40))

    root = strawberry.type(type(f"{name.title()}Query", (), {field: strawberry.field(resolver=heaviest, name=field)}))
    scalar = strawberry.scalar(name="Grams", description="Weight in grams, 64-bit", serialize=int, parse_value=int)
    return make_plugin(name, register_graphql=lambda: GraphQLContribution(query=(root,), scalar_map={Grams: scalar}))


def test_hook_register_graphql_contributes_a_plugins_own_scalar():
    schema = compose(host_with(_grams_plugin("parcels", "heaviestParcel")))
    sdl = str(schema)
    assert '"""Weight in grams, 64-bit"""\nscalar Grams' in sdl and "weight: Grams!" in sdl
    grams = schema._schema.get_type("Grams")
    assert isinstance(grams, GraphQLScalarType)
    assert grams.serialize(2**40) == 2**40 and grams.parse_value(2**40) == 2**40
    with pytest.raises(SchemaCollisionError, match=r"scalar 'Grams' is defined by both 'parcels' and 'lockers'"):
        compose(host_with(_grams_plugin("parcels", "heaviestParcel"), _grams_plugin("lockers", "heaviestLocker")))


def test_hook_register_permissions():
    host = host_with(
        make_plugin(
            "parcels",
            register_permissions=lambda: PermissionSet(
                permissions=(Permission("parcels", "read", "See parcels"), Permission("parcels", "collect")),
                grants=(Grant("owner", "parcels", "read"), Grant("property_staff", "parcels", "collect")),
            ),
        )
    )
    assert enablement.prepare(host, "parcels") == (Grant("owner", "parcels", "read"), Grant("property_staff", "parcels", "collect"))
    assert [p.key for p in enablement.permission_set(host, "parcels").permissions] == ["parcels:read", "parcels:collect"]


async def test_hook_register_event_handlers(make_runtime, gql_factory):
    seen: list[tuple[str, uuid.UUID, bool]] = []

    async def on_published(ctx, event):  # type: ignore[no-untyped-def]
        # the handler gets a session in the event's tenant and may write in it
        await audit(ctx.session, tenant_id=ctx.tenant_id, actor="plugin:echo", action="echo.heard", target=event.payload["notice_id"])
        seen.append((event.type, event.tenant_id, ctx.session.info["tenant_id"] == event.tenant_id))

    rt = make_runtime(extra_plugins=[make_plugin("echo", register_event_handlers=lambda: {"notice.published": on_published})])
    gql = gql_factory(rt)
    tid, _, token = await tenant_in(rt, gql)
    await publish_notice(gql, token)  # not enabled: not delivered
    await enable(gql, token, "echo")
    c = ok(await gql('mutation { createCommunity(code: "C2", name: "和平里") { id } }', token=token))["createCommunity"]["id"]
    ok(await gql('mutation($c: ID!) { createNotice(input: {targetId: $c, title: "t", body: "b"}, publish: true) { id } }', {"c": c}, token=token))
    await rt.outbox.drain(tid)  # echo's delivery (and the notices plugin's own, telling the audience)
    assert await rt.outbox.drain(tid) == 0  # delivered once
    assert seen == [("notice.published", tid, True)]
    async with rt.db.tenant(tid) as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "echo.heard")) == 1


async def test_hook_register_routes(make_runtime, gql_factory):
    router = APIRouter(prefix="/plugins/pinger")

    @router.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    rt = make_runtime(extra_plugins=[make_plugin("pinger", register_routes=lambda: [router])])
    response = await gql_factory(rt).http.get("/plugins/pinger/ping")
    assert response.status_code == 200 and response.json() == {"pong": True}


def test_hook_register_commands():
    def register_commands(cli: typer.Typer) -> None:
        parcels = typer.Typer(help="Parcel lockers")

        @parcels.command()
        def count(locker: str) -> None:
            typer.echo(f"locker {locker}: 0 parcels")

        cli.add_typer(parcels, name="parcels")

    cli = typer.Typer()

    @cli.command()
    def version() -> None:
        typer.echo("0.1")

    host = host_with(make_plugin("parcels", register_commands=register_commands))
    assert host.collect("register_commands", cli=cli) == []  # returns nothing; it adds to the CLI
    result = CliRunner().invoke(cli, ["parcels", "count", "A-01"])
    assert result.exit_code == 0, result.output
    assert "locker A-01: 0 parcels" in result.output


async def test_hook_register_scheduled_jobs(make_runtime):
    runs = {"tick": 0, "broken": 0}
    ticked = asyncio.Event()

    async def tick(runtime: Runtime) -> None:
        assert isinstance(runtime, Runtime)
        runs["tick"] += 1
        if runs["tick"] >= 2 and runs["broken"] >= 2:
            ticked.set()

    async def broken(runtime: Runtime) -> None:
        runs["broken"] += 1
        raise RuntimeError("a failing job must not stop the scheduler")

    jobs = [ScheduledJob("tick", 0.01, tick), ScheduledJob("broken", 0.01, broken)]
    rt = make_runtime(extra_plugins=[make_plugin("clock", register_scheduled_jobs=lambda: jobs)])
    assert [j.name for j in rt.scheduled_jobs()][-2:] == ["tick", "broken"]
    rt.start_workers()
    try:
        await asyncio.wait_for(ticked.wait(), timeout=10)
    finally:
        await rt.stop_workers()
    assert runs["tick"] >= 2 and runs["broken"] >= 2


async def _lifecycle(make_runtime, gql_factory, hook: str) -> list[str]:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    async def good(runtime):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        calls.append(f"good:{hook}:{isinstance(runtime, Runtime)}")

    def bad(runtime):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"{hook} failed")

    rt = make_runtime(extra_plugins=[make_plugin("bad", **{hook: bad}), make_plugin("good", **{hook: good})])
    app = gql_factory(rt).app
    async with app.router.lifespan_context(app):
        calls.append("serving")
    assert rt.host.failures["bad"] == 1  # logged and counted; the others went on
    return calls


async def test_hook_on_startup(make_runtime, gql_factory):
    assert await _lifecycle(make_runtime, gql_factory, "on_startup") == ["good:on_startup:True", "serving"]


async def test_hook_on_shutdown(make_runtime, gql_factory):
    assert await _lifecycle(make_runtime, gql_factory, "on_shutdown") == ["serving", "good:on_shutdown:True"]


async def test_hook_on_tenant_provisioned(make_runtime):
    heard: list[uuid.UUID] = []
    state = {"refuse": False}

    async def on_tenant_provisioned(tenant_id, session):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)  # an awaitable result: the host awaits it
        if state["refuse"]:
            raise RuntimeError("welcome pack unavailable")
        await audit(session, tenant_id=tenant_id, actor="plugin:welcome", action="welcome.sent")
        heard.append(tenant_id)

    rt = make_runtime(extra_plugins=[make_plugin("welcome", on_tenant_provisioned=on_tenant_provisioned)])
    slug = unique_slug("welcome")
    p = await provision(rt, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password=PASSWORD)
    assert heard == [p.tenant_id]
    async with rt.db.tenant(p.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "welcome.sent")) == 1

    state["refuse"] = True  # raising aborts the provisioning as a whole
    refused = unique_slug("welcome")
    with pytest.raises(RuntimeError, match="welcome pack unavailable"):
        await provision(rt, slug=refused, name=refused, admin_username=f"{refused}-admin", admin_password=PASSWORD)
    with pytest.raises(NotFound, match="no tenant"):
        await get_by_slug(rt, refused)


def _listener(events: list[tuple[str, str, uuid.UUID, bool]], *, refuse: str | None = None) -> types.ModuleType:
    async def on_plugin_enabled(plugin, tenant_id, session):  # type: ignore[no-untyped-def]
        if plugin == refuse:
            raise RuntimeError(f"{plugin} may not be enabled here")
        events.append(("enabled", plugin, tenant_id, session.info["tenant_id"] == tenant_id))

    async def on_plugin_disabled(plugin, tenant_id, session):  # type: ignore[no-untyped-def]
        events.append(("disabled", plugin, tenant_id, session.info["tenant_id"] == tenant_id))

    return make_plugin("listener", on_plugin_enabled=on_plugin_enabled, on_plugin_disabled=on_plugin_disabled)


async def test_hook_on_plugin_enabled(make_runtime, gql_factory, test_plugin_installed):
    events: list[tuple[str, str, uuid.UUID, bool]] = []
    rt = make_runtime(extra_plugins=[_listener(events, refuse="listener")])
    gql = gql_factory(rt)
    tid, _, token = await tenant_in(rt, gql)
    assert ("enabled", "notices", tid, True) in events  # default plugins are enabled at provisioning
    await enable(gql, token, TEST_PLUGIN)
    assert events[-1] == ("enabled", TEST_PLUGIN, tid, True)
    # raising inside the enabling transaction rolls the enablement back, grants included
    r = await gql('mutation { enablePlugin(name: "listener") { enabled } }', token=token)
    assert r.get("errors")
    plugins = {p["name"]: p["enabled"] for p in ok(await gql("{ plugins { name enabled } }", token=token))["plugins"]}
    assert plugins["listener"] is False and plugins[TEST_PLUGIN] is True
    assert await _rules(rt, tid, "plugin:listener") == set()


async def test_hook_on_plugin_disabled(make_runtime, gql_factory, test_plugin_installed):
    events: list[tuple[str, str, uuid.UUID, bool]] = []
    rt = make_runtime(extra_plugins=[_listener(events)])
    gql = gql_factory(rt)
    tid, _, token = await tenant_in(rt, gql)
    await enable(gql, token, TEST_PLUGIN)
    ok(await gql(f'mutation {{ disablePlugin(name: "{TEST_PLUGIN}") {{ enabled }} }}', token=token))
    assert events[-1] == ("disabled", TEST_PLUGIN, tid, True)
    assert await _rules(rt, tid, f"plugin:{TEST_PLUGIN}") == set()  # revoked before the hook ran
    assert code(await gql(f'mutation {{ disablePlugin(name: "{TEST_PLUGIN}") {{ enabled }} }}', token=token)) == "CONFLICT"


async def test_hook_on_demo_seeded(make_runtime, gql_factory):
    """``linli demo`` hands the seeded demo tenant to every plugin (gateway/cli.py calls
    ``host.demo_seeded``); the hook runs outside a transaction and opens its own session."""
    seen: list[tuple[uuid.UUID, int]] = []

    async def on_demo_seeded(runtime, tenant_id):  # type: ignore[no-untyped-def]
        async with runtime.db.tenant(tenant_id) as s:
            seen.append((tenant_id, await s.scalar(select(func.count()).select_from(PolicyRule))))

    rt = make_runtime(extra_plugins=[make_plugin("demo_data", on_demo_seeded=on_demo_seeded)])
    tid, _, _ = await tenant_in(rt, gql_factory(rt))
    assert rt.settings.chain_url is None  # governance's implementation seeds a proposal only with a chain
    await rt.host.demo_seeded(rt, tid)
    assert len(seen) == 1 and seen[0][0] == tid and seen[0][1] > 0  # the demo tenant's own rows are visible
    assert "on_demo_seeded" in {h for p in rt.host.describe() if p["name"] == "governance" for h in p["hooks"]}

    async def broken(runtime, tenant_id):  # type: ignore[no-untyped-def]
        raise RuntimeError("demo data failed")

    rt2 = make_runtime(extra_plugins=[make_plugin("broken_demo", on_demo_seeded=broken)])
    with pytest.raises(RuntimeError, match="demo data failed"):
        await rt2.host.demo_seeded(rt2, tid)


def test_core_is_reserved_to_the_kernels_own_components():
    """A plugin declaring core=True is refused at load: core skips the PLUGIN_DISABLED guard."""
    module = make_plugin("sneaky")
    module.MANIFEST = PluginManifest(name="sneaky", version="1.0.0", sdk_api=SDK_API_VERSION, core=True)  # type: ignore[attr-defined]
    with pytest.raises(PluginLoadError, match=r"'sneaky'.*core=True.*reserved"):
        PluginHost().load(defaults=(), entry_points=False, extra=[module])
    # the same manifest in a module of the plugins room, even registered as built-in, is refused too
    module.__name__ = "plugins.sneaky"
    with pytest.raises(PluginLoadError, match="reserved"):
        PluginHost().register(module, builtin=True)
    host = PluginHost()
    host.load()
    # the estate (tenants room) and the notification service (kernel), nothing of the plugins room
    assert [p.name for p in host.plugins.values() if p.manifest.core] == ["estate", "notifications"]


def test_builtins_come_from_linlis_own_entry_points_in_order():
    """Built-ins are registered through the linli distribution's ``linli.plugins`` entry points,
    exactly like a third party's; BUILTIN_ORDER only orders them (the estate first)."""
    from importlib.metadata import distribution as dist

    from kernel.plugins.host import BUILTIN_ORDER

    declared = {ep.name: ep.value for ep in dist("linli").entry_points if ep.group == "linli.plugins"}
    assert declared["estate"] == "tenants.plugin" and declared["notices"] == "plugins.notices"
    assert declared["notifications"] == "kernel.notifications.plugin"
    host = PluginHost()
    host.load(extra=[make_plugin("zz_last")])
    names = list(host.plugins)
    assert names[: len(BUILTIN_ORDER)] == list(BUILTIN_ORDER)
    assert set(names[: len(BUILTIN_ORDER)]) == set(declared)
    assert names[-1] == "zz_last"
    assert all(host.plugins[n].builtin for n in declared) and not host.plugins["zz_last"].builtin
    # the registration order is kept although pluggy calls LIFO: migrations list the estate first
    assert list(host.migration_dirs())[0] == "estate"


def test_hook_calls_go_through_pluggy_and_are_traced_on_request(monkeypatch):
    """Calls go through ``pm.hook``: pluggy's hook-call monitoring sees them; with
    LINLI_TRACE_HOOKS=1 every call is logged."""
    import structlog

    seen: list[str] = []
    host = PluginHost()
    host.load(defaults=(), entry_points=False, extra=[make_plugin("one", register_scheduled_jobs=lambda: [])])
    host.pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *a: None)
    assert host.scheduled_jobs() == []
    assert seen == ["register_scheduled_jobs"]

    monkeypatch.setenv("LINLI_TRACE_HOOKS", "1")
    with structlog.testing.capture_logs() as logs:
        traced = PluginHost()
        traced.load(defaults=(), entry_points=False, extra=[make_plugin("two", register_scheduled_jobs=lambda: [])])
        traced.scheduled_jobs()
    calls = [e for e in logs if e["event"] == "plugin_hook_call" and e["hook"] == "register_scheduled_jobs"]
    assert calls and calls[-1]["plugins"] == ["two"]
    assert any(e["event"] == "plugin_hook_result" and e["error"] is None for e in logs)


def test_register_models_results_are_checked():
    """``register_models`` is used: the host hands the models on (tenant export maps them) and
    refuses anything that is not a model on the SDK's Base."""
    host = PluginHost()
    host.load(defaults=(), entry_points=False, extra=[make_plugin("bad_models", register_models=lambda: [object])])
    with pytest.raises(PluginLoadError, match="bad_models.*not a model"):
        host.models()
