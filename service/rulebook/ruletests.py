"""Rule tests, in the spirit of `opa test`: petitions and what the rules must decide for them.

A test file (`<rules>/tests/*_test.yaml`) lists cases. Each gives the text of a
petition, optional intake `fields` (as the API takes them), the category the
classifier is assumed to have given, optional `facts` that override computed
ones (history facts, say), and `expect`: any of tier, department, agency,
procedure, level, deadlines, flags that must be raised (`flags`), must not be
(`no_flags`) or are the only ones (`only_flags`), rule ids that must fire
(`fired`) and words a flag's reason must quote (`reason_contains`).

No model is involved: a rule test checks rules, not the classifier.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from service.domain import SHANGHAI, Case
from service.errors import Problem, RulebookError
from service.pipeline.casefacts import decide_rules
from service.pipeline.flag_context import FlagContext
from service.pipeline.classifier import Prediction
from service.rulebook.runner import RuleOutcome, RuleRunner
from service.rulebook.taxonomy import Taxonomy, TaxonomyError
from service.rulebook.yamlfile import load_yaml, schema_problems

TEST_GLOB = "tests/*_test.yaml"
DEFAULT_RECEIVED = dt.datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI)  # an ordinary Wednesday, no sensitive period
SCALAR_EXPECTATIONS = ("tier", "department", "agency", "procedure", "level", "accept_days", "resolve_days")


@dataclass(frozen=True)
class RuleTest:
    name: str
    where: str  # file:line
    request: Case
    prediction: Prediction
    facts: dict[str, Any]
    expect: dict[str, Any]


@dataclass(frozen=True)
class TestResult:
    test: RuleTest
    failures: tuple[str, ...]
    fired: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestReport:
    results: list[TestResult] = field(default_factory=list)
    rule_ids: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        """All passed, and there was something to pass: zero tests check nothing."""
        return bool(self.results) and self.passed == len(self.results)

    def never_fired(self) -> list[str]:
        fired = {rule for result in self.results for rule in result.fired}
        return [rule for rule in self.rule_ids if rule not in fired]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "passed": self.passed,
            "failed": len(self.results) - self.passed,
            "results": [{"name": r.test.name, "where": r.test.where, "passed": r.passed, "failures": list(r.failures)}
                        for r in self.results],
            "coverage": {"rules": len(self.rule_ids), "fired": len(self.rule_ids) - len(self.never_fired()),
                         "never_fired": self.never_fired()},
        }

    def render(self, verbose: bool = False) -> str:
        lines = []
        for result in self.results:
            if result.passed and not verbose:
                continue
            lines.append(f"{'PASS' if result.passed else 'FAIL'}: {result.test.where}: {result.test.name}")
            lines += [f"    {failure}" for failure in result.failures]
        never = self.never_fired()
        lines.append("-" * 60)
        if not self.results:
            lines.append("FAIL: no rule tests (tests/*_test.yaml in the rules directory): nothing was checked")
        lines.append(f"PASS: {self.passed}/{len(self.results)}")
        lines.append(f"coverage: {len(self.rule_ids) - len(never)}/{len(self.rule_ids)} rules fired in some test")
        if never:
            lines.append("never fired: " + ", ".join(never))
        return "\n".join(lines)


def _schema() -> dict:
    return json.loads(resources.files("service.rulebook").joinpath("schemas", "ruletests.json").read_text("utf-8"))


def load_tests(directory: Path, taxonomy: Taxonomy | None = None) -> list[RuleTest]:
    """Every case of every test file, or a RulebookError listing all problems with file:line.

    With the rulebook's taxonomy, a case's category/subcategory/type must be a place in it
    (old subcategory names are read as their standard place, as the API reads them).
    """
    problems: list[Problem] = []
    tests: list[RuleTest] = []
    for path in sorted(Path(directory).glob(TEST_GLOB)):
        try:
            source = load_yaml(path)
        except RulebookError as exc:
            problems += exc.problems
            continue
        found = schema_problems(source, _schema())
        if found:
            problems += found
            continue
        for index, case in enumerate(source.data["cases"]):
            where = f"{source.name}:{source.locate(('cases', index))[0]}"
            fields = dict(case.get("fields") or {})
            fields.setdefault("received_at", DEFAULT_RECEIVED.isoformat())
            try:
                request = Case(content=case["content"], title=case.get("title"), **fields)
            except (ValidationError, TypeError) as exc:
                problems.append(source.problem(("cases", index, "fields"), f"fields are not a valid request: {_first(exc)}"))
                continue
            category, subcategory, kind = case.get("category", ""), case.get("subcategory"), case.get("type")
            if taxonomy is not None and category in taxonomy:
                try:
                    place = taxonomy.resolve(category, subcategory, kind)
                except TaxonomyError as exc:
                    problems.append(source.problem(("cases", index, "subcategory"), str(exc)))
                    continue
                category, subcategory, kind = place.category, place.subcategory, place.type
            prediction = Prediction(category, subcategory, float(case.get("confidence", 0.95)), (), False, None, kind)
            tests.append(RuleTest(case["name"], where, request, prediction, dict(case.get("facts") or {}), case["expect"]))
    if problems:
        raise RulebookError(problems)
    return tests


def _first(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)


def run_test(runner: RuleRunner, test: RuleTest, context: FlagContext | None = None) -> TestResult:
    outcome = decide_rules(runner, test.request, test.prediction, test.request.received_at or DEFAULT_RECEIVED,
                           overrides=test.facts, context=context)
    return TestResult(test, tuple(_compare(test.expect, outcome)), outcome.rules_fired)


def _compare(expect: dict[str, Any], outcome: RuleOutcome) -> list[str]:
    failures = []
    for name in SCALAR_EXPECTATIONS:
        if name in expect and getattr(outcome, name) != expect[name]:
            failures.append(f"{name}: expected {expect[name]!r}, got {getattr(outcome, name)!r}")
    raised = {flag.code: flag for flag in outcome.flags}
    missing = [code for code in expect.get("flags", []) if code not in raised]
    if missing:
        failures.append(f"flags: expected {missing} among {sorted(raised)}")
    unwanted = [code for code in expect.get("no_flags", []) if code in raised]
    if unwanted:
        failures.append(f"flags: {unwanted} raised but must not be ({[raised[c].reason for c in unwanted]})")
    if "only_flags" in expect and sorted(raised) != sorted(expect["only_flags"]):
        failures.append(f"flags: expected exactly {sorted(expect['only_flags'])}, got {sorted(raised)}")
    not_fired = [rule for rule in expect.get("fired", []) if rule not in outcome.rules_fired]
    if not_fired:
        failures.append(f"fired: {not_fired} did not fire (fired: {list(outcome.rules_fired)})")
    for code, words in expect.get("reason_contains", {}).items():
        reason = raised[code].reason if code in raised else None
        if reason is None or words not in reason:
            failures.append(f"reason of {code}: expected to quote {words!r}, got {reason!r}")
    return failures


def run_tests(runner: RuleRunner, directory: Path, context: FlagContext | None = None) -> TestReport:
    """Every rule test; with `context` (a model's flag classifiers) the `<signal>_context` facts are the model's."""
    tests = load_tests(directory, runner.rulebook.taxonomy)
    return TestReport([run_test(runner, test, context) for test in tests], tuple(rule.id for rule in runner.rulebook.rules()))
