"""A unit of work: the reads a decision needs and the writes that store it, in one locked transaction.

The pipeline decides; the store only answers its questions (this petitioner's
earlier cases, this place's recent cases, texts that may be copies) and keeps
what it is given. One unit may hold many cases (a batch is committed once): each
case's questions see the cases saved before it in the same unit, so a batch
decides exactly as the same cases sent one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from service.domain import Area, Case, Decision
from service.privacy import mask_id_number, mask_identifier, mask_phone
from service.store.records import decision_document, decision_of
from service.store.tables import AlertRecord, CaseRecord, CopyBand


@dataclass(frozen=True)
class PastCase:
    """An earlier case, as much of it as history facts need."""

    case_id: str
    received_at: dt.datetime
    category: str
    petitioner_key: str | None


@dataclass(frozen=True)
class CopyCandidate:
    """A stored case that shares a near-copy band with a new text."""

    case_id: str
    received_at: dt.datetime
    title: str | None
    content: str
    cluster: str  # the case_id of its cluster's first case (its own when it starts one)


@dataclass(frozen=True)
class StoredCase:
    fingerprint: str
    decision: Decision


@dataclass(frozen=True)
class NewCase:
    """A decided case as the store keeps it (its text already redacted by the pipeline)."""

    case: Case
    decision: Decision
    fingerprint: str  # of the request as sent (see fingerprint.py)
    petitioner_key: str | None
    area: Area
    copy_cluster: str | None
    history: dict
    bands: tuple[str, ...]


class UnitOfWork:
    def __init__(self, session: Session):
        self._session = session

    def stored(self, case_ids: list[str]) -> dict[str, StoredCase]:
        """The fingerprint and decision of each of these case_ids that is stored (one query for a batch)."""
        if not case_ids:
            return {}
        rows = self._session.execute(select(CaseRecord.case_id, CaseRecord.request_hash, CaseRecord.decision)
                                     .where(CaseRecord.case_id.in_(set(case_ids))))
        return {r.case_id: StoredCase(r.request_hash or "", decision_of(r.decision)) for r in rows}

    def petitioner_cases(self, petitioner_key: str, since: dt.datetime, until: dt.datetime) -> list[PastCase]:
        """The petitioner's cases received in (since, until]."""
        return self._past(CaseRecord.petitioner_key == petitioner_key, since, until)

    def place_cases(self, area: Area, category: str, since: dt.datetime, until: dt.datetime) -> list[PastCase]:
        """Cases of one category from the same village/community or township (same county when known)."""
        place = _same_place(area)
        return [] if place is None else self._past(and_(place, CaseRecord.category == category), since, until)

    def _past(self, where, since: dt.datetime, until: dt.datetime) -> list[PastCase]:
        rows = self._session.execute(
            select(CaseRecord.case_id, CaseRecord.received_at, CaseRecord.category, CaseRecord.petitioner_key)
            .where(where, CaseRecord.received_at <= until, CaseRecord.received_at > since))
        return [PastCase(*row) for row in rows]

    def copy_candidates(self, bands: tuple[str, ...]) -> list[CopyCandidate]:
        candidates = select(CopyBand.case_id).where(CopyBand.band.in_(bands)).distinct()
        rows = self._session.execute(
            select(CaseRecord.case_id, CaseRecord.received_at, CaseRecord.title, CaseRecord.content,
                   CaseRecord.copy_cluster).where(CaseRecord.case_id.in_(candidates)))
        return [CopyCandidate(r.case_id, r.received_at, r.title, r.content, r.copy_cluster or r.case_id) for r in rows]

    def cluster_members(self, root: str) -> list[PastCase]:
        """Every stored case of the copy cluster that starts at `root`, the root included."""
        rows = self._session.execute(
            select(CaseRecord.case_id, CaseRecord.received_at, CaseRecord.category, CaseRecord.petitioner_key)
            .where((CaseRecord.copy_cluster == root) | (CaseRecord.case_id == root)))
        return [PastCase(*row) for row in rows]

    def save(self, new: NewCase) -> None:
        """Insert the case and its copy bands (plain INSERTs: the next case's questions see them at once)."""
        session, case_id = self._session, new.decision.case_id
        session.execute(insert(CaseRecord), [_row(new)])
        session.execute(insert(CopyBand), [{"band": band, "case_id": case_id} for band in new.bands])
        if new.copy_cluster and new.copy_cluster != case_id:
            session.execute(update(CaseRecord).where(CaseRecord.case_id == new.copy_cluster, CaseRecord.copy_cluster.is_(None))
                            .values(copy_cluster=new.copy_cluster))

    def upsert_alert(self, *, key: str, kind: str, area: str | None, category: str, reason: str, case_ids: list[str],
                     joins: str | None = None, join_window: dt.timedelta = dt.timedelta(days=30)) -> None:
        """Open the alert `key`, or add the cases to it when open.

        `joins`: a key prefix; an alert under it, updated within `join_window`, that holds any of
        `case_ids` is the one that grows (a cluster with no fixed root is the alert that holds it).
        """
        now = dt.datetime.now(dt.UTC)
        if joins is None:
            existing = self._session.scalar(select(AlertRecord).where(AlertRecord.key == key))
        else:
            recent = self._session.scalars(select(AlertRecord).where(
                AlertRecord.key.startswith(joins), AlertRecord.updated_at > now - join_window)).all()
            existing = next((alert for alert in recent if set(alert.case_ids) & set(case_ids)), None)
        if existing is None:
            self._session.add(AlertRecord(key=key, kind=kind, created_at=now, updated_at=now, area=area,
                                          category=category, reason=reason, case_ids=sorted(set(case_ids))))
        else:
            existing.case_ids = sorted(set(existing.case_ids) | set(case_ids))
            existing.updated_at = now


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


def _row(new: NewCase) -> dict:
    case, decision, area = new.case, new.decision, new.area
    codes = [flag.code for flag in decision.risk.flags]
    return dict(
        case_id=decision.case_id,
        received_at=decision.received_at,
        stored_at=dt.datetime.now(dt.UTC),
        content=case.content,
        request_hash=new.fingerprint,
        title=case.title,
        channel=case.channel,
        region=case.region.model_dump(exclude_none=True) if case.region else None,
        intake=case.intake_fields(),
        petitioner_key=new.petitioner_key,
        petitioner_masked=_masked(case),
        area_county=area.county or None,
        area_township=area.township or None,
        area_village=area.village or None,
        copy_cluster=new.copy_cluster,
        category=decision.category.label,
        level=decision.risk.level,
        flags="," + ",".join(codes) + "," if codes else "",
        model_version=decision.versions.model,
        rules_version=decision.versions.rules,
        decision=decision_document(decision),
        history=new.history,
    )


def _masked(case: Case) -> dict | None:
    p = case.petitioner
    if p is None:
        return None
    masked = {"id": mask_identifier(p.id) if p.id else None, "age": p.age}
    if p.phone:
        masked["phone"] = mask_phone(p.phone)
    if p.id_number:
        masked["id_number"] = mask_id_number(p.id_number)
    return {k: v for k, v in masked.items() if v is not None}
