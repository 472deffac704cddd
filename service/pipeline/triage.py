"""One case through the whole pipeline: text → facts → classifier → rules → decision."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

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
from service.pipeline.calendar import deadline
from service.pipeline.casefacts import case_facts, case_text
from service.pipeline.classifier import Classifier, Prediction
from service.rulebook.active import ActiveRules
from service.rulebook.runner import RuleOutcome, RuleRunner
from service.store.repo import CaseRepository


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
        """Decide several cases (one classifier call for all); each is stored before it is returned."""
        known = {r.case_id: self.store.get(r.case_id) for r in requests if r.case_id and self.store}
        fresh = [r for r in requests if not known.get(r.case_id)]
        decided = iter(self._decide(fresh))
        results = []
        for request in requests:
            stored = known.get(request.case_id)
            if stored:
                results.append(stored)
                continue
            decision = next(decided).decision
            results.append(self.store.save(request, decision) if self.store else decision)
        return results

    def explain(self, request: TriageRequest) -> Explanation:
        return self._decide([request])[0]

    def _decide(self, requests: list[TriageRequest]) -> list[Explanation]:
        if not requests:
            return []
        predictions = self.classifier.predict([r.title or "" for r in requests], [r.content for r in requests])
        with self.rules.lease() as runner:  # one rule set for the whole batch, even if a reload lands meanwhile
            return [self._decide_one(runner, r, p) for r, p in zip(requests, predictions)]

    def _decide_one(self, runner: RuleRunner, request: TriageRequest, prediction: Prediction) -> Explanation:
        received_at = request.received_at or dt.datetime.now(SHANGHAI)
        facts = case_facts(runner.rulebook, request, prediction, received_at)
        outcome = runner.run(facts, case_text(request))
        decision = self._response(request, received_at, prediction, outcome, runner.rulebook.version)
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
