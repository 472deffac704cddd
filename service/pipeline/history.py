"""History facts: what the case store knew about a case's petitioner, place and text before it arrived.

Read inside the unit of work that stores the case (`read_history`); without a
store every case is a first case. The names are the fact names the rules read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.domain import Area
from service.pipeline.fact_table import fact_model, facts_from
from service.pipeline.nearcopy import COPY_JACCARD, jaccard, shingles
from service.pipeline.normalize import joined_text
from service.store.unit import UnitOfWork

PETITIONER_LOOKBACK = dt.timedelta(days=3650)
PLACE_LOOKBACK = dt.timedelta(days=30)
PLACE_WEEK = dt.timedelta(days=7)


class History(fact_model("HistoryFacts", facts_from("store"))):
    """The history facts (declared in fact_table.py); the area and copy counts include the case itself."""

    def facts(self) -> dict[str, int | str]:
        return self.model_dump()


@dataclass(frozen=True)
class Arrival:
    """A case about to be stored, as its history is looked up: who, where, what, when."""

    case_id: str
    received_at: dt.datetime
    category: str
    area: Area
    petitioner_key: str | None
    grams: frozenset[str]  # near-copy shingles of its text


@dataclass(frozen=True)
class HistoryReading:
    history: History
    copy_cluster: str | None  # case_id of the first case this one copies
    same_place_week: tuple[str, ...]  # earlier cases of its place and category within 7 days


def read_history(work: UnitOfWork, arrival: Arrival, bands: tuple[str, ...]) -> HistoryReading:
    cluster, copies = _copies(work, arrival, bands)
    petitioner = _petitioner(work, arrival)
    place, week = _place(work, arrival)
    return HistoryReading(History(**petitioner, **place, **copies), cluster, week)


def _petitioner(work: UnitOfWork, arrival: Arrival) -> dict[str, int]:
    if not arrival.petitioner_key:
        return {}
    when = arrival.received_at
    earlier = work.petitioner_cases(arrival.petitioner_key, when - PETITIONER_LOOKBACK, when)
    ages = [(when - c.received_at).days for c in earlier]
    return {
        "petitioner_cases_30d": sum(a < 30 for a in ages),
        "petitioner_cases_90d": sum(a < 90 for a in ages),
        "petitioner_cases_365d": sum(a < 365 for a in ages),
        "petitioner_same_category_365d": sum(a < 365 and c.category == arrival.category for a, c in zip(ages, earlier)),
        "petitioner_first_seen_days": max(ages, default=0),
    }


def _place(work: UnitOfWork, arrival: Arrival) -> tuple[dict, tuple[str, ...]]:
    area, when = arrival.area, arrival.received_at
    if not (area.village or area.township):
        return {}, ()
    month = work.place_cases(area, arrival.category, when - PLACE_LOOKBACK, when)
    week = [c for c in month if when - c.received_at < PLACE_WEEK]
    me = _sender(arrival.petitioner_key, arrival.case_id)
    return {
        "area_name": area.village or area.township,
        "area_cases_7d": len(week) + 1,
        "area_petitioners_7d": len({_sender(c.petitioner_key, c.case_id) for c in week} | {me}),
        "area_petitioners_30d": len({_sender(c.petitioner_key, c.case_id) for c in month} | {me}),
    }, tuple(c.case_id for c in week)


def _copies(work: UnitOfWork, arrival: Arrival, bands: tuple[str, ...]) -> tuple[str | None, dict[str, int]]:
    """The cluster root this text copies, and the cluster's size and distinct senders with this case.

    Senders, not letters, make a joint letter: one petitioner sending the same letter five times is repeating.
    """
    best: tuple[float, float, str] | None = None
    for candidate in work.copy_candidates(bands):
        similarity = jaccard(arrival.grams, shingles(joined_text(candidate.title, candidate.content)))
        if similarity >= COPY_JACCARD and (best is None or (similarity, -candidate.received_at.timestamp()) > best[:2]):
            best = (similarity, -candidate.received_at.timestamp(), candidate.cluster)
    if best is None:
        return None, {}
    root = best[2]
    members = work.cluster_members(root)
    senders = {_sender(m.petitioner_key, m.case_id) for m in members} | {_sender(arrival.petitioner_key, arrival.case_id)}
    return root, {"copy_cluster_size": len(members) + 1, "copy_cluster_petitioners": len(senders)}


def _sender(petitioner_key: str | None, case_id: str) -> str:
    """Who sent a case: the petitioner, or the case alone when the intake named no one."""
    return petitioner_key or f"case:{case_id}"

