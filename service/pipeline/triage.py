"""One case through the whole pipeline: text → facts → classifier → rules → decision."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from service.api.schemas import (
    SHANGHAI,
    Category,
    Flag,
    Risk,
    Routing,
    TopLabel,
    TriageRequest,
    TriageResponse,
    Versions,
)
from service.errors import TriageError
from service.pipeline.area import Area, areas_of
from service.pipeline.calendar import missing_schedule_warning
from service.pipeline.casefacts import ReadCase, case_text, read_case
from service.pipeline.classifier import Classifier, Prediction
from service.pipeline.history import History
from service.rulebook.active import ActiveRules
from service.rulebook.model import Rulebook
from service.rulebook.runner import RaisedAlert, RuleOutcome, RuleRunner
from service.privacy import redact
from service.store.fingerprint import request_fingerprint
from service.store.repo import CaseConflict, CaseContext, CaseRepository, StoreUnavailable, intake_fields


@dataclass
class Explanation:
    """A decision with the facts the rules saw (for `triage explain`) and the cluster alerts its rules raised."""

    decision: TriageResponse
    facts: dict
    alerts: tuple[RaisedAlert, ...] = ()


class TriagePipeline:
    def __init__(self, classifier: Classifier, rules: ActiveRules, store: CaseRepository | None = None):
        self.classifier = classifier
        self.rules = rules
        self.store = store

    @property
    def runner(self) -> RuleRunner:
        """The active rules (they may be swapped by a reload at any moment between cases)."""
        return self.rules.current.runner

    def triage(self, request: TriageRequest) -> TriageResponse:
        """Decide one case; a case_id seen before with the same request returns its stored decision."""
        result = self.triage_many([request])[0]
        if isinstance(result, TriageError):
            raise result
        return result

    def triage_many(self, requests: list[TriageRequest]) -> list[TriageResponse | TriageError]:
        """Decide several cases (one classifier call for all); each is stored before it is returned.

        With a store, each case is decided with its history (earlier cases of the petitioner, the
        place, copies of the text) and stored in the same transaction, in request order. A case
        that cannot be decided gets its error in its place: CaseConflict for a case_id stored with
        a different request; StoreUnavailable when the store fails, and the cases after it are not
        tried (none of them is stored; a retry of the whole batch is safe).
        """
        fingerprints = [self._fingerprint(r) for r in requests]  # of what was sent, before redaction
        requests = [redacted(r) for r in requests]
        results: list[TriageResponse | TriageError | None] = [None] * len(requests)
        fresh = []
        for index, (request, fingerprint) in enumerate(zip(requests, fingerprints)):
            try:
                results[index] = self.store.stored(request.case_id, fingerprint) if request.case_id and self.store else None
            except TriageError as exc:
                results[index] = exc
            if results[index] is None:
                fresh.append(index)
        predictions = self._predict([requests[i] for i in fresh])
        areas = self._areas([requests[i] for i in fresh])
        failed: StoreUnavailable | None = None
        with self.rules.lease() as runner:  # one rule set for the whole batch, even if a reload lands meanwhile
            for index, prediction, area in zip(fresh, predictions, areas):
                try:
                    if failed:
                        raise failed
                    results[index] = self._decide_and_store(runner, requests[index], fingerprints[index], prediction, area)
                except StoreUnavailable as exc:
                    failed = results[index] = exc
                except CaseConflict as exc:
                    results[index] = exc
        return results

    def _fingerprint(self, request: TriageRequest) -> str:
        region = request.region.model_dump(exclude_none=True) if request.region else None
        return request_fingerprint(content=request.content, title=request.title, channel=request.channel, region=region,
                                   intake=intake_fields(request),
                                   petitioner_key=self.store.petitioner_key(request) if self.store else None)

    def explain(self, request: TriageRequest) -> Explanation:
        """The decision and the facts the rules saw; nothing is stored (history counts as a first case)."""
        request = _received(redacted(request))
        with self.rules.lease() as runner:
            prediction = self._predict([request])[0]
            read = read_case(runner, request, prediction, request.received_at, self.classifier.flag_context)
            return self._decide_one(runner, request, prediction, read, History())

    def _predict(self, requests: list[TriageRequest]) -> list[Prediction]:
        if not requests:
            return []
        return self.classifier.predict([r.title or "" for r in requests], [r.content for r in requests])

    def _areas(self, requests: list[TriageRequest]) -> list[Area | None]:
        """Where each case comes from (only needed with a store: areas feed history facts)."""
        if self.store is None:
            return [None] * len(requests)
        found = areas_of([(case_text(r), r.region.code if r.region else None, _region_name(r.region)) for r in requests])
        return [replace(area, township=r.region.township or area.township, village=r.region.village or area.village)
                if r.region else area  # the intake's own names win over the text's
                for r, area in zip(requests, found)]

    def _decide_and_store(self, runner: RuleRunner, request: TriageRequest, fingerprint: str, prediction: Prediction,
                          area: Area | None) -> TriageResponse:
        request = _received(request)
        read = read_case(runner, request, prediction, request.received_at, self.classifier.flag_context)  # before any lock
        if self.store is None or area is None:
            return self._decide_one(runner, request, prediction, read, History()).decision
        context = CaseContext(request, request.received_at, prediction.label, area, fingerprint)
        def decide(history: History) -> tuple[TriageResponse, tuple[RaisedAlert, ...]]:
            explained = self._decide_one(runner, request, prediction, read, history)
            return explained.decision, explained.alerts

        return self.store.decide_and_save(context, decide)

    def _decide_one(self, runner: RuleRunner, request: TriageRequest, prediction: Prediction, read: ReadCase,
                    history: History) -> Explanation:
        outcome = read.decide(runner, history)
        decision = self._response(request, request.received_at, prediction, outcome, runner.rulebook)
        return Explanation(decision, outcome.facts, outcome.alerts)

    def _response(
        self, request: TriageRequest, received_at: dt.datetime, prediction: Prediction, outcome: RuleOutcome,
        rulebook: Rulebook,
    ) -> TriageResponse:
        day = received_at.astimezone(SHANGHAI).date()
        workdays = rulebook.workdays
        accept_by, resolve_by = workdays.deadline(day, outcome.accept_days), workdays.deadline(day, outcome.resolve_days)
        unknown = workdays.missing_years(range(day.year, resolve_by.year + 1))
        return TriageResponse(
            case_id=request.case_id or uuid.uuid4().hex,
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
            risk=Risk(
                level=outcome.level,
                score=outcome.score,
                flags=[Flag(code=f.code, reason=f.reason, rule=f.rule) for f in outcome.flags],
            ),
            rules_fired=list(outcome.rules_fired),
            versions=Versions(model=self.classifier.version, rules=rulebook.version),
            warnings=[missing_schedule_warning(unknown)] if unknown else [],
        )


def redacted(request: TriageRequest) -> TriageRequest:
    """The request with personal data masked in its free text (title, content, region names).

    Everything after intake reads this copy, so no later stage can quote a phone
    number, an ID number or a name into a stored text, a flag reason or a log.
    The petitioner's identity fields stay: the store keeps only their keyed hash and masks.
    """
    region = request.region
    if region is not None:
        region = region.model_copy(update={k: redact(v) for k, v in region.model_dump(exclude={"code"}).items() if v})
    return request.model_copy(update={"content": redact(request.content), "region": region,
                                      "title": redact(request.title) if request.title else None})


def _received(request: TriageRequest) -> TriageRequest:
    """The request with its arrival time: the intake's, or now."""
    if request.received_at is not None:
        return request
    return request.model_copy(update={"received_at": dt.datetime.now(SHANGHAI)})


def _region_name(region) -> str | None:
    """The intake's region names joined (省市县), for the division lookup when no code is sent."""
    if region is None:
        return None
    names = [region.province, region.city, region.county, region.township]
    return "".join(n for n in names if n) or None
