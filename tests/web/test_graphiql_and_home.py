"""GraphiQL from the local build with every non-localhost request blocked (it used to load seven
files from a CDN and stay on "Loading…" offline): the editor appears, the schema loads and a
query runs. ``/`` leads to the clients and the favicon exists."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_graphiql_renders_offline_and_runs_a_query(page: Any, web_server: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(f"{web_server.base_url}/graphql")
    assert response.status == 200
    page.locator(".graphiql-container").wait_for()
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for()
    assert "Loading…" not in page.locator("#graphiql").inner_text()
    # replace the default text and run a query that needs no login
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("query Typename { __typename ")
    page.wait_for_timeout(500)  # GraphiQL re-reads the operations after a short debounce
    page.locator(".graphiql-execute-button").click()
    response_text = page.locator(".graphiql-response")
    for _ in range(100):  # the result arrives over /graphql
        if "Query" in response_text.inner_text():
            break
        page.wait_for_timeout(100)
    assert "__typename" in response_text.inner_text() and "Query" in response_text.inner_text(), (
        response_text.inner_text()
    )
    outside = [u for u in requests if not u.startswith((web_server.base_url, "data:", "blob:"))]
    assert not outside, outside  # the page fixture also blocks and fails on them


def test_start_page_and_favicon(page: Any, web_server: Any, axe: Any) -> None:
    response = page.goto(f"{web_server.base_url}/")
    assert response.status == 200
    for name, href in (
        ("物业工作台 Staff console", "/console/"),
        ("业主投票 Owners' voting", "/vote/"),
        ("GraphiQL", "/graphql"),
    ):
        assert page.get_by_role("link", name=name).get_attribute("href") == href
    axe(page)
    icon = page.request.get(f"{web_server.base_url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    page.get_by_role("link", name="物业工作台 Staff console").click()
    page.get_by_role("heading", name="登录物业工作台").wait_for()


def test_console_first_load_with_a_cold_cache(page: Any, web_server: Any) -> None:
    """The sign-in form is usable soon after navigation in a fresh browser context (no cache):
    the shell's JavaScript, CSS and the lazy sign-in page. Issue #15's target is 1.5 s on
    localhost; the bound here is looser for a busy CI machine, the figure is printed."""
    page.goto(f"{web_server.base_url}/console/")
    page.get_by_label("账号").wait_for()
    ms = page.evaluate("performance.now()")
    shipped = page.evaluate(
        "performance.getEntriesByType('resource').filter(r => r.name.endsWith('.js')).reduce((n, r) => n + r.transferSize, 0)"
    )
    print(
        f"\nconsole first load (cold cache): sign-in usable after {ms:.0f} ms, {shipped / 1024:.0f} KB of JavaScript transferred"
    )
    assert ms < 5000
