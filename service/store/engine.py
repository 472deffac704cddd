"""The database engine: SQLite or PostgreSQL, configured so that writes serialise and errors leak no data.

Every case is written inside a transaction that holds a database-wide write lock
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock), so a case
always sees every case stored before it, even one stored a millisecond earlier
by another worker process: two halves of one cluster arriving at two workers
are still one cluster with one alert.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from service.errors import TriageError

WRITE_LOCK = 726_455_002  # PostgreSQL advisory lock id that serialises case writes
WRITE = "triage_write"  # execution option of the engine that write transactions use


def make_engine(url: str) -> Engine:
    """An engine whose errors never carry a statement's parameters (they hold petition text and identities)."""
    if url.startswith("sqlite:///"):
        _private_file(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60}, hide_parameters=True,
                               pool_pre_ping=True)

        @event.listens_for(engine, "connect")
        def _configure(connection, _record):
            connection.isolation_level = None  # transactions are begun below, not by the driver
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
            cursor.execute("PRAGMA synchronous=FULL")  # a committed case survives a crash
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # One writer at a time, across processes; reads take no write lock, so they go on
            # answering while writes fail (a full disk, a read-only directory).
            connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE) else "BEGIN")

        @event.listens_for(engine, "handle_error")
        def _discard_broken(context):
            # A failed SQLite operation can leave its connection inside a transaction; every later
            # BEGIN on it would fail too. Discard it: the pool opens a fresh one.
            if isinstance(context.original_exception, sqlite3.OperationalError):
                context.is_disconnect = True

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _private_file(path: Path) -> None:
    """The SQLite file and its directory readable by the service's user only (WAL files inherit the mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def lock_for_writing(session: Session) -> None:
    """Take the write lock inside the session's transaction (SQLite took it with BEGIN IMMEDIATE)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITE_LOCK})


class StoreUnavailable(TriageError):
    """The database failed (unreachable, locked, full, read-only); nothing of the failed operation was stored."""


@contextmanager
def available():
    """Database failures as StoreUnavailable, with the driver's class only: its message may quote data."""
    try:
        yield
    except DBAPIError as exc:
        if isinstance(exc, IntegrityError):
            raise
        raise StoreUnavailable(f"the case store is unavailable ({type(exc.orig).__name__})") from exc
