"""Pages plugins contribute to the web clients (``register_web_pages``): ``webPages(client)`` lists
the kernel's and the enabled plugins' pages the caller's permissions allow; the gateway serves a
page's module folder under ``/web-plugins/<plugin>/`` (only there, only web files); malformed pages
stop start-up naming the plugin. Also ``/``, the favicon, ``/console/`` and GraphiQL's page when
the clients are built or not (the browser tests are in tests/web/)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gateway import web
from gateway.app import graphiql_enabled
from kernel import sdk
from kernel.config import Settings
from kernel.plugins.host import PluginHost, PluginLoadError

PAGES = '{ webPages(client: "console") { plugin key client titles { locale text } permission moduleUrl order } }'
HERE = Path(__file__).resolve().parent
FOLDER = HERE / "fixtures" / "web_page"
MODULE = FOLDER / "page.js"


def _plugin(pages: list[sdk.WebPage], name: str = "web_test_plugin") -> ModuleType:
    mod = ModuleType(name)
    mod.MANIFEST = sdk.PluginManifest(name=name, version="0", sdk_api=sdk.SDK_API_VERSION)  # type: ignore[attr-defined]

    @sdk.hookimpl
    def register_web_pages() -> list[sdk.WebPage]:
        return pages

    mod.register_web_pages = register_web_pages  # type: ignore[attr-defined]
    return mod


PAGE = sdk.WebPage(
    key="lockers",
    title={"zh-CN": "测试页", "en": "Test page"},
    permission="plugins:manage",
    module=str(MODULE),
    order=5,
)


@pytest.fixture
def runtime(make_runtime):  # type: ignore[no-untyped-def]
    return make_runtime(
        extra_plugins=[
            _plugin(
                [
                    PAGE,
                    sdk.WebPage(
                        key="board", title={"zh-CN": "大屏", "en": "Board"}, client="dashboard"
                    ),
                ]
            )
        ]
    )


def keys(answer: dict[str, Any]) -> list[tuple[str, str]]:
    assert not answer.get("errors"), answer
    return [(p["plugin"], p["key"]) for p in answer["data"]["webPages"]]


async def test_hook_register_web_pages(runtime, gql, tenant, actor, enable_plugin) -> None:  # type: ignore[no-untyped-def]
    # built-in: the estate's and the workorders plugin's screens, the kernel's people page
    listed = keys(await gql(PAGES, token=tenant.token))
    assert ("estate", "estate") in listed and ("kernel", "people") in listed
    assert ("web_test_plugin", "lockers") not in listed  # not enabled for the firm
    assert ("parcel_lockers", "parcels") not in listed

    await enable_plugin(tenant, "web_test_plugin")
    answer = await gql(PAGES, token=tenant.token)
    page = next(p for p in answer["data"]["webPages"] if p["key"] == "lockers")
    assert page == {
        "plugin": "web_test_plugin",
        "key": "lockers",
        "client": "console",
        "permission": "plugins:manage",
        "order": 5,
        "titles": [{"locale": "zh-CN", "text": "测试页"}, {"locale": "en", "text": "Test page"}],
        "moduleUrl": "/web-plugins/web_test_plugin/page.js",
    }
    assert keys(answer)[0] == ("web_test_plugin", "lockers")  # menu order
    # the dashboard's page is listed for the dashboard only
    dashboard = keys(
        await gql('{ webPages(client: "dashboard") { plugin key } }', token=tenant.token)
    )
    assert [d for d in dashboard if d[0] == "web_test_plugin"] == [("web_test_plugin", "board")]
    assert all(key not in ("lockers", "estate", "people") for _, key in dashboard)

    # a technician: no plugins:manage, no members:read → neither page; the estate's yes
    tech = await actor(tenant, "technician")
    listed = keys(await gql(PAGES, token=tech.token))
    assert ("web_test_plugin", "lockers") not in listed and ("kernel", "people") not in listed
    assert ("estate", "estate") in listed

    bad = await gql('{ webPages(client: "kiosk") { key } }', token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    anonymous = await gql(PAGES)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_regulator_gets_its_own_pages_only(runtime, gql, tenant) -> None:  # type: ignore[no-untyped-def]
    """A street office's account (no tenant) gets the KPIs and the filings inbox and none of a
    firm's pages; a firm's admin does not get the regulator's; the data protection page is the
    admin's (privacy:manage)."""
    import uuid

    from kernel.identity.platform import create_platform_account
    from kernel.supervision.jurisdictions import create_jurisdiction

    street, username = f"WP-{uuid.uuid4().hex[:6]}", f"wp-reg-{uuid.uuid4().hex[:6]}"
    async with runtime.db.platform() as s:
        await create_jurisdiction(s, code=street, name="测试街道")
        await create_platform_account(s, username, "Regulator-pass-2026", "街道办", regulator_street_code=street)
    token = await gql.login(username, "Regulator-pass-2026")
    assert keys(await gql(PAGES, token=token)) == [("kernel", "regulator"), ("kernel", "filings"), ("kernel", "alerts")]
    assert keys(await gql('{ webPages(client: "app") { plugin key } }', token=token)) == []
    staff = keys(await gql(PAGES, token=tenant.token))
    assert ("kernel", "privacy") in staff
    assert not {("kernel", "regulator"), ("kernel", "filings"), ("kernel", "alerts")} & set(staff)


