"""The facts one case puts before the rules: intake fields, text signals, classification, history.

Shared by the live pipeline, rule tests, backtests and simulations, so that a
rule test passes exactly when the service would decide the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.domain import SHANGHAI, Case
from service.pipeline.classifier import Prediction
from service.pipeline.facts import Scalar, intake_facts, merge_facts
from service.pipeline.flag_context import FlagContext
from service.pipeline.history import History
from service.pipeline.normalize import joined_text, normalize_text
from service.rulebook.model import Rulebook
from service.rulebook.runner import RuleOutcome, RuleRunner


def case_text(case: Case) -> str:
    """Title and body, normalised: the text signals and text tests read."""
    return joined_text(case.title, case.content)


def case_facts(rulebook: Rulebook, case: Case, prediction: Prediction,
               received_at: dt.datetime, history: History = History(),
               context: FlagContext | None = None) -> dict[str, Scalar]:
    """`context`: the model's sentence classifiers for the `<signal>_context` facts (rule tests have none: 1.0)."""
    petitioner = case.petitioner
    facts = merge_facts(
        intake_facts(
            channel=case.channel,
            headcount=case.headcount,
            visited_level=case.visited_level,
            petitioner_age=petitioner.age if petitioner else None,
            region_code=case.region.code if case.region else None,
            received_at=received_at.astimezone(SHANGHAI),
            calendar=rulebook.calendar,
        ),
        rulebook.lexicon.text_facts(case_text(case), context),
    )
    facts.update(rulebook.lexicon.request_facts(normalize_text(case.title or ""), normalize_text(case.content)))
    facts.update(
        category=prediction.label,
        subcategory=prediction.subcategory or "",
        type=prediction.type or "",
        confidence=prediction.confidence,
        needs_review=prediction.needs_review,
        **history.facts(),
    )
    return facts


@dataclass(frozen=True)
class ReadCase:
    """A case's facts before its history: everything read from its fields and text.

    Reading is the costly part (every lexicon pattern and text test over the whole
    text), so the pipeline does it before the store's write lock is taken; only
    the history and the rules run under the lock.
    """

    facts: dict[str, Scalar]

    def decide(self, runner: RuleRunner, history: History = History(),
               overrides: dict[str, Scalar] | None = None) -> RuleOutcome:
        """The rules' outcome with the history (and any overrides, as rule tests give them) added."""
        return runner.run({**self.facts, **history.facts(), **(overrides or {})})


def read_case(runner: RuleRunner, case: Case, prediction: Prediction,
              received_at: dt.datetime, context: FlagContext | None = None) -> ReadCase:
    facts = case_facts(runner.rulebook, case, prediction, received_at, context=context)
    facts.update(runner.text_facts(case_text(case)))
    return ReadCase(facts)


def decide_rules(runner: RuleRunner, case: Case, prediction: Prediction, received_at: dt.datetime,
                 history: History = History(), overrides: dict[str, Scalar] | None = None,
                 context: FlagContext | None = None) -> RuleOutcome:
    """Run the rules on one case: its facts, its text tests, its history and any overrides."""
    return read_case(runner, case, prediction, received_at, context).decide(runner, history, overrides)
