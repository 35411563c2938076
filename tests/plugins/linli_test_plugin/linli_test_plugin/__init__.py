"""A third-party Linli plugin used by the tests: one GraphQL field and one permission.

It imports only ``kernel.sdk`` (and its submodules), like any outside plugin.
"""

from __future__ import annotations

import strawberry

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    hookimpl,
)
from kernel.sdk.graphql import Allowed

MANIFEST = PluginManifest(
    name="linli_test_plugin",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Test plugin from the linli.plugins entry point: a greeting field",
)


@strawberry.type
class TestPluginQuery:
    @strawberry.field(permission_classes=[Allowed("test_greeting", "read")], description="Greets the caller in the current tenant.")
    def test_plugin_greeting(self, info: strawberry.Info, name: str) -> str:
        return f"你好, {name} ({info.context.tenant.slug})"


@hookimpl
def register_graphql() -> GraphQLContribution:
    return GraphQLContribution(query=(TestPluginQuery,))


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(
        permissions=(Permission("test_greeting", "read", "Be greeted by the test plugin"),),
        grants=(Grant("tenant_admin", "test_greeting", "read"),),
    )
