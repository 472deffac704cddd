"""Typed, frozen records for a loaded rulebook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from service.pipeline.calendar import SensitiveCalendar, Workdays, missing_schedule_warning
from service.pipeline.facts import FactSchema, Lexicon
from service.rulebook.conditions import Condition, TextTest
from service.rulebook.taxonomy import Taxonomy

TIERS = ("village", "township", "county", "city", "province")
LEVELS = ("blue", "yellow", "orange", "red")
PROCEDURES = ("petition", "litigation", "discipline", "mediation", "administrative_review", "arbitration", "answer")
CHANNELS = ("letter", "visit", "online", "phone", "hotline")
VISITED_LEVELS = (*TIERS, "national")
TIER_RANKS = {tier: rank for rank, tier in enumerate(TIERS, start=1)}


def frozen_map(values: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class Actions:
    set: Mapping[str, str | int] = field(default_factory=frozen_map)
    raise_: Mapping[str, str] = field(default_factory=frozen_map)
    flag: tuple[str, str] | None = None  # (code, reason template)
    score: int = 0
    alert: str | None = None  # "area" | "copies": the store records one alert per such cluster


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str
    priority: int
    order: int  # position in the stage, breaks priority ties
    condition: Condition
    actions: Actions
    source: str  # "file:line", for error messages and explanations
    table: str | None = None  # set for rows of a decision table
    hit_policy: str = "collect"


@dataclass(frozen=True)
class Stage:
    name: str
    path: Path
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Rulebook:
    directory: Path
    version: str
    stages: tuple[Stage, ...]
    text_tests: tuple[TextTest, ...]
    flags: Mapping[str, str]
    tiers: Mapping[str, Mapping[str, str]]
    agencies: Mapping[str, Mapping[str, str]]
    defaults: Mapping[str, str | int]
    taxonomy: Taxonomy
    lexicon: Lexicon
    calendar: SensitiveCalendar
    workdays: Workdays
    facts: FactSchema
    files: tuple[str, ...]

    def text_fact_name(self, test: TextTest) -> str:
        return f"text_test_{self.text_tests.index(TextTest(test.kind, test.pattern))}"

    def department_for(self, tier: str, agency: str) -> str:
        """The agency's name at a tier: its own name there if declared, else the tier's rule."""
        own = self.agencies.get(agency, {}).get(tier)
        if own:
            return own
        naming = self.tiers[tier]
        return naming.get("department") or f"{naming.get('prefix', '')}{agency}"

    def warnings(self, today: dt.date) -> list[str]:
        """What the rules directory lacks for this year and the next, which deadlines reach into."""
        missing = self.workdays.missing_years((today.year, today.year + 1))
        return [missing_schedule_warning(missing)] if missing else []

    def departments(self) -> list[str]:
        """Every department a case can be routed to: each agency at each tier, and those rules name directly."""
        return sorted({self.department_for(tier, agency) for agency in self.agencies for tier in self.tiers}
                      | {str(v) for rule in self.rules() for k, v in rule.actions.set.items() if k == "department"})

    def rules(self):
        for stage in self.stages:
            yield from stage.rules
