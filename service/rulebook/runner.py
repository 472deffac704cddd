"""Run a rulebook's stages over one case's facts and apply what fired.

The engine decides *which* rules fire; this module applies their declared
actions under one conflict policy (documented in rules/README.md):

- rules are taken in priority order (smaller number first), then file order;
- `set`: the first rule to set a field wins within a stage; a later stage may
  set it again (stages are a pipeline);
- `raise` (tier, level): the highest value wins, whatever the order;
- `flag`: each code once, with the reason of the first rule that raised it;
- `score`: added up, clamped to 0–100;
- `alert`: every rule that fires with one asks the store for a cluster alert, with its flag's reason;
- a `first` hit-policy table contributes only its first matching row.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from service.domain import Flag, RaisedAlert
from service.engine.durable_adapter import DurableEngine
from service.pipeline.fact_table import Scalar
from service.pipeline.patterns import compile_pattern
from service.rulebook.compiler import compile_stage
from service.rulebook.model import LEVELS, TIER_RANKS, TIERS, Rule, Rulebook

MAX_QUOTE = 40


@dataclass(frozen=True)
class RuleOutcome:
    tier: str
    department: str
    agency: str
    procedure: str
    accept_days: int
    resolve_days: int
    level: str
    score: int
    flags: tuple[Flag, ...]
    rules_fired: tuple[str, ...]
    facts: dict[str, Scalar] = field(repr=False)
    alerts: tuple[RaisedAlert, ...] = ()


class _Quoting(dict):
    """Reason templates: facts by name; long values are cut so reasons stay short."""

    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> Any:
        value = super().get(key, "")
        return value[:MAX_QUOTE] if isinstance(value, str) else value


class RuleRunner:
    """A rulebook registered with an engine, ready to decide cases."""

    def __init__(self, rulebook: Rulebook, engine: DurableEngine):
        self.rulebook = rulebook
        self._engine = engine
        self._names = {}
        for stage in rulebook.stages:
            name = f"{stage.name}@{rulebook.version}"
            engine.register(name, compile_stage(stage, rulebook))
            self._names[stage.name] = name
        self._text_patterns = [
            (test.kind, compile_pattern(test.pattern) if test.kind == "matches" else test.pattern)
            for test in rulebook.text_tests
        ]

    @property
    def ruleset_names(self) -> tuple[str, ...]:
        return tuple(self._names.values())

    def unregister(self) -> None:
        """Free this rulebook's rulesets in the engine; the runner cannot decide cases afterwards."""
        for name in self._names.values():
            self._engine.unregister(name)

    def text_facts(self, text: str) -> dict[str, bool]:
        return {
            f"text_test_{i}": bool(p.search(text)) if kind == "matches" else p in text
            for i, (kind, p) in enumerate(self._text_patterns)
        }

    def run(self, facts: dict[str, Scalar]) -> RuleOutcome:
        """Decide a case from its facts, `text_facts` included."""
        book = self.rulebook
        defaults = book.defaults
        facts = book.facts.validate(facts)
        sets: dict[str, Any] = {}
        tier, level, score = "", defaults["level"], 0
        flags: dict[str, Flag] = {}
        fired_ids: list[str] = []
        alerts: list[RaisedAlert] = []
        for stage in book.stages:
            keys = self._engine.evaluate(self._names[stage.name], facts)
            fired = _apply_hit_policy(sorted((stage.rules[int(k[1:])] for k in keys), key=lambda r: (r.priority, r.order)))
            stage_sets: dict[str, Any] = {}
            for rule in fired:
                fired_ids.append(rule.id)
                for name, value in rule.actions.set.items():
                    stage_sets.setdefault(name, value)
                reason = string.Formatter().vformat(rule.actions.flag[1], (), _Quoting(facts)) if rule.actions.flag else rule.id
                if rule.actions.alert:
                    alerts.append(RaisedAlert(rule.id, rule.actions.alert, reason))
                if rule.actions.flag:
                    code = rule.actions.flag[0]
                    if code in flags:
                        continue  # the first reason stands; its score was counted once
                    flags[code] = Flag(code=code, reason=reason, rule=rule.id)
                score += rule.actions.score
            sets.update(stage_sets)
            tier = sets.get("tier", tier or defaults["tier"])
            for rule in fired:
                raised = rule.actions.raise_
                if "tier" in raised and TIER_RANKS[raised["tier"]] > TIER_RANKS[tier]:
                    tier = sets["tier"] = raised["tier"]
                if "level" in raised and LEVELS.index(raised["level"]) > LEVELS.index(level):
                    level = raised["level"]
            score = max(0, min(100, score))
            facts = book.facts.validate(
                {
                    **facts,
                    "tier": tier,
                    "tier_rank": TIER_RANKS[tier],
                    "agency": sets.get("agency", defaults["agency"]),
                    "procedure": sets.get("procedure", defaults["procedure"]),
                    "risk_score": score,
                    "flag_count": len(flags),
                    "level": level,
                    **{f"flag_{code}": True for code in flags},
                }
            )
        agency = sets.get("agency", defaults["agency"])
        return RuleOutcome(
            tier=tier if tier in TIERS else defaults["tier"],
            department=sets.get("department") or book.department_for(tier, agency),
            agency=agency,
            procedure=sets.get("procedure", defaults["procedure"]),
            accept_days=sets.get("accept_days", defaults["accept_days"]),
            resolve_days=sets.get("resolve_days", defaults["resolve_days"]),
            level=level,
            score=score,
            flags=tuple(flags.values()),
            rules_fired=tuple(fired_ids),
            facts=facts,
            alerts=tuple(alerts),
        )


def _apply_hit_policy(fired: list[Rule]) -> list[Rule]:
    """Keep only the first matching row of each `first` hit-policy table."""
    seen_tables: set[str] = set()
    kept = []
    for rule in fired:
        if rule.table and rule.hit_policy == "first":
            if rule.table in seen_tables:
                continue
            seen_tables.add(rule.table)
        kept.append(rule)
    return kept
