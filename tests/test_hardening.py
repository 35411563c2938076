"""One request must not stall everyone, and no input gets a 5xx or an uncoded error (issue 16):
document bounds before validation, CPU-heavy work off the event loop, one log entry per request
without literals, no pooled connection held while waiting, and coded answers everywhere."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import pytest_asyncio
from fixtures.estates import PASSWORD, fast_passwords, shared_tenants  # noqa: F401 - fixture

from kernel.testing import access_token, add_member, unique_slug

pytestmark = pytest.mark.usefixtures("fast_passwords")

#: 22 fragments, each spreading the next twice: 2^21 fields once expanded (877 bytes with the
#: issue's spacing).
FRAGMENT_BOMB = (
    "query{...F0} "
    + " ".join(f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(21))
    + " fragment F21 on Query{__typename}"
)


def codes(result: dict) -> list[str]:  # type: ignore[type-arg]
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


def aliases(n: int, field: str = "unitCount") -> str:
    return "{" + " ".join(f"a{i}: {field}" for i in range(n)) + "}"


@pytest_asyncio.fixture(scope="module")
async def firm(linli_database):  # type: ignore[no-untyped-def]
    async with shared_tenants(linli_database, ("firm", "甲"), ("firm", "乙")) as (runtime, tenants):
        yield runtime, tenants


@pytest_asyncio.fixture
async def app_client(firm, gql_factory):  # type: ignore[no-untyped-def]
    runtime, _ = firm
    return gql_factory(runtime)


async def _timed(client, query: str, **kw):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = await client(query, **kw)
    return result, time.perf_counter() - started


async def test_fragment_bomb_is_refused_at_once(app_client):  # type: ignore[no-untyped-def]
    assert len(FRAGMENT_BOMB) < 900
    await app_client("{ __typename }")  # the app's first request pays for its lazy set-up
    for _ in range(2):  # the second time from the caches
        r, seconds = await _timed(app_client, FRAGMENT_BOMB)
        assert codes(r) == ["BAD_USER_INPUT"], r
        assert r["errors"][0]["extensions"]["fields"] == 2**21
        # 6.2 s before the fix; ≤ 50 ms is the target on an idle machine (docs/security.md),
        # the bound here leaves room for a loaded CI machine (seconds before the fix)
        assert seconds < 2.0, seconds


@pytest.mark.parametrize(("count", "reason"), [(5000, "tokens"), (3000, "tokens"), (150, "aliases")])
async def test_alias_amplification_is_refused(app_client, firm, count, reason):  # type: ignore[no-untyped-def]
    _, (t, _) = firm
    await app_client("{ __typename }", token=t.token)
    r, seconds = await _timed(app_client, aliases(count), token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"], r
    message = r["errors"][0]["message"]
    assert ("more than 2000 tokens" in message) if reason == "tokens" else (r["errors"][0]["extensions"]["aliases"] == count), message
    assert seconds < 2.0, seconds


async def test_repeated_fields_and_oversized_selections_are_refused(app_client, firm):  # type: ignore[no-untyped-def]
    _, (t, _) = firm
    repeated = "{" + " communities { edges { node { name } } }" * 150 + "}"
    r = await app_client(repeated, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"] and r["errors"][0]["extensions"]["repeats"] == 150, r
    # many distinct fields through fragments spread in many places
    fragments = "fragment C on Community { buildings { edges { node { units { edges { node { number registeredArea floor } } } } } } }"
    wide = "{ " + " ".join(f"c{i}: communities {{ edges {{ node {{ ...C }} }} }}" for i in range(90)) + " } " + fragments
    r = await app_client(wide, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"] and r["errors"][0]["extensions"]["fields"] > 1000, r
    # within the bounds, aliases still work
    r = await app_client(aliases(20), token=t.token)
    assert not r.get("errors") and len(r["data"]) == 20, r


async def test_healthz_answers_while_the_largest_allowed_document_is_validated(app_client, firm):  # type: ignore[no-untyped-def]
    """The worst document inside the bounds (many distinct fields, each repeated up to the limit,
    never seen before so nothing is cached) runs while /healthz is polled."""
    _, (t, _) = firm
    latencies: list[float] = []
    body = " ".join(
        f"c{i}: communities(first: 1) {{ edges {{ node {{ " + " ".join(["name code id"] * 10) + " } } }"
        for i in range(29)
    )
    document = "query Worst { " + body + " }"
    request = asyncio.create_task(app_client(document, token=t.token))
    while not request.done():
        started = time.perf_counter()
        response = await app_client.http.get("/healthz")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        await asyncio.sleep(0.005)
    r = await request
    assert not r.get("errors") and len(r["data"]) == 29, r
    latencies.sort()
    print(f"healthz during the worst allowed document: n={len(latencies)} p50={latencies[len(latencies) // 2] * 1000:.1f} ms max={latencies[-1] * 1000:.1f} ms")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    assert len(latencies) >= 3 and p99 < 0.5, (len(latencies), p99)


# -- no 5xx, every error coded -------------------------------------------------------------------


async def _post_raw(client, body: dict, token: str | None = None):  # type: ignore[no-untyped-def, type-arg]
    """POST a body as ASCII JSON (lone surrogates travel as ``\\udfff`` escapes, as a hostile
    client would send them; httpx's own encoder refuses them)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.http.post("/graphql", content=json.dumps(body, ensure_ascii=True), headers=headers)


@pytest.mark.parametrize("bad", ["\udfff", "a\x00b", "\ud800x"])
async def test_lone_surrogates_and_nul_in_any_string_argument_are_bad_input(app_client, firm, bad):  # type: ignore[no-untyped-def]
    runtime, (t, _) = firm
    cases = [
        ("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }", {"u": bad, "p": "x"}, None),
        ("mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }", {"r": bad}, None),
        ('mutation($n: String!) { createCommunity(code: "Z9", name: $n) { id } }', {"n": bad}, t.token),
        ("query($s: String) { communities(search: $s) { edges { cursor } } }", {"s": bad}, t.token),
        # inline literals, escaped the GraphQL way
        ('mutation { createCommunity(code: "Z9", name: "a\\u0000b") { id } }', {}, t.token),
        ('mutation { login(username: "\\u0000", password: "x") { accessToken } }', {}, None),
    ]
    for query, variables, token in cases:
        response = await _post_raw(app_client, {"query": query, "variables": variables}, token)
        assert response.status_code < 500, (query, response.text)
        assert codes(response.json()) == ["BAD_USER_INPUT"], (query, response.text)
    r = await app_client("{ communities { edges { node { code } } } }", token=t.token)
    assert "Z9" not in str(r), r


async def test_forbidden_non_null_field_beside_a_sibling_is_coded(app_client, firm):  # type: ignore[no-untyped-def]
    """The non-null failure cancels the sibling mid-query; the rollback that follows must not
    surface as an uncoded error (it did: 'cannot call Transaction.rollback()')."""
    runtime, (t, _) = firm
    owner = await add_member(runtime, t.tenant_id, unique_slug("owner"), PASSWORD, "owner")
    token = await access_token(runtime, owner, t.tenant_id)
    for _ in range(5):
        r = await app_client("{ myNotices { edges { node { id } } } members { username } }", token=token)
        assert r.get("errors") and set(codes(r)) == {"FORBIDDEN"}, r
    r = await app_client("{ myNotices { edges { node { id } } } }", token=token)
    assert not r.get("errors"), r


async def test_subscription_over_post_is_coded(app_client, firm):  # type: ignore[no-untyped-def]
    _, (t, _) = firm
    for query in ("subscription { alarmChanges { rule } }", "subscription { nothing }"):
        response = await app_client.http.post("/graphql", json={"query": query}, headers={"authorization": f"Bearer {t.token}"})
        assert 400 <= response.status_code < 500, response.text
        assert codes(response.json()) == ["BAD_USER_INPUT"], response.text
        assert response.headers.get("x-request-id")


async def test_framework_answers_are_coded_and_carry_a_request_id(app_client, firm):  # type: ignore[no-untyped-def]
    runtime, _ = firm
    http = app_client.http
    cases = [
        (await http.get("/no/such/route"), 404, "NOT_FOUND", "error"),
        (await http.delete("/healthz"), 405, "BAD_USER_INPUT", "error"),
        (await http.get("/api/v1/tok/rpc", params={"timeout": "soon"}), 400, "BAD_USER_INPUT", "error"),
        (await http.post("/api/v1/tok/rpc/notanumber", content=b"{}"), 400, "BAD_USER_INPUT", "error"),
        (await http.post("/graphql", content=b"x", headers={"content-length": "nonsense"}), 400, "BAD_USER_INPUT", "errors"),
        (await http.post("/graphql", content=b"x" * 10, headers={"content-length": str(runtime.settings.max_body_bytes + 1)}), 413, "PAYLOAD_TOO_LARGE", "errors"),
        (await http.post("/api/v1/tok/telemetry", content=b"x" * 10, headers={"content-length": str(runtime.settings.max_body_bytes + 1)}), 413, "PAYLOAD_TOO_LARGE", "error"),
        (await http.get("/graphql", params={"query": "mutation { logout }"}), 400, "BAD_USER_INPUT", "errors"),
    ]
    for response, status, code, shape in cases:
        assert response.status_code == status, (response.request.url, response.status_code, response.text)
        body = response.json()
        found = body["errors"][0]["extensions"]["code"] if shape == "errors" else body["error"]["code"]
        assert found == code, (response.request.url, body)
        assert response.headers.get("x-request-id"), response.request.url

    async def chunks():  # type: ignore[no-untyped-def]
        yield b"x" * (runtime.settings.max_body_bytes + 1)

    streamed = await http.post("/graphql", content=chunks())
    assert streamed.status_code == 413 and streamed.headers.get("x-request-id"), streamed.text
    # a client's own request id comes back; a hostile one is replaced
    assert (await http.get("/healthz", headers={"x-request-id": "abc-123"})).headers["x-request-id"] == "abc-123"
    assert (await http.get("/healthz", headers={"x-request-id": "a b\\n" * 40})).headers["x-request-id"] != "a b\\n" * 40


# -- one log entry per request, no literals ------------------------------------------------------


@pytest.fixture
def json_log(capsys):  # type: ignore[no-untyped-def]
    """The JSON log lines the process writes (the production configuration)."""
    import structlog

    from kernel.logging import configure_logging

    configure_logging("INFO", json=True)
    capsys.readouterr()

    def lines() -> list[dict]:  # type: ignore[type-arg]
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield lines
    structlog.reset_defaults()


async def test_failing_login_logs_one_entry_without_the_password(app_client, firm, json_log, caplog):  # type: ignore[no-untyped-def]
    _, (t, _) = firm
    secret = "hunter2-Sekret-13812345678-11010119900307001X-王五"
    r = await app_client(f'mutation {{ login(username: "{t.admin}", password: "{secret}", tenant: "{t.slug}") {{ accessToken }} }}')
    assert codes(r) == ["UNAUTHENTICATED"], r
    entries = json_log()
    assert len(entries) == 1, entries
    [entry] = entries
    assert entry["event"] == "request" and entry["status"] == 200 and entry["errors"] == {"UNAUTHENTICATED": 1}, entry
    assert entry["query"].startswith("mutation { login(username:") and len(entry["query"]) <= 201, entry
    written = json.dumps(entries, ensure_ascii=False)
    for fragment in ("hunter2", "13812345678", "11010119900307001X", "王五", t.admin):
        assert fragment not in written, (fragment, written)
    assert "Traceback" not in written and "exception" not in entry
    assert not [rec for rec in caplog.records if rec.name.startswith("strawberry")], caplog.records


async def test_a_request_of_many_failing_lookups_logs_one_short_entry(app_client, firm, json_log, caplog):  # type: ignore[no-untyped-def]
    _, (t, _) = firm
    query = "{ " + " ".join(f'c{i}: community(id: "Q29tbXVuaXR5Om5vdC1hLXV1aWQ=") {{ name }}' for i in range(90)) + " }"
    r = await app_client(query)  # anonymous
    assert r.get("errors"), r
    entries = json_log()
    assert len(entries) == 1, entries
    [entry] = entries
    assert sum(entry["errors"].values()) == len(r["errors"]) and len(json.dumps(entry)) < 1000, entry
    assert "Q29tbXVuaXR5" not in json.dumps(entry)
    assert not [rec for rec in caplog.records if rec.name.startswith("strawberry")]


async def test_a_client_that_hangs_up_mid_request_is_no_server_error(app_client, json_log):  # type: ignore[no-untyped-def]
    """A browser closing mid-upload (Starlette's ClientDisconnect while the body is read) is the
    client's doing: answered 499 CLIENT_CLOSED_REQUEST, logged as info without a traceback."""
    app = app_client.http._transport.app  # the ASGI app behind the test client
    sent: list[dict] = []  # type: ignore[type-arg]

    async def receive() -> dict:  # type: ignore[type-arg]
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"40"), (b"host", b"test")],
        "client": ("127.0.0.1", 5000), "server": ("test", 80),
    }
    await app(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [499], sent
    [entry] = [e for e in json_log() if e["event"] == "request"]
    assert entry["status"] == 499 and entry["level"] == "info", entry
    assert "exception" not in entry
