"""Facts: everything the rules may read about a case, typed.

Python extracts facts (from intake fields, the classifier and the text);
the rules decide. Every fact has a declared type, and a fact dictionary is
validated strictly before it reaches the engine, because durable-rules
coerces loosely ("10" >= 5 is false, "5" == 5 is true).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from service.errors import EngineError
from service.pipeline.calendar import SensitiveCalendar
from service.pipeline.flag_context import FlagContext, scored_hits, surest
from service.pipeline.fact_table import Scalar, fact_model, facts_from
from service.pipeline.request_kind import RequestKinds
from service.pipeline.signals import (
    LEVEL_RANKS,
    Counter,
    Negation,
    RepeatCounter,
    Signal,
    TargetLevels,
)

BaseFacts = fact_model("BaseFacts", facts_from("intake", "classifier", "text", "store"))
STAGE_OUTPUTS = facts_from("rules")


class Lexicon:
    """rules/lexicons/signals.yaml, compiled."""

    def __init__(self, spec: dict[str, Any]):
        negation = Negation(spec.get("negation_words", []), spec.get("negation_bridge", []))
        self.signals = {name: Signal(name, body, negation) for name, body in spec.get("signals", {}).items()}
        self.targets = TargetLevels(spec["targets"], negation)
        head = spec["headcount"]
        self.headcount = Counter(head["units"], head.get("not_followed_by", []), head.get("not_preceded_by", []))
        self.amount = Counter(spec["amount"]["units"])
        self.repeat = RepeatCounter(spec["repeat"])
        self.request_kinds = RequestKinds(spec["request_kinds"], negation)

    def request_facts(self, title: str, body: str) -> dict[str, Scalar]:
        """诉求类型 from the normalised title and body (the title is read apart: its words state the kind)."""
        read = self.request_kinds.read(title, body)
        return {"request_kind": read.kind, "request_kind_evidence": read.evidence.words if read.evidence else ""}

    def context_fact_names(self) -> list[str]:
        """`<name>_context` facts: how surely the evidence of a signal with a context flag means it."""
        names = [f"{name}_context" for name, signal in self.signals.items() if signal.context]
        names += [f"{name}_context" for name, reader in (("target", self.targets), ("repeat", self.repeat)) if reader.context]
        return names

    def text_facts(self, text: str, context: FlagContext | None = None) -> dict[str, Scalar]:
        """Facts read from normalised text alone; `context` scores the sentence around each hit.

        A signal's evidence is its hit that the context classifier is surest means the flag;
        without a classifier, the first hit (the highest level, the largest count).
        """
        facts: dict[str, Scalar] = {"text_length": len(text)}
        readers = {name: (signal.context, signal.find_all(text)) for name, signal in self.signals.items()}
        readers["target"] = (self.targets.context, self.targets.find_all(text))
        readers["repeat"] = (self.repeat.context, self.repeat.find_all(text))
        scores = scored_hits(text, readers, context)
        for name, signal in self.signals.items():
            found = surest(readers[name][1], scores[name], lambda e: -e.start)
            facts[f"{name}_signal"] = found is not None
            facts[f"{name}_evidence"] = found[0].words if found else ""
            if signal.context:
                facts[f"{name}_context"] = found[1] if found else 0.0
        target = surest(readers["target"][1], scores["target"], self.targets.rank)
        if target:
            evidence, sure = target
            facts.update(target_level=str(evidence.value), target_rank=self.targets.rank(evidence),
                         target_evidence=evidence.words, **({"target_context": sure} if self.targets.context else {}))
        count = self.headcount.largest(text)
        if count:
            facts.update(headcount=int(count.value), headcount_evidence=count.words)
        amount = self.amount.largest(text)
        if amount:
            facts.update(amount_yuan=int(amount.value), amount_evidence=amount.words)
        repeat = surest(readers["repeat"][1], scores["repeat"], lambda e: e.value)
        if repeat:
            evidence, sure = repeat
            facts.update(repeat_count=int(evidence.value), repeat_evidence=evidence.words,
                         **({"repeat_context": sure} if self.repeat.context else {}))
        return facts


class FactSchema:
    """The typed fact model for one rulebook: the declared facts (fact_table.py) and the rulebook's own families."""

    def __init__(self, lexicon: Lexicon, flag_codes: list[str], text_tests: list[str] = ()):
        fields: dict[str, Any] = {name: (bool, False) for name in text_tests}
        for name in lexicon.signals:
            fields[f"{name}_signal"] = (bool, False)
            fields[f"{name}_evidence"] = (str, "")
        for name in lexicon.context_fact_names():
            fields[name] = (float, 0.0)
        for fact in STAGE_OUTPUTS:
            fields[fact.name] = (fact.type, fact.default)
        for code in flag_codes:
            fields[f"flag_{code}"] = (bool, False)
        self.model: type[BaseModel] = create_model("CaseFacts", __base__=BaseFacts, **fields)
        self.types: dict[str, type] = {
            name: (field.annotation if isinstance(field.annotation, type) else str)
            for name, field in self.model.model_fields.items()
        }
        self.stage_outputs = {f.name for f in STAGE_OUTPUTS} | {f"flag_{c}" for c in flag_codes}
        self.request_kinds: tuple[str, ...] = lexicon.request_kinds.kinds

    def validate(self, facts: dict[str, Any]) -> dict[str, Scalar]:
        """Strictly typed facts, with defaults filled in; raises EngineError on a wrong type."""
        try:
            return self.model(**facts).model_dump()
        except ValidationError as exc:
            raise EngineError(f"invalid facts for the rules engine: {exc}") from exc


def intake_facts(
    *,
    channel: str | None,
    headcount: int | None,
    visited_level: str | None,
    petitioner_age: int | None,
    region_code: str | None,
    received_at: dt.datetime,
    calendar: SensitiveCalendar,
) -> dict[str, Scalar]:
    """Facts from the structured intake fields."""
    facts: dict[str, Scalar] = {
        "channel": channel or "",
        "visited_level": visited_level or "",
        "visited_rank": LEVEL_RANKS.get(visited_level or "", 0),
        "petitioner_age": petitioner_age or 0,
        "region_code": region_code or "",
    }
    if headcount is not None:
        facts.update(headcount=headcount, headcount_from_field=True, headcount_evidence=f"来访人数 {headcount} 人")
    period = calendar.period_on(received_at.date())
    if period:
        facts["sensitive_period"] = period.name
    return facts


def merge_facts(intake: dict[str, Scalar], text: dict[str, Scalar]) -> dict[str, Scalar]:
    """Intake fields win over text, except a larger headcount in the text (a group behind one visitor)."""
    merged = {**text, **intake}
    if int(text.get("headcount", 0)) > int(intake.get("headcount", 0)):
        for key in ("headcount", "headcount_evidence"):
            merged[key] = text[key]
        merged["headcount_from_field"] = False
    return merged
