"""Alembic migrations; see bot.schema."""
