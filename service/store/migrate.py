"""Bring a database to the newest schema with the Alembic migrations shipped in the package.

Run at startup by every process; on PostgreSQL an advisory lock makes
concurrent starts take turns, and a database already at head is left alone.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATION_LOCK = 726_455_001  # arbitrary, constant: the advisory lock id for schema changes


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("service.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)
