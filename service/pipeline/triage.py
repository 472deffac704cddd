"""One case through the whole pipeline: text → facts → classifier → history → rules → decision → store."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from service.domain import SHANGHAI, Area, Case, Category, Decision, RaisedAlert, Risk, Routing, TopLabel, Versions
from service.errors import CaseConflict, TriageError
from service.pipeline.alerts import record_alerts
from service.pipeline.area import areas_of
from service.pipeline.calendar import missing_schedule_warning
from service.pipeline.casefacts import ReadCase, case_text, read_case
from service.pipeline.classifier import Classifier, Prediction
from service.pipeline.history import Arrival, History, read_history
from service.pipeline.nearcopy import bands, shingles
from service.privacy import redact
from service.rulebook.active import ActiveRules
from service.rulebook.model import Rulebook
from service.rulebook.runner import RuleOutcome, RuleRunner
from service.store.engine import StoreUnavailable
from service.store.fingerprint import request_fingerprint
from service.store.repo import CaseRepository
from service.store.unit import NewCase, StoredCase, UnitOfWork


@dataclass
class Explanation:
    """A decision with the facts the rules saw (for `triage explain`) and the cluster alerts its rules raised."""

    decision: Decision
    facts: dict
    alerts: tuple[RaisedAlert, ...] = ()


@dataclass(frozen=True)
class _Pending:
    """A case read and classified, waiting for its history (everything costly is done before the write lock)."""

    case: Case  # redacted, with its arrival time
    case_id: str
    fingerprint: str
    petitioner_key: str | None
    prediction: Prediction
    read: ReadCase
    area: Area
    grams: frozenset[str]
    bands: tuple[str, ...]


class TriagePipeline:
    def __init__(self, classifier: Classifier, rules: ActiveRules, store: CaseRepository | None = None):
        self.classifier = classifier
        self.rules = rules
        self.store = store

    @property
    def runner(self) -> RuleRunner:
        """The active rules (they may be swapped by a reload at any moment between cases)."""
        return self.rules.current.runner

    def triage(self, case: Case) -> Decision:
        """Decide one case; a case_id seen before with the same request returns its stored decision."""
        result = self.triage_many([case])[0]
        if isinstance(result, TriageError):
            raise result
        return result

    def triage_many(self, cases: list[Case]) -> list[Decision | TriageError]:
        """Decide several cases in order, each with the history of every case before it; store them together.

        With a store, the cases are decided and stored in one transaction (a group commit): the
        batch decides exactly as the same cases sent one by one, and is stored whole or not at all.
        A case that cannot be decided gets its error in its place: CaseConflict for a case_id stored
        with a different request (nothing of it is stored; the others are); StoreUnavailable for
        every case of the batch when the store fails (none of them is stored; a retry is safe).
        """
        keys = [self.store.petitioner_key(c) if self.store else None for c in cases]
        fingerprints = [_fingerprint(c, key) for c, key in zip(cases, keys)]  # of what was sent, before redaction
        cases = [_received(redacted(c)) for c in cases]
        results: list[Decision | TriageError | None] = [None] * len(cases)
        if self.store is not None:
            try:
                stored = self.store.stored([c.case_id for c in cases if c.case_id])
            except StoreUnavailable as exc:
                return [exc] * len(cases)
            for index, (case, fingerprint) in enumerate(zip(cases, fingerprints)):
                known = stored.get(case.case_id) if case.case_id else None
                if known is not None:  # a retry: no need to classify it again
                    results[index] = _stored_answer(known, fingerprint)
        fresh = [i for i, r in enumerate(results) if r is None]
        predictions = self._predict([cases[i] for i in fresh])
        with self.rules.lease() as runner:  # one rule set for the whole batch, even if a reload lands meanwhile
            reads = {i: read_case(runner, cases[i], p, cases[i].received_at, self.classifier.flag_context)
                     for i, p in zip(fresh, predictions)}
            if self.store is None:
                for i, prediction in zip(fresh, predictions):
                    results[i] = self._decide_one(runner, cases[i], cases[i].case_id or uuid.uuid4().hex, prediction,
                                                  reads[i], History()).decision
                return results
            pending = [_Pending(cases[i], cases[i].case_id or uuid.uuid4().hex, fingerprints[i], keys[i], prediction,
                                reads[i], area, frozenset(grams), tuple(sorted(set(bands(grams)))))
                       for i, prediction, area in zip(fresh, predictions, self._areas([cases[i] for i in fresh]))
                       for grams in [shingles(case_text(cases[i]))]]
            try:
                with self.store.writing() as work:
                    # Stored meanwhile (another worker) or earlier in this batch: answered from the store.
                    known = work.stored([item.case_id for item in pending if item.case.case_id])
                    for i, item in zip(fresh, pending):
                        if item.case.case_id and item.case_id in known:
                            results[i] = _stored_answer(known[item.case_id], item.fingerprint)
                            continue
                        results[i] = decision = self._decide_and_save(work, runner, item)
                        known[item.case_id] = StoredCase(item.fingerprint, decision)
            except StoreUnavailable as exc:
                for i in fresh:
                    if not isinstance(results[i], CaseConflict):
                        results[i] = exc
        return results

    def explain(self, case: Case) -> Explanation:
        """The decision and the facts the rules saw; nothing is stored (history counts as a first case)."""
        case = _received(redacted(case))
        with self.rules.lease() as runner:
            prediction = self._predict([case])[0]
            read = read_case(runner, case, prediction, case.received_at, self.classifier.flag_context)
            return self._decide_one(runner, case, case.case_id or uuid.uuid4().hex, prediction, read, History())

    def _predict(self, cases: list[Case]) -> list[Prediction]:
        if not cases:
            return []
        return self.classifier.predict([c.title or "" for c in cases], [c.content for c in cases])

    @staticmethod
    def _areas(cases: list[Case]) -> list[Area]:
        """Where each case comes from (history facts group cases by place)."""
        found = areas_of([(case_text(c), c.region.code if c.region else None, _region_name(c.region)) for c in cases])
        return [replace(area, township=c.region.township or area.township, village=c.region.village or area.village)
                if c.region else area  # the intake's own names win over the text's
                for c, area in zip(cases, found)]

    def _decide_and_save(self, work: UnitOfWork, runner: RuleRunner, item: _Pending) -> Decision:
        """Decide one case with its history as the store holds it now, and save it in the unit of work."""
        arrival = Arrival(item.case_id, item.case.received_at, item.prediction.label, item.area, item.petitioner_key,
                          item.grams)
        reading = read_history(work, arrival, item.bands)
        explained = self._decide_one(runner, item.case, item.case_id, item.prediction, item.read, reading.history)
        decision = explained.decision
        work.save(NewCase(item.case, decision, item.fingerprint, item.petitioner_key, item.area, reading.copy_cluster,
                          reading.history.facts(), item.bands))
        record_alerts(work, explained.alerts, decision, reading)
        return decision

    def _decide_one(self, runner: RuleRunner, case: Case, case_id: str, prediction: Prediction, read: ReadCase,
                    history: History) -> Explanation:
        outcome = read.decide(runner, history)
        decision = self._response(case_id, case.received_at, prediction, outcome, runner.rulebook)
        return Explanation(decision, outcome.facts, outcome.alerts)

    def _response(self, case_id: str, received_at: dt.datetime, prediction: Prediction, outcome: RuleOutcome,
                  rulebook: Rulebook) -> Decision:
        day = received_at.astimezone(SHANGHAI).date()
        workdays = rulebook.workdays
        accept_by, resolve_by = workdays.deadline(day, outcome.accept_days), workdays.deadline(day, outcome.resolve_days)
        unknown = workdays.missing_years(range(day.year, resolve_by.year + 1))
        return Decision(
            case_id=case_id,
            received_at=received_at,
            category=Category(
                label=prediction.label,
                subcategory=prediction.subcategory,
                type=prediction.type,
                confidence=prediction.confidence,
                top=[TopLabel(label=l, probability=p) for l, p in prediction.top],
                needs_review=prediction.needs_review,
                review_reason=prediction.review_reason,
            ),
            request_kind=str(outcome.facts.get("request_kind") or rulebook.lexicon.request_kinds.default),
            routing=Routing(
                tier=outcome.tier,
                department=outcome.department,
                procedure=outcome.procedure,
                accept_by=accept_by,
                resolve_by=resolve_by,
            ),
            risk=Risk(level=outcome.level, score=outcome.score, flags=list(outcome.flags)),
            rules_fired=list(outcome.rules_fired),
            versions=Versions(model=self.classifier.version, rules=rulebook.version),
            warnings=[missing_schedule_warning(unknown)] if unknown else [],
        )


def redacted(case: Case) -> Case:
    """The case with personal data masked in its free text (title, content, region names).

    Everything after intake reads this copy, so no later stage can quote a phone
    number, an ID number or a name into a stored text, a flag reason or a log.
    The petitioner's identity fields stay: the store keeps only their keyed hash and masks.
    """
    region = case.region
    if region is not None:
        region = region.model_copy(update={k: redact(v) for k, v in region.model_dump(exclude={"code"}).items() if v})
    return case.model_copy(update={"content": redact(case.content), "region": region,
                                   "title": redact(case.title) if case.title else None})


def _received(case: Case) -> Case:
    """The case with its arrival time: the intake's, or now."""
    if case.received_at is not None:
        return case
    return case.model_copy(update={"received_at": dt.datetime.now(SHANGHAI)})


def _fingerprint(case: Case, petitioner_key: str | None) -> str:
    region = case.region.model_dump(exclude_none=True) if case.region else None
    return request_fingerprint(content=case.content, title=case.title, channel=case.channel, region=region,
                               intake=case.intake_fields(), petitioner_key=petitioner_key)


def _stored_answer(known: StoredCase, fingerprint: str) -> Decision | CaseConflict:
    """A case_id already stored: its decision when the same request was sent again, else a conflict."""
    return known.decision if known.fingerprint == fingerprint else CaseConflict(known.fingerprint, fingerprint)


def _region_name(region) -> str | None:
    """The intake's region names joined (省市县), for the division lookup when no code is sent."""
    if region is None:
        return None
    names = [region.province, region.city, region.county, region.township]
    return "".join(n for n in names if n) or None
