"""Run a candidate rules directory in a child process, under a timeout.

durable-rules has hang and crash paths in C (../shared/DURABLE_RULES_NOTES.md).
Validation keeps the known ones out, but a candidate is still first registered
and exercised here, in a throw-away process: its rule tests, a few built-in
sample petitions, and any cases the caller sends. A hang becomes a timeout and
a crash becomes an exit signal; either way the candidate is rejected and the
serving process never touched it.

Protocol: the parent writes one JSON object on stdin
`{"rules_dir": ..., "cases": [{"request": {...}, "prediction": {...}}]}` and reads
one JSON object from stdout: `{"version", "tests", "decisions"}` or `{"error", "problems"}`.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from service.errors import Problem, RulebookError, TriageError

DEFAULT_TIMEOUT = 60.0
CHILD_COMMAND = (sys.executable, "-m", "service.rulebook.isolated")
SAMPLE_PETITIONS = (
    "我们村二十多人的征地补偿款拖了三年没发，再不解决就一起去北京上访。",
    "小区物业乱收停车费，请住建部门管一管。",
    "公司拖欠我三个月工资共计一万二千元，老板电话不接。",
)


class RulesRejected(TriageError):
    """The candidate rules must not be activated; `problems` says why, `failures` lists failed rule tests."""

    def __init__(self, message: str, problems: list[Problem] | None = None, failures: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or []
        self.failures = failures or []


def run_isolated(directory: Path, cases: list[dict[str, Any]] | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Exercise `directory` in a child process; the child's report, or RulesRejected."""
    payload = json.dumps({"rules_dir": str(directory), "cases": cases or []}, ensure_ascii=False)
    try:
        child = subprocess.run(CHILD_COMMAND, input=payload, capture_output=True,
                               text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RulesRejected(f"the candidate rules did not finish their test cases within {timeout:g} s "
                            "(a rule that hangs the engine?); the active rules stay") from exc
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        raise RulesRejected(f"the candidate rules crashed the rules engine ({name}) on their test cases; the active rules stay")
    try:
        report = json.loads(child.stdout)
    except json.JSONDecodeError as exc:
        tail = child.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RulesRejected(f"the rules check process failed (exit {child.returncode}): {tail[0]}") from exc
    if "error" in report:
        problems = [Problem(**p) for p in report.get("problems", [])]
        raise RulesRejected(report["error"], problems)
    return report


def pretest(directory: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Reject a candidate whose rule tests fail or that hangs or crashes the engine."""
    report = run_isolated(directory, timeout=timeout)
    failed = [r for r in report["tests"]["results"] if not r["passed"]]
    if failed:
        raise RulesRejected(f"{len(failed)} of {len(report['tests']['results'])} rule tests fail; the active rules stay",
                            failures=failed)


def _child(payload: dict[str, Any]) -> dict[str, Any]:
    from service.domain import Case
    from service.engine.durable_adapter import DurableEngine
    from service.pipeline.casefacts import decide_rules
    from service.pipeline.classifier import Prediction
    from service.rulebook.loader import load_rulebook
    from service.rulebook.ruletests import DEFAULT_RECEIVED, run_tests
    from service.rulebook.runner import RuleRunner

    directory = Path(payload["rules_dir"])
    try:
        runner = RuleRunner(load_rulebook(directory), DurableEngine())
        tests = run_tests(runner, directory)
    except RulebookError as exc:
        return {"error": str(exc), "problems": [dataclasses.asdict(p) for p in exc.problems]}
    some_category = next(iter(runner.rulebook.taxonomy))
    cases = [{"request": {"content": text}, "prediction": {"label": some_category}} for text in SAMPLE_PETITIONS]
    decisions = []
    for case in cases + payload["cases"]:
        request = Case(**case["request"])
        given = case["prediction"]
        prediction = Prediction(given["label"], given.get("subcategory"), given.get("confidence", 0.95), (),
                                given.get("needs_review", False), None, given.get("type"))
        outcome = decide_rules(runner, request, prediction, request.received_at or DEFAULT_RECEIVED)
        decisions.append({**{k: v for k, v in dataclasses.asdict(outcome).items() if k not in ("facts", "flags", "alerts")},
                          "flags": [flag.model_dump() for flag in outcome.flags]})
    return {"version": runner.rulebook.version, "tests": tests.to_json(),
            "decisions": decisions[len(SAMPLE_PETITIONS):]}


if __name__ == "__main__":
    json.dump(_child(json.loads(sys.stdin.read())), sys.stdout, ensure_ascii=False, default=str)
