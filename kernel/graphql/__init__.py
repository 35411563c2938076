"""GraphQL building blocks shared by the gateway and plugins (exported through kernel.sdk):
the request context, permission classes backed by casbin, Relay ids and keyset connections."""
