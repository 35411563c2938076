"""The voting client's static files, without a browser: served at /vote/ with a same-origin
Content-Security-Policy, every string in both languages, no external URL in the client's own code."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.app import VOTING_CLIENT


async def test_vote_is_served_with_a_same_origin_policy(gql) -> None:  # type: ignore[no-untyped-def]
    redirect = await gql.http.get("/vote")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/vote/"
    page = await gql.http.get("/vote/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.text and '<script type="module" src="app.js">' in page.text
    module = await gql.http.get("/vote/app.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]


def test_client_code_makes_no_external_requests() -> None:
    own = [
        p
        for p in VOTING_CLIENT.rglob("*")
        if p.suffix in (".js", ".html", ".css") and "vendor" not in p.parts
    ]
    assert {p.name for p in own} >= {
        "app.js",
        "api.js",
        "charts.js",
        "i18n.js",
        "index.html",
        "style.css",
    }
    for path in own:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path


def test_every_string_exists_in_both_languages() -> None:
    source = (VOTING_CLIENT / "i18n.js").read_text(encoding="utf-8")
    zh, en = (
        source.split("\n  en: {")[0],
        source.split("\n  en: {")[1].split("\nexport const PLAIN")[0],
    )
    keys = lambda block: set(re.findall(r"^\s{4}(\w+):", block, re.M))  # noqa: E731
    assert keys(zh) == keys(en) and len(keys(zh)) > 100
    used = set(
        re.findall(r"""\bt\("(\w+)"\)""", (VOTING_CLIENT / "app.js").read_text(encoding="utf-8"))
    )
    used |= set(
        re.findall(r"""\bt\("(\w+)"\)""", (VOTING_CLIENT / "charts.js").read_text(encoding="utf-8"))
    )
    assert used <= keys(zh), used - keys(zh)


def test_vendored_ethers_carries_its_licence() -> None:
    vendor = Path(VOTING_CLIENT, "vendor")
    assert "MIT License" in (vendor / "ethers-LICENSE.md").read_text()
    assert 'const version="6.17.0"' in (vendor / "ethers-6.17.0.min.js").read_text()[:400]
