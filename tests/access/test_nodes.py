"""Access points, credentials and visitor passes are Relay nodes: ``node(id:)`` answers them by
their global ids under the same row rules as the lists — staff see the firm's, a resident their
own pass and card, nobody another firm's (null, not an error that would confirm the id)."""

from __future__ import annotations

from tests.access.test_passes import CREATE, window

NODE = """query($i: ID!) { node(id: $i) { __typename id
  ... on AccessPoint { name kind }
  ... on AccessCredential { hint status }
  ... on VisitorPass { visitorNameMasked plateMasked } } }"""


async def _node(gql, gid: str, token: str):  # type: ignore[no-untyped-def]
    r = await gql(NODE, {"i": gid}, token=token)
    assert not r.get("errors"), r
    return r["data"]["node"]


async def test_points_credentials_and_passes_are_nodes_read_under_the_list_rules(site, gql):  # type: ignore[no-untyped-def]
    s, other = await site("nodes"), await site("elsewhere")
    gate = s.gid("AccessPoint", s.points["gate"])
    point = await _node(gql, gate, s.staff.token)
    assert (point["__typename"], point["id"], point["kind"]) == ("AccessPoint", gate, "gate")
    assert point["name"]
    r = await gql(
        'mutation($a: ID!) { issueAccessCard(accountId: $a, number: "04:a1:b2:c3") { id } }',
        {"a": str(s.resident.account_id)},
        token=s.staff.token,
    )
    card = r["data"]["issueAccessCard"]["id"]
    r = await gql(CREATE, {"i": {"visitorName": "王小明", "plate": "沪A12345", **window()}}, token=s.resident.token)
    visitor_pass = r["data"]["createVisitorPass"]["pass"]["id"]
    # the ids the mutations answered are the nodes' ids
    assert (await _node(gql, card, s.resident.token)) == {
        "__typename": "AccessCredential", "id": card, "hint": "B2C3", "status": "active",
    }
    assert (await _node(gql, visitor_pass, s.resident.token)) == {
        "__typename": "VisitorPass", "id": visitor_pass, "visitorNameMasked": "王*明", "plateMasked": "沪A***45",
    }
    assert (await _node(gql, visitor_pass, s.staff.token))["id"] == visitor_pass
    # a neighbour sees neither the resident's card nor their visitor's pass; points are staff's
    for gid in (card, visitor_pass, gate):
        assert await _node(gql, gid, s.neighbour.token) is None
    # another firm's staff: null for every id of this firm
    for gid in (card, visitor_pass, gate):
        assert await _node(gql, gid, other.staff.token) is None

