"""The facts one case puts before the rules: intake fields, text signals, classification, history.

Shared by the live pipeline, rule tests, backtests and simulations, so that a
rule test passes exactly when the service would decide the same way.
"""

from __future__ import annotations

import datetime as dt

from service.api.schemas import SHANGHAI, TriageRequest
from service.pipeline.classifier import Prediction
from service.pipeline.facts import Scalar, intake_facts, merge_facts
from service.pipeline.history import History
from service.pipeline.normalize import normalize_text
from service.rulebook.model import Rulebook
from service.rulebook.runner import RuleOutcome, RuleRunner


def case_text(request: TriageRequest) -> str:
    """Title and body, normalised: the text signals and text tests read."""
    return normalize_text(f"{request.title or ''}\n{request.content}")


def case_facts(rulebook: Rulebook, request: TriageRequest, prediction: Prediction,
               received_at: dt.datetime, history: History = History()) -> dict[str, Scalar]:
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
        rulebook.lexicon.text_facts(case_text(request)),
    )
    facts.update(
        category=prediction.label,
        subcategory=prediction.subcategory or "",
        confidence=prediction.confidence,
        needs_review=prediction.needs_review,
        **history.facts(),
    )
    return facts


def decide_rules(runner: RuleRunner, request: TriageRequest, prediction: Prediction, received_at: dt.datetime,
                 history: History = History(), overrides: dict[str, Scalar] | None = None) -> RuleOutcome:
    """Run the rules on one case: its facts (with any overrides, as rule tests give them) and its text."""
    facts = case_facts(runner.rulebook, request, prediction, received_at, history)
    facts.update(overrides or {})
    return runner.run(facts, case_text(request))
