"""What analysts and tools read from the store: cases, alerts, corrections, replays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select

from service.domain import Case, Decision
from service.store.engine import available
from service.store.records import decision_of, fired_rules
from service.store.tables import AlertRecord, CaseRecord, FeedbackRecord
from service.store.unit import StoredCase


class CaseQueries:
    """The read side of `CaseRepository` (which provides `_reads`, a session factory)."""

    def get(self, case_id: str) -> Decision | None:
        with available(), self._reads() as session, session.begin():
            record = session.get(CaseRecord, case_id)
            return decision_of(record.decision) if record else None

    def stored(self, case_ids: list[str]) -> dict[str, StoredCase]:
        """The stored request fingerprint and decision of each of these case_ids that is stored."""
        if not case_ids:
            return {}
        with available(), self._reads() as session, session.begin():
            rows = session.execute(select(CaseRecord.case_id, CaseRecord.request_hash, CaseRecord.decision)
                                   .where(CaseRecord.case_id.in_(set(case_ids))))
            return {r.case_id: StoredCase(r.request_hash or "", decision_of(r.decision)) for r in rows}

    def record(self, case_id: str) -> CaseRecord | None:
        with available(), self._reads() as session, session.begin():
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
        with available(), self._reads() as session, session.begin():
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = session.scalars(query.order_by(CaseRecord.received_at.desc(), CaseRecord.case_id)
                                   .limit(limit).offset(offset)).all()
        return total, list(page)

    def alerts(self) -> list[AlertRecord]:
        with available(), self._reads() as session, session.begin():
            return list(session.scalars(select(AlertRecord).order_by(AlertRecord.created_at)).all())

    def corrected(self) -> list[tuple[CaseRecord, FeedbackRecord]]:
        """Cases with a category correction, each with its newest correction."""
        with available(), self._reads() as session, session.begin():
            rows = session.execute(select(CaseRecord, FeedbackRecord).join(FeedbackRecord)
                                   .where(FeedbackRecord.category.is_not(None))
                                   .order_by(FeedbackRecord.case_id, FeedbackRecord.created_at, FeedbackRecord.id)).all()
        newest = {case.case_id: (case, feedback) for case, feedback in rows}
        return list(newest.values())

    def replayable(self, limit: int | None = None) -> list[tuple[Case, dict | None]]:
        """Stored cases as requests again (newest first), each with the history facts it was decided with, for
        backtesting rules; identities are not replayed. Cases stored before migration 0005 have no history (None)."""
        query = select(CaseRecord).order_by(CaseRecord.received_at.desc()).limit(limit)
        with available(), self._reads() as session, session.begin():
            return [
                (Case(
                    case_id=r.case_id, content=r.content, title=r.title, channel=r.channel, received_at=r.received_at,
                    region=r.region, headcount=(r.intake or {}).get("headcount"),
                    visited_level=(r.intake or {}).get("visited_level"),
                    petitioner={"age": r.intake["age"]} if (r.intake or {}).get("age") else None,
                ), r.history or None)
                for r in session.scalars(query)
            ]

    def rules_fired(self, since: dt.datetime | None = None) -> Iterator[tuple[str, list[str]]]:
        """(rules version, ids of the rules that fired) of every stored decision, oldest first."""
        query = select(CaseRecord.rules_version, CaseRecord.decision).order_by(CaseRecord.received_at)
        if since is not None:
            query = query.where(CaseRecord.received_at >= since)
        with available(), self._reads() as session, session.begin():
            for version, decision in session.execute(query.execution_options(yield_per=1000)):
                yield version, fired_rules(decision)

    def count(self) -> int:
        with available(), self._reads() as session, session.begin():
            return session.scalar(select(func.count()).select_from(CaseRecord)) or 0
