"""Alembic branch ``participation`` (see versions/)."""
