"""Case repository: idempotent writes keyed by case_id, committed before the API answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
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
            intake=self._intake(request),
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

    def replayable(self, limit: int | None = None) -> list[TriageRequest]:
        """Stored cases as requests again (newest first), for backtesting rules; identities are not replayed."""
        query = select(CaseRecord).order_by(CaseRecord.received_at.desc()).limit(limit)
        with self._sessions() as session:
            return [
                TriageRequest(
                    case_id=r.case_id, content=r.content, title=r.title, channel=r.channel, received_at=r.received_at,
                    region=r.region, headcount=(r.intake or {}).get("headcount"),
                    visited_level=(r.intake or {}).get("visited_level"),
                    petitioner={"age": r.intake["age"]} if (r.intake or {}).get("age") else None,
                )
                for r in session.scalars(query)
            ]

    def rules_fired(self, since: dt.datetime | None = None) -> Iterator[tuple[str, list[str]]]:
        """(rules version, ids of the rules that fired) of every stored decision, oldest first."""
        query = select(CaseRecord.rules_version, CaseRecord.decision).order_by(CaseRecord.received_at)
        if since is not None:
            query = query.where(CaseRecord.received_at >= since)
        with self._sessions() as session:
            for version, decision in session.execute(query.execution_options(yield_per=1000)):
                yield version, decision.get("rules_fired", [])

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(CaseRecord)) or 0

    def _petitioner_key(self, request: TriageRequest) -> str | None:
        p = request.petitioner
        identity = p and (p.id_number or p.id or p.phone)
        return keyed_hash(self._key, identity) if identity else None

    @staticmethod
    def _intake(request: TriageRequest) -> dict:
        age = request.petitioner.age if request.petitioner else None
        fields = {"headcount": request.headcount, "visited_level": request.visited_level, "age": age}
        return {k: v for k, v in fields.items() if v is not None}

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