async def test_module_folder_is_served_and_nothing_else(runtime, gql) -> None:  # type: ignore[no-untyped-def]
    http = gql.http
    served = await http.get("/web-plugins/web_test_plugin/page.js")
    assert served.status_code == 200 and served.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "export function mount" in served.text
    for path in (
        "/web-plugins/web_test_plugin/../web_page_secret.txt",
        "/web-plugins/web_test_plugin/%2e%2e/%2e%2e/test_web_pages.py",
        "/web-plugins/web_test_plugin/notes.txt",
        "/web-plugins/web_test_plugin/missing.js",
        "/web-plugins/nobody/page.js",
    ):
        refused = await http.get(path, follow_redirects=True)
        assert refused.status_code == 404, path
        assert refused.json()["error"]["code"] == "NOT_FOUND"
    # the example plugin's page, installed from its own package
    parcels = await http.get("/web-plugins/parcel_lockers/parcels.js")
    assert parcels.status_code == 200 and "export function mount" in parcels.text


def test_malformed_pages_stop_start_up_naming_the_plugin() -> None:
    cases = [
        (sdk.WebPage(key="Bad Key", title={"zh-CN": "x", "en": "x"}), "key"),
        (sdk.WebPage(key="x", title={"zh-CN": "x", "en": "x"}, client="kiosk"), "unknown client"),
        (sdk.WebPage(key="x", title={"zh-CN": "x"}), "a title is needed in en"),
        (
            sdk.WebPage(key="x", title={"zh-CN": "x", "en": "x"}, permission="parcels"),
            "object:action",
        ),
        (
            sdk.WebPage(key="x", title={"zh-CN": "x", "en": "x"}, module="relative/page.js"),
            "absolute path",
        ),
        (
            sdk.WebPage(key="x", title={"zh-CN": "x", "en": "x"}, module=str(FOLDER / "notes.txt")),
            ".js/.mjs",
        ),
    ]
    for page, words in cases:
        host = PluginHost()
        host.register(_plugin([page], name="broken_pages"), builtin=False)
        with pytest.raises(PluginLoadError, match=words) as refused:
            host.web_pages()
        assert "broken_pages" in str(refused.value)
    host = PluginHost()
    host.register(_plugin([PAGE, PAGE], name="twice"), builtin=False)
    with pytest.raises(PluginLoadError, match="twice"):
        host.web_pages()


async def test_start_page_favicon_and_console(runtime, gql, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    http = gql.http
    home = await http.get("/")
    assert (
        home.status_code == 200 and 'href="/console/"' in home.text and 'href="/vote/"' in home.text
    )
    icon = await http.get("/favicon.ico")
    assert (
        icon.status_code == 200
        and icon.headers["content-type"] == "image/x-icon"
        and icon.content[:4] == b"\0\0\1\0"
    )
    assert (await http.get("/favicon.svg")).status_code == 200
    assert (await http.get("/console", follow_redirects=False)).headers["location"] == "/console/"

    # not built: a page saying how to build, for the console and for GraphiQL, no CDN
    monkeypatch.setattr(web, "BUILT", tmp_path / "nothing")
    for path, headers in (("/console/", {}), ("/graphql", {"accept": "text/html"})):
        answer = await http.get(path, headers=headers)
        assert answer.status_code == 503, path
        assert "npm run build" in answer.text and "scripts/bootstrap.sh" in answer.text
        assert "cdn" not in answer.text.lower() and "unpkg" not in answer.text
    # built: the built page
    built = tmp_path / "built"
    for client in ("console", "graphiql"):
        (built / client).mkdir(parents=True)
        (built / client / "index.html").write_text(f"<!doctype html><title>{client} page</title>")
    monkeypatch.setattr(web, "BUILT", built)
    assert "console page" in (await http.get("/console/")).text
    assert "graphiql page" in (await http.get("/graphql", headers={"accept": "text/html"})).text


def test_graphiql_setting() -> None:
    assert graphiql_enabled(Settings(environment="development"))
    assert not graphiql_enabled(Settings(environment="development", graphiql=False))
    assert not graphiql_enabled(Settings(environment="production"))
    assert graphiql_enabled(Settings(environment="production", graphiql=True))
