"""docs/graphql.md shows every input type's fields and every enum's values of the composed schema
(Linli's own plugins), so a client author never has to read the SDL to fill an input."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType

ROOT = Path(__file__).resolve().parent.parent


def test_every_input_field_and_enum_value_is_documented() -> None:
    from gateway.schema import compose
    from kernel.plugins.host import PluginHost

    host = PluginHost()
    host.load(entry_points=False)
    schema = compose(host)._schema
    text = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8")
    section = re.search(r"^## Input types and enums \(reference\)\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert section, "docs/graphql.md has no '## Input types and enums (reference)' section"
    blocks = re.split(r"^\*\*`", section.group(1), flags=re.M)
    documented = {b.split("`", 1)[0]: b for b in blocks[1:]}
    missing = []
    for name, t in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(t, GraphQLInputObjectType):
            block = documented.get(f"input {name}", "")
            missing += [f"{name}.{f}" for f in t.fields if f"| `{f}` | `{t.fields[f].type}` |" not in block] or ([] if block else [name])
        elif isinstance(t, GraphQLEnumType):
            block = documented.get(f"enum {name}", "")
            missing += [f"{name}.{v}" for v in t.values if f"`{v}`" not in block] or ([] if block else [name])
    assert not missing, f"docs/graphql.md: document {missing}"
