"""The GraphQL gateway: FastAPI app factory, schema composition, request context, limits,
device HTTP API and static clients. May import ``kernel`` and ``tenants``."""
