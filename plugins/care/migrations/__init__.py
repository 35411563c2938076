"""Alembic branch ``care`` (tables created with ``create_tenant_table``: Citus order, RLS)."""
