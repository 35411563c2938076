"""Meta-tests (as datasette does): specs, docs and tests of the plugin hooks stay in step.

The hook list is read from ``kernel/hookspecs.py`` at run time, so whoever adds a hook must also
add its section to ``docs/plugins/hooks.md`` (with the signature) and a ``test_hook_<name>`` test
somewhere under ``tests/``.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from kernel import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "plugins" / "hooks.md"
TESTS = Path(__file__).resolve().parent


def hook_specs() -> dict[str, inspect.Signature]:
    """Every function marked ``@hookspec`` in kernel/hookspecs.py, with its signature."""
    marker = f"{hookspecs.hookspec.project_name}_spec"
    return {
        name: inspect.signature(fn)
        for name, fn in vars(hookspecs).items()
        if inspect.isfunction(fn) and hasattr(fn, marker)
    }


def doc_sections() -> dict[str, str]:
    """``## name`` sections of docs/plugins/hooks.md, by hook name."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## +`?([a-z_]+)`?[^\n]*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def signature_text(name: str, sig: inspect.Signature) -> str:
    """How the docs write a hook: ``name(arg1, arg2)``."""
    return f"{name}({', '.join(sig.parameters)})"


def hook_tests() -> set[str]:
    found: set[str] = set()
    for path in TESTS.rglob("*.py"):
        found.update(re.findall(r"^\s*(?:async\s+)?def (test_hook_[a-z_]+)\(", path.read_text(encoding="utf-8"), flags=re.MULTILINE))
    return found


SPECS = hook_specs()


def test_the_hook_list_is_read_from_the_specs():
    # a floor, not the list: new hooks join automatically
    assert {"register_models", "register_graphql", "on_startup", "on_plugin_disabled"} <= set(SPECS)
    assert all(name.startswith(("register_", "on_")) for name in SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_has_a_documented_section_with_its_signature(name):
    sections = doc_sections()
    assert name in sections, f"docs/plugins/hooks.md has no '## {name}' section"
    expected = signature_text(name, SPECS[name])
    assert expected in sections[name], f"the '{name}' section of docs/plugins/hooks.md must show `{expected}`"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_has_a_test(name):
    assert f"test_hook_{name}" in hook_tests(), f"write a test named test_hook_{name} under tests/"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_spec_says_when_it_is_called_and_since_when(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Called" in doc or "called" in doc, f"{name}: say when the hook is called"
    assert ".. versionadded::" in doc, f"{name}: add `.. versionadded::`"
    for param in SPECS[name].parameters:
        assert f":param {param}:" in doc, f"{name}: document :param {param}:"


def test_the_docs_describe_no_hook_that_does_not_exist():
    stale = set(doc_sections()) - set(SPECS)
    assert not stale, f"docs/plugins/hooks.md describes hooks that kernel/hookspecs.py lacks: {sorted(stale)}"


def test_graphql_guide_examples_are_valid():
    """Every ```graphql block of docs/graphql.md validates against the composed schema."""
    from graphql import parse, validate

    from gateway.schema import compose
    from kernel.plugins.host import PluginHost

    host = PluginHost()
    host.load(entry_points=False)
    schema = compose(host)._schema
    text = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 10
    for block in blocks:
        errors = validate(schema, parse(block))
        assert not errors, f"{block}\n{errors}"
