"""Generated GraphQL documents (hypothesis-graphql) against the access plugin's own fields, as the
firm's staff and as a resident of a firm that enabled the plugin: never a 5xx, never an
INTERNAL_SERVER_ERROR — every refusal is a coded error (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN…)."""

from __future__ import annotations

import json
from collections import Counter

from graphql import GraphQLSchema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

EXAMPLES = 40
SCALARS = {
    "DateTime": st.sampled_from(
        ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "not a time", ""]
    ).map(nodes.String),
}


def _documents(schema: GraphQLSchema, fields: list[str], mode: Mode) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        document=from_schema(
            schema, fields=fields, custom_scalars=SCALARS, mode=mode, allow_x00=False
        )
    )
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


async def test_the_access_fields_answer_coded_errors_to_generated_documents(site, gql):  # type: ignore[no-untyped-def]
    s = await site("fuzz")
    schema = gql.app.state.schema._schema
    fields = [
        name
        for root in (schema.query_type, schema.mutation_type)
        for name in root.fields
        if "ccess" in name
        or "isitorPass" in name
        or "ServicePass" in name
        or name == "openAccessPoint"
    ]
    assert "createAccessPoint" in fields and "myAccessQrCode" in fields
    codes: Counter[str] = Counter()
    documents = _documents(schema, fields, Mode.POSITIVE)
    for n, document in enumerate(documents):
        token = s.staff.token if n % 2 else s.resident.token
        r = await gql.http.post(
            "/graphql",
            content=json.dumps({"query": document}),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        assert r.status_code < 500, (document, r.text)
        for error in r.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code and code != "INTERNAL_SERVER_ERROR", (document, error)
            codes[code] += 1
    print(f"access fuzz: {len(documents)} documents, error codes {dict(codes)}")
    assert len(documents) >= EXAMPLES // 2, codes
