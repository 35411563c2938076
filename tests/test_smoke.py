async def test_admin_builds_an_estate_and_reads_it_back(gql, new_tenant):
    t = await new_tenant()
    r = await gql('mutation { createCommunity(code: "C1", name: "幸福里") { id name } }', token=t.token)
    assert not r.get("errors"), r
    cid = r["data"]["createCommunity"]["id"]
    r = await gql('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": cid}, token=t.token)
    assert not r.get("errors"), r
    r = await gql('mutation($c: ID!) { createBuilding(compoundId: $c, name: "1幢", floors: 18) { id } }', {"c": r["data"]["createCompound"]["id"]}, token=t.token)
    bid = r["data"]["createBuilding"]["id"]
    r = await gql('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "101", registeredArea: 8963}) { id areaM2 } }', {"b": bid}, token=t.token)
    assert r["data"]["createUnit"]["areaM2"] == "89.63"
    uid = r["data"]["createUnit"]["id"]
    r = await gql('mutation($u: ID!) { registerOwner(unitId: $u, name: "张三明", phone: "13812345678") { name } }', {"u": uid}, token=t.token)
    assert r["data"]["registerOwner"]["name"] == "张*明"
    q = """query($c: ID!) { community(id: $c) { name votingTotals { units area persons }
      buildings(first: 50) { edges { node { name units(first: 50) { edges { node { number owners { name } } } } } } } } }"""
    r = await gql(q, {"c": cid}, token=t.token)
    assert not r.get("errors"), r
    c = r["data"]["community"]
    assert c["votingTotals"] == {"units": 1, "area": 8963, "persons": 1}
    assert c["buildings"]["edges"][0]["node"]["units"]["edges"][0]["node"]["owners"] == [{"name": "张*明"}]
