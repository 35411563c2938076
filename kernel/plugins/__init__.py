"""The plugin host: loading, manifests, per-tenant enablement."""
