"""Case repository: idempotent writes keyed by case_id, committed before the API answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from service.api.schemas import TriageRequest, TriageResponse
from service.privacy import keyed_hash, mask_id_number, mask_phone
from service.store.tables import Base, CaseRecord


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(connection, _record):  # durable writes, readers don't block the writer
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class CaseRepository:
    def __init__(self, engine: Engine, link_key: bytes):
        Base.metadata.create_all(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._key = link_key

    def get(self, case_id: str) -> TriageResponse | None:
        with self._sessions() as session:
            record = session.get(CaseRecord, case_id)
            return TriageResponse.model_validate(record.decision) if record else None

    def save(self, request: TriageRequest, decision: TriageResponse) -> TriageResponse:
        """Store a decision; if the case_id is already stored, return the stored decision instead."""
        record = CaseRecord(
            case_id=decision.case_id,
            received_at=decision.received_at,
            stored_at=dt.datetime.now(dt.UTC),
            content=request.content,
            title=request.title,
            channel=request.channel,
            region=request.region.model_dump(exclude_none=True) if request.region else None,
            petitioner_key=self._petitioner_key(request),
            petitioner_masked=self._masked(request),
            category=decision.category.label,
            level=decision.risk.level,
            model_version=decision.versions.model,
            rules_version=decision.versions.rules,
            decision=decision.model_dump(mode="json"),
        )
        with self._sessions() as session:
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = self.get(decision.case_id)
                if existing is None:
                    raise
                return existing
        return decision

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(CaseRecord)) or 0

    def _petitioner_key(self, request: TriageRequest) -> str | None:
        p = request.petitioner
        identity = p and (p.id_number or p.id or p.phone)
        return keyed_hash(self._key, identity) if identity else None

    @staticmethod
    def _masked(request: TriageRequest) -> dict | None:
        p = request.petitioner
        if p is None:
            return None
        masked = {"id": p.id, "age": p.age}
        if p.phone:
            masked["phone"] = mask_phone(p.phone)
        if p.id_number:
            masked["id_number"] = mask_id_number(p.id_number)
        return {k: v for k, v in masked.items() if v is not None}
