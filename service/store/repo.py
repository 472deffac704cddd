"""The case store: opens units of work for writing, keeps handlers' corrections, answers analysts' queries.

Deciding is the pipeline's; the store keeps what it is given, with the
petitioner's identity only as a keyed hash (for history) and masks (for display).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from service.domain import Case
from service.privacy import keyed_hash
from service.store.engine import WRITE, available, lock_for_writing
from service.store.migrate import upgrade
from service.store.queries import CaseQueries
from service.store.tables import CaseRecord, FeedbackRecord
from service.store.unit import UnitOfWork


class CaseRepository(CaseQueries):
    def __init__(self, engine: Engine, link_key: bytes):
        with available():
            upgrade(engine)
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._key = link_key

    def close(self) -> None:
        """Close the pooled connections (a server shutting down; a test's app going away)."""
        self._engine.dispose()

    @contextmanager
    def writing(self) -> Iterator[UnitOfWork]:
        """One transaction under the write lock: everything saved in it is committed together, or nothing is.

        Database failures surface as StoreUnavailable (from the block or from the commit).
        """
        with available(), self._writes() as session, session.begin():
            lock_for_writing(session)
            yield UnitOfWork(session)

    def add_feedback(self, case_id: str, by: str, **corrections) -> FeedbackRecord | None:
        """Store a handler's correction; None when the case is unknown."""
        with available(), self._writes() as session, session.begin():
            if session.get(CaseRecord, case_id) is None:
                return None
            record = FeedbackRecord(case_id=case_id, by=by, created_at=dt.datetime.now(dt.UTC), **corrections)
            session.add(record)
        return record

    def petitioner_key(self, case: Case) -> str | None:
        """The keyed hash that links a petitioner's cases (身份证号, else the intake's id, else the phone)."""
        p = case.petitioner
        identity = p and (p.id_number or p.id or p.phone)
        return keyed_hash(self._key, identity) if identity else None
