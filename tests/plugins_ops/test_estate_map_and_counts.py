"""For the dashboard: buildings' optional coordinates (``setBuildingLocation``: both or neither,
in range, staff only, own tenant only) and connections' ``totalCount`` (every match over all
pages, as the caller may see them)."""

from __future__ import annotations

import uuid

from ops_helpers import code_of, gid

LOCATE = "mutation($b: ID!, $la: Float, $lo: Float) { setBuildingLocation(id: $b, latitude: $la, longitude: $lo) { id latitude longitude } }"
BUILDINGS = """query($c: ID!, $a: String) { community(id: $c) { buildings(first: 1, after: $a) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id name latitude longitude } } } } }"""


async def test_building_coordinates_are_set_checked_and_cleared(ops, new_tenant):
    t = await new_tenant("map")
    estate = await ops.estate(t.tenant_id, units=[8000, 9000, 10000])
    _, owner = await ops.member(t, "owner")
    b = gid("Building", estate.building_id)
    r = await ops.gql(LOCATE, {"b": b, "la": 31.2304, "lo": 121.4737}, token=t.token)
    assert r["data"]["setBuildingLocation"] == {"id": b, "latitude": 31.2304, "longitude": 121.4737}
    for variables, field in (
        ({"la": 31.2}, "longitude"),
        ({"lo": 121.4}, "latitude"),
        ({"la": 91.0, "lo": 121.4}, "latitude"),
        ({"la": 31.2, "lo": -181.0}, "longitude"),
    ):
        r = await ops.gql(LOCATE, {"b": b, **variables}, token=t.token)
        assert code_of(r) == "BAD_USER_INPUT" and r["errors"][0]["extensions"]["field"] == field, r
    r = await ops.gql(LOCATE, {"b": b, "la": 1.0, "lo": 1.0}, token=owner)
    assert code_of(r) == "FORBIDDEN"
    other = await new_tenant("map-b")
    r = await ops.gql(LOCATE, {"b": b, "la": 1.0, "lo": 1.0}, token=other.token)
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(BUILDINGS, {"c": gid("Community", estate.community_id)}, token=t.token)
    node = r["data"]["community"]["buildings"]["edges"][0]["node"]
    assert (node["latitude"], node["longitude"]) == (31.2304, 121.4737)  # the refused ones changed nothing
    r = await ops.gql(LOCATE, {"b": b}, token=t.token)  # neither: cleared
    assert r["data"]["setBuildingLocation"]["latitude"] is None


async def test_total_count_counts_every_page_of_own_tenant(ops, new_tenant):
    t = await new_tenant("count")
    estate = await ops.estate(t.tenant_id, units=[8000, 9000, 10000, 11000])
    compound = await ops.gql(
        "query($c: ID!) { community(id: $c) { compounds { id } } }",
        {"c": gid("Community", estate.community_id)},
        token=t.token,
    )
    cp = compound["data"]["community"]["compounds"][0]["id"]
    for name in ("2幢", "3幢"):
        r = await ops.gql(
            "mutation($c: ID!, $n: String!) { createBuilding(compoundId: $c, name: $n) { id } }",
            {"c": cp, "n": name},
            token=t.token,
        )
        assert not r.get("errors"), r
    other = await new_tenant("count-b")
    await ops.estate(other.tenant_id, units=[8000])  # another firm's building and unit: not counted
    r = await ops.gql(BUILDINGS, {"c": gid("Community", estate.community_id)}, token=t.token)
    page = r["data"]["community"]["buildings"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] and len(page["edges"]) == 1
    r = await ops.gql(
        BUILDINGS,
        {"c": gid("Community", estate.community_id), "a": page["pageInfo"]["endCursor"]},
        token=t.token,
    )
    assert r["data"]["community"]["buildings"]["totalCount"] == 3  # the whole list, not what is left
    r = await ops.gql(
        "query($b: ID!) { node(id: $b) { ... on Building { units(first: 2) { totalCount } } } }",
        {"b": gid("Building", estate.building_id)},
        token=t.token,
    )
    assert r["data"]["node"]["units"]["totalCount"] == 4
    r = await ops.gql("{ communities(first: 5) { totalCount } }", token=other.token)
    assert r["data"]["communities"]["totalCount"] == 1
    assert uuid.UUID(str(t.tenant_id)) != other.tenant_id
