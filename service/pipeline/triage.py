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
from service.pipeline.area import Area, areas_of
from service.pipeline.calendar import deadline
from service.pipeline.casefacts import ReadCase, case_text, read_case
from service.pipeline.classifier import Classifier, Prediction
from service.pipeline.history import History
from service.rulebook.active import ActiveRules
from service.rulebook.runner import RuleOutcome, RuleRunner
from service.store.repo import CaseContext, CaseRepository


@dataclass
class Explanation:
    """A decision with the facts the rules saw (for `triage explain`)."""

    decision: TriageResponse
    facts: dict


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
        """Decide one case; a case_id seen before returns its stored decision."""
        return self.triage_many([request])[0]

    def triage_many(self, requests: list[TriageRequest]) -> list[TriageResponse]:
        """Decide several cases (one classifier call for all); each is stored before it is returned.

        With a store, each case is decided with its history (earlier cases of the petitioner, the
        place, copies of the text) and stored in the same transaction, in request order.
        """
        known = {r.case_id: self.store.get(r.case_id) for r in requests if r.case_id and self.store}
        fresh = [r for r in requests if not known.get(r.case_id)]
        predictions = iter(self._predict(fresh))
        areas = iter(self._areas(fresh))
        results = []
        with self.rules.lease() as runner:  # one rule set for the whole batch, even if a reload lands meanwhile
            for request in requests:
                stored = known.get(request.case_id)
                results.append(stored or self._decide_and_store(runner, request, next(predictions), next(areas)))
        return results

    def explain(self, request: TriageRequest) -> Explanation:
        """The decision and the facts the rules saw; nothing is stored (history counts as a first case)."""
        request = _received(request)
        with self.rules.lease() as runner:
            prediction = self._predict([request])[0]
            return self._decide_one(runner, request, prediction, read_case(runner, request, prediction, request.received_at), History())

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

    def _decide_and_store(self, runner: RuleRunner, request: TriageRequest, prediction: Prediction,
                          area: Area | None) -> TriageResponse:
        request = _received(request)
        read = read_case(runner, request, prediction, request.received_at)  # the text work, before any lock
        if self.store is None or area is None:
            return self._decide_one(runner, request, prediction, read, History()).decision
        context = CaseContext(request, request.received_at, prediction.label, area)
        return self.store.decide_and_save(
            context, lambda history: self._decide_one(runner, request, prediction, read, history).decision)

    def _decide_one(self, runner: RuleRunner, request: TriageRequest, prediction: Prediction, read: ReadCase,
                    history: History) -> Explanation:
        outcome = read.decide(runner, history)
        decision = self._response(request, request.received_at, prediction, outcome, runner.rulebook.version)
        return Explanation(decision, outcome.facts)

    def _response(
        self, request: TriageRequest, received_at: dt.datetime, prediction: Prediction, outcome: RuleOutcome,
        rules_version: str,
    ) -> TriageResponse:
        day = received_at.astimezone(SHANGHAI).date()
        return TriageResponse(
            case_id=request.case_id or uuid.uuid4().hex,
            received_at=received_at,
            category=Category(
                label=prediction.label,
                subcategory=prediction.subcategory,
                confidence=prediction.confidence,
                top=[TopLabel(label=l, probability=p) for l, p in prediction.top],
                needs_review=prediction.needs_review,
                review_reason=prediction.review_reason,
            ),
            routing=Routing(
                tier=outcome.tier,
                department=outcome.department,
                procedure=outcome.procedure,
                accept_by=deadline(day, outcome.accept_days),
                resolve_by=deadline(day, outcome.resolve_days),
            ),
            risk=Risk(
                level=outcome.level,
                score=outcome.score,
                flags=[Flag(code=f.code, reason=f.reason, rule=f.rule) for f in outcome.flags],
            ),
            rules_fired=list(outcome.rules_fired),
            versions=Versions(model=self.classifier.version, rules=rules_version),
        )


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
