"""Alembic branch ``grid`` of the grid governance plugin."""
