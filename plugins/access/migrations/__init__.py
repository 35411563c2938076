"""Alembic migrations of the access plugin (branch ``access``)."""
