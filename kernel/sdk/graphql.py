"""GraphQL building blocks for plugins: permissions, global ids, keyset pagination, node loading,
DataLoaders, the request context and the contribution a plugin hands to the schema composer.

Importing this module imports strawberry and SQLAlchemy; ``kernel.sdk`` itself loads it only
when a plugin first touches one of these names.
"""

from __future__ import annotations

from kernel.graphql.context import Actor, RequestContext
from kernel.graphql.ids import decode_id, load_nodes, to_gid
from kernel.graphql.loaders import children_loader
from kernel.graphql.pagination import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
    paginate,
    requested_page_size,
)
from kernel.graphql.permissions import Allowed, AnyOf, Authenticated, IsRegulator, plugin_enabled
from kernel.plugins.contributions import GraphQLContribution

__all__ = [
    "Actor",
    "Allowed",
    "AnyOf",
    "Authenticated",
    "Connection",
    "Edge",
    "GraphQLContribution",
    "IsRegulator",
    "PageInfo",
    "RequestContext",
    "children_loader",
    "decode_cursor",
    "decode_id",
    "encode_cursor",
    "load_nodes",
    "page_size",
    "paginate",
    "plugin_enabled",
    "requested_page_size",
    "to_gid",
]
