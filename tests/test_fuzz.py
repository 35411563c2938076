"""Generated GraphQL documents from the live schema (hypothesis-graphql), valid and invalid,
sent as a tenant admin and anonymously: never a 5xx, and every error carries a code (issue 16).
A bounded number per run (derandomised, so a run is repeatable); counts by status and code are
in docs/security.md."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords, shared_tenants  # noqa: F401 - fixture
from graphql import GraphQLSchema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

pytestmark = pytest.mark.usefixtures("fast_passwords")

#: Documents per mode and run: bounded to keep the test under a minute on a 2-core machine.
EXAMPLES = {Mode.POSITIVE: 120, Mode.NEGATIVE: 60}

_text = st.text(max_size=16)
CUSTOM_SCALARS = {
    "DateTime": st.sampled_from(["2026-01-01T00:00:00Z", "not a time", "2026-13-45T99:00:00", ""]).map(nodes.String),
    "Date": st.sampled_from(["2026-01-01", "2026-02-30", "x"]).map(nodes.String),
    "JSON": st.one_of(_text.map(nodes.String), st.integers(-(2**70), 2**70).map(nodes.Int), st.booleans().map(nodes.Boolean)),
    "ChainId": st.one_of(_text.map(nodes.String), st.integers(-(2**70), 2**70).map(nodes.Int)),
    "Fen": st.one_of(st.integers(-(2**70), 2**70).map(nodes.Int), _text.map(nodes.String)),
    "FeeAmount": st.one_of(st.integers(-(2**70), 2**70).map(nodes.Int), _text.map(nodes.String)),
}


@pytest_asyncio.fixture(scope="module")
async def firm(linli_database):  # type: ignore[no-untyped-def]
    async with shared_tenants(linli_database, ("fuzz", "甲")) as (runtime, tenants):
        yield runtime, tenants[0]


def _documents(schema: GraphQLSchema, mode: Mode, count: int) -> list[str]:
    found: list[str] = []

    @settings(max_examples=count, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
    @given(document=from_schema(schema, custom_scalars=CUSTOM_SCALARS, mode=mode))
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
async def test_generated_documents_never_get_a_5xx_or_an_uncoded_error(firm, gql_factory, mode):  # type: ignore[no-untyped-def]
    runtime, tenant = firm
    client = gql_factory(runtime)
    documents = _documents(client.app.state.schema._schema, mode, EXAMPLES[mode])
    statuses: Counter[int] = Counter()
    error_codes: Counter[str] = Counter()
    for n, document in enumerate(documents):
        headers = {"content-type": "application/json"}
        if n % 3:  # two in three as the tenant's admin, the rest anonymous
            headers["authorization"] = f"Bearer {tenant.token}"
        try:
            response = await asyncio.wait_for(client.http.post("/graphql", content=json.dumps({"query": document}), headers=headers), 30)
        except TimeoutError:
            raise AssertionError(f"no answer in 30 s to {document}") from None
        statuses[response.status_code] += 1
        assert response.status_code < 500, (document, response.text)
        assert response.headers.get("x-request-id")
        for error in response.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code, (document, error)
            error_codes[code] += 1
    print(f"graphql fuzz ({mode.name.lower()}): {len(documents)} documents, by status {dict(statuses)}, error codes {dict(error_codes)}")
    assert len(documents) >= EXAMPLES[mode] // 2
