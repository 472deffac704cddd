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
from service.pipeline.classifier import Classifier, Prediction
from service.pipeline.facts import intake_facts, merge_facts
from service.pipeline.normalize import normalize_text
from service.rulebook.runner import RuleOutcome, RuleRunner
from service.store.repo import CaseRepository


@dataclass
class Explanation:
    """A decision with the facts the rules saw (for `triage explain`)."""

    decision: TriageResponse
    facts: dict


class TriagePipeline:
    def __init__(self, classifier: Classifier, runner: RuleRunner, store: CaseRepository | None = None):
        self.classifier = classifier
        self.runner = runner
        self.store = store

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
        return [self._decide_one(r, p) for r, p in zip(requests, predictions)]

    def _decide_one(self, request: TriageRequest, prediction: Prediction) -> Explanation:
        rulebook = self.runner.rulebook
        received_at = request.received_at or dt.datetime.now(SHANGHAI)
        text = normalize_text(f"{request.title or ''}\n{request.content}")
        petitioner = request.petitioner
        facts = merge_facts(
            intake_facts(
                channel=request.channel,
                headcount=request.headcount,
                visited_level=request.visited_level,
                petitioner_age=petitioner.age if petitioner else None,
                region_code=request.region.code if request.region else None,
                received_at=received_at.astimezone(SHANGHAI),
                calendar=rulebook.calendar,
            ),
            rulebook.lexicon.text_facts(text),
        )
        facts.update(
            category=prediction.label,
            subcategory=prediction.subcategory or "",
            confidence=prediction.confidence,
            needs_review=prediction.needs_review,
        )
        outcome = self.runner.run(facts, text)
        decision = self._response(request, received_at, prediction, outcome)
        return Explanation(decision, outcome.facts)

    def _response(
        self, request: TriageRequest, received_at: dt.datetime, prediction: Prediction, outcome: RuleOutcome
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
            versions=Versions(model=self.classifier.version, rules=self.runner.rulebook.version),
        )
