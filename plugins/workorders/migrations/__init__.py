"""Alembic migrations of this plugin (a package so the import rules cover them)."""
