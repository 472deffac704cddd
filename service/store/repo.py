"""Case repository: a case's history facts, its decision and its storage happen in one transaction.

A case is decided and stored inside one write transaction that holds a
database-wide write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
transaction lock). So a case always sees every case stored before it, even one
stored a millisecond earlier by another worker process, which is what makes
two halves of one cluster arriving at two workers still one cluster with one
alert. The answer goes out only after the commit: an answered case is stored.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, and_, create_engine, event, func, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.api.schemas import TriageRequest, TriageResponse
from service.pipeline.area import Area
from service.pipeline.history import History
from service.pipeline.nearcopy import COPY_JACCARD, bands, jaccard, shingles
from service.pipeline.normalize import joined_text
from service.rulebook.runner import RaisedAlert
from service.errors import TriageError
from service.privacy import keyed_hash, mask_id_number, mask_identifier, mask_phone
from service.store.migrate import upgrade
from service.store.tables import AlertRecord, CaseRecord, CopyBand, FeedbackRecord

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


@dataclass(frozen=True)
class CaseContext:
    """A case about to be decided: who, where, what, when."""

    request: TriageRequest  # its text already redacted
    received_at: dt.datetime
    category: str
    area: Area
    fingerprint: str  # of the request as sent (see fingerprint.py)


class CaseRepository:
    def __init__(self, engine: Engine, link_key: bytes):
        with _available():
            upgrade(engine)
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._key = link_key

    def close(self) -> None:
        """Close the pooled connections (a server shutting down; a test's app going away)."""
        self._engine.dispose()

    # ---- writing -------------------------------------------------------------------------------

    def decide_and_save(self, context: CaseContext,
                        decide: Callable[[History], tuple[TriageResponse, tuple[RaisedAlert, ...]]]) -> TriageResponse:
        """Compute the history, decide with it, store the case, its copy bands and any alert; one transaction.

        A case_id stored meanwhile (a retry, another worker) returns the stored decision when the
        same request was sent, and raises CaseConflict when a different one was.
        """
        request = context.request
        petitioner = self.petitioner_key(request)
        grams = shingles(joined_text(request.title, request.content))  # 拖欠薪資 and 拖欠薪资 are one letter
        case_bands = sorted(set(bands(grams)))
        with _available(), self._writes() as session:
            try:
                with session.begin():
                    self._lock(session)
                    if request.case_id and session.get(CaseRecord, request.case_id) is not None:
                        raise _AlreadyStored
                    root, copies = self._copy_cluster(session, case_bands, grams, petitioner)
                    history, same_place_week = self._history(session, context, petitioner, copies)
                    decision, alerts = decide(history)
                    record = self._record(request, decision, context, petitioner, root, history)
                    session.add(record)
                    session.flush()
                    session.add_all(CopyBand(band=band, case_id=decision.case_id) for band in case_bands)
                    if root and root != decision.case_id:
                        session.query(CaseRecord).filter(CaseRecord.case_id == root, CaseRecord.copy_cluster.is_(None)) \
                            .update({CaseRecord.copy_cluster: root})
                    self._alerts(session, record, alerts, context, history, same_place_week)
            except (_AlreadyStored, IntegrityError):
                stored = self.stored(request.case_id, context.fingerprint) if request.case_id else None
                if stored is None:
                    raise
                return stored
        return decision

    def stored(self, case_id: str, fingerprint: str) -> TriageResponse | None:
        """The stored decision of a case sent again; CaseConflict if the case_id holds a different request."""
        with _available(), self._reads() as session, session.begin():
            record = session.get(CaseRecord, case_id)
            if record is None:
                return None
            if record.request_hash != fingerprint:
                raise CaseConflict(record.request_hash or "", fingerprint)
            return TriageResponse.model_validate(record.decision)

    def _lock(self, session: Session) -> None:
        if session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITE_LOCK})

    def _copy_cluster(self, session: Session, case_bands: list[str], grams: set[str],
                      petitioner: str | None) -> tuple[str | None, dict[str, int]]:
        """The cluster root (first case) this text copies, and the cluster's size and distinct senders with this case.

        Senders, not letters, make a joint letter: one petitioner sending the same letter five times is repeating.
        """
        candidates = session.scalars(select(CopyBand.case_id).where(CopyBand.band.in_(case_bands)).distinct()).all()
        best: tuple[float, dt.datetime, CaseRecord] | None = None
        for record in session.scalars(select(CaseRecord).where(CaseRecord.case_id.in_(candidates))):
            similarity = jaccard(grams, shingles(joined_text(record.title, record.content)))
            if similarity >= COPY_JACCARD and (best is None or (similarity, -record.received_at.timestamp()) > best[:2]):
                best = (similarity, -record.received_at.timestamp(), record)
        if best is None:
            return None, {}
        root = best[2].copy_cluster or best[2].case_id
        members = session.execute(select(CaseRecord.petitioner_key, CaseRecord.case_id).where(
            (CaseRecord.copy_cluster == root) | (CaseRecord.case_id == root))).all()
        senders = {m.petitioner_key or m.case_id for m in members} | {petitioner or "this case"}
        return root, {"copy_cluster_size": len(members) + 1, "copy_cluster_petitioners": len(senders)}

    def _history(self, session: Session, context: CaseContext, petitioner: str | None,
                 copies: dict[str, int]) -> tuple[History, list[str]]:
        """The history facts, and the earlier cases of the same place and category within 7 days."""
        when = context.received_at
        counts: dict[str, int] = {}
        if petitioner:
            earlier = select(CaseRecord.received_at, CaseRecord.category).where(
                CaseRecord.petitioner_key == petitioner, CaseRecord.received_at <= when,
                CaseRecord.received_at > when - dt.timedelta(days=3650))
            rows = session.execute(earlier).all()
            ages = [(when - r.received_at).days for r in rows]
            counts = {
                "petitioner_cases_30d": sum(a < 30 for a in ages),
                "petitioner_cases_90d": sum(a < 90 for a in ages),
                "petitioner_cases_365d": sum(a < 365 for a in ages),
                "petitioner_same_category_365d": sum(a < 365 and r.category == context.category for a, r in zip(ages, rows)),
                "petitioner_first_seen_days": max(ages, default=0),
            }
        place, week = {}, []
        same_place = self._same_place(context.area)
        if same_place is not None:
            nearby = select(CaseRecord.received_at, CaseRecord.petitioner_key, CaseRecord.case_id).where(
                same_place, CaseRecord.category == context.category,
                CaseRecord.received_at <= when, CaseRecord.received_at > when - dt.timedelta(days=30))
            rows = session.execute(nearby).all()
            week = [r for r in rows if when - r.received_at < dt.timedelta(days=7)]
            me = petitioner or "this case"
            place = {
                "area_name": context.area.village or context.area.township,
                "area_cases_7d": len(week) + 1,
                "area_petitioners_7d": len({r.petitioner_key or r.case_id for r in week} | {me}),
                "area_petitioners_30d": len({r.petitioner_key or r.case_id for r in rows} | {me}),
            }
        return History(**counts, **place, **copies), [r.case_id for r in week]

    def _alerts(self, session: Session, record: CaseRecord, alerts: tuple[RaisedAlert, ...], context: CaseContext,
                history: History, same_place_week: list[str]) -> None:
        """Record an alert once per cluster for each rule that raised one; later cases join its case list."""
        now = dt.datetime.now(dt.UTC)
        for alert in alerts:
            if alert.scope == "copies" and record.copy_cluster:
                key, area = f"copies|{record.copy_cluster}", history.area_name or None
                members = session.scalars(select(CaseRecord.case_id).where(
                    (CaseRecord.copy_cluster == record.copy_cluster) | (CaseRecord.case_id == record.copy_cluster))).all()
                existing = session.scalar(select(AlertRecord).where(AlertRecord.key == key))
            else:
                # An area cluster has no fixed root: it is the alert that already holds one of its cases.
                members = [*same_place_week, record.case_id]
                key, area = f"area|{context.category}|{record.case_id}", history.area_name
                recent = session.scalars(select(AlertRecord).where(
                    AlertRecord.key.startswith(f"area|{context.category}|"),
                    AlertRecord.updated_at > now - dt.timedelta(days=30))).all()
                existing = next((alert for alert in recent if set(alert.case_ids) & set(members)), None)
            if existing is None:
                session.add(AlertRecord(key=key, kind=alert.rule, created_at=now, updated_at=now, area=area,
                                        category=context.category, reason=alert.reason, case_ids=sorted(set(members))))
            else:
                existing.case_ids = sorted(set(existing.case_ids) | set(members))
                existing.updated_at = now

    @staticmethod
    def _same_place(area: Area):
        """Cases from the same village/community, or the same township, in the same county when known; None without a place."""
        conditions = []
        if area.village:
            conditions.append(CaseRecord.area_village == area.village)
        if area.township:
            conditions.append(CaseRecord.area_township == area.township)
        if not conditions:
            return None
        place = or_(*conditions)
        if area.county:
            place = and_(place, or_(CaseRecord.area_county == area.county, CaseRecord.area_county.is_(None)))
        return place

    def _record(self, request: TriageRequest, decision: TriageResponse, context: CaseContext, petitioner: str | None,
                root: str | None, history: History) -> CaseRecord:
        codes = [flag.code for flag in decision.risk.flags]
        area = context.area
        return CaseRecord(
            case_id=decision.case_id,
            received_at=decision.received_at,
            stored_at=dt.datetime.now(dt.UTC),
            content=request.content,
            request_hash=context.fingerprint,
            title=request.title,
            channel=request.channel,
            region=request.region.model_dump(exclude_none=True) if request.region else None,
            intake=intake_fields(request),
            petitioner_key=petitioner,
            petitioner_masked=self._masked(request),
            area_county=area.county or None,
            area_township=area.township or None,
            area_village=area.village or None,
            copy_cluster=root,
            category=decision.category.label,
            level=decision.risk.level,
            flags="," + ",".join(codes) + "," if codes else "",
            model_version=decision.versions.model,
            rules_version=decision.versions.rules,
            decision=decision.model_dump(mode="json"),
            history=history.facts(),
        )

    def add_feedback(self, case_id: str, by: str, **corrections) -> FeedbackRecord | None:
        """Store a handler's correction; None when the case is unknown."""
        with _available(), self._writes() as session, session.begin():
            if session.get(CaseRecord, case_id) is None:
                return None
            record = FeedbackRecord(case_id=case_id, by=by, created_at=dt.datetime.now(dt.UTC), **corrections)
            session.add(record)
        return record

    # ---- reading -------------------------------------------------------------------------------

    def get(self, case_id: str) -> TriageResponse | None:
        with _available(), self._reads() as session, session.begin():
            record = session.get(CaseRecord, case_id)
            return TriageResponse.model_validate(record.decision) if record else None

    def record(self, case_id: str) -> CaseRecord | None:
        with _available(), self._reads() as session, session.begin():
            return session.get(CaseRecord, case_id)

    def search(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None, region: str | None = None,
               category: str | None = None, level: str | None = None, flag: str | None = None,
               limit: int = 50, offset: int = 0) -> tuple[int, list[CaseRecord]]:
        """Stored cases matching every given filter, newest first; the total and one page."""
        query = select(CaseRecord)
        if since:
            query = query.where(CaseRecord.received_at >= since)
        if until:
            query = query.where(CaseRecord.received_at < until)
        if region:
            query = query.where(CaseRecord.area_county.startswith(region) | (CaseRecord.area_township == region)
                                | (CaseRecord.area_village == region))
        if category:
            query = query.where(CaseRecord.category == category)
        if level:
            query = query.where(CaseRecord.level == level)
        if flag:
            query = query.where(CaseRecord.flags.contains(f",{flag},"))
        with _available(), self._reads() as session, session.begin():
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = session.scalars(query.order_by(CaseRecord.received_at.desc(), CaseRecord.case_id)
                                   .limit(limit).offset(offset)).all()
        return total, list(page)

    def alerts(self) -> list[AlertRecord]:
        with _available(), self._reads() as session, session.begin():
            return list(session.scalars(select(AlertRecord).order_by(AlertRecord.created_at)).all())

    def corrected(self) -> list[tuple[CaseRecord, FeedbackRecord]]:
        """Cases with a category correction, each with its newest correction."""
        with _available(), self._reads() as session, session.begin():
            rows = session.execute(select(CaseRecord, FeedbackRecord).join(FeedbackRecord)
                                   .where(FeedbackRecord.category.is_not(None))
                                   .order_by(FeedbackRecord.case_id, FeedbackRecord.created_at, FeedbackRecord.id)).all()
        newest = {case.case_id: (case, feedback) for case, feedback in rows}
        return list(newest.values())

    def replayable(self, limit: int | None = None) -> list[tuple[TriageRequest, History | None]]:
        """Stored cases as requests again (newest first), each with the history it was decided with, for
        backtesting rules; identities are not replayed. Cases stored before migration 0005 have no history (None)."""
        query = select(CaseRecord).order_by(CaseRecord.received_at.desc()).limit(limit)
        with _available(), self._reads() as session, session.begin():
            return [
                (TriageRequest(
                    case_id=r.case_id, content=r.content, title=r.title, channel=r.channel, received_at=r.received_at,
                    region=r.region, headcount=(r.intake or {}).get("headcount"),
                    visited_level=(r.intake or {}).get("visited_level"),
                    petitioner={"age": r.intake["age"]} if (r.intake or {}).get("age") else None,
                ), History(**r.history) if r.history else None)
                for r in session.scalars(query)
            ]

    def rules_fired(self, since: dt.datetime | None = None) -> Iterator[tuple[str, list[str]]]:
        """(rules version, ids of the rules that fired) of every stored decision, oldest first."""
        query = select(CaseRecord.rules_version, CaseRecord.decision).order_by(CaseRecord.received_at)
        if since is not None:
            query = query.where(CaseRecord.received_at >= since)
        with _available(), self._reads() as session, session.begin():
            for version, decision in session.execute(query.execution_options(yield_per=1000)):
                yield version, decision.get("rules_fired", [])

    def count(self) -> int:
        with _available(), self._reads() as session, session.begin():
            return session.scalar(select(func.count()).select_from(CaseRecord)) or 0

    # ---- personal data -------------------------------------------------------------------------

    def petitioner_key(self, request: TriageRequest) -> str | None:
        p = request.petitioner
        identity = p and (p.id_number or p.id or p.phone)
        return keyed_hash(self._key, identity) if identity else None


    @staticmethod
    def _masked(request: TriageRequest) -> dict | None:
        p = request.petitioner
        if p is None:
            return None
        masked = {"id": mask_identifier(p.id) if p.id else None, "age": p.age}
        if p.phone:
            masked["phone"] = mask_phone(p.phone)
        if p.id_number:
            masked["id_number"] = mask_id_number(p.id_number)
        return {k: v for k, v in masked.items() if v is not None}


def intake_fields(request: TriageRequest) -> dict:
    """Headcount, visited level and age: the intake fields a replay needs, kept with the case."""
    age = request.petitioner.age if request.petitioner else None
    fields = {"headcount": request.headcount, "visited_level": request.visited_level, "age": age}
    return {k: v for k, v in fields.items() if v is not None}


class _AlreadyStored(Exception):
    pass


class CaseConflict(TriageError):
    """A case_id already stored with a different request: the new petition was not stored."""

    def __init__(self, stored_hash: str, sent_hash: str):
        self.stored_hash, self.sent_hash = stored_hash, sent_hash
        super().__init__("this case_id is already stored with a different request; nothing was stored")


class StoreUnavailable(TriageError):
    """The database failed (unreachable, locked, full, read-only); nothing of the failed operation was stored."""


@contextmanager
def _available():
    """Database failures as StoreUnavailable, with the driver's class only: its message may quote data."""
    try:
        yield
    except DBAPIError as exc:
        if isinstance(exc, IntegrityError):
            raise
        raise StoreUnavailable(f"the case store is unavailable ({type(exc.orig).__name__})") from exc
