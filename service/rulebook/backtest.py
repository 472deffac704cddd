"""Replay cases under a candidate rule set next to the active one and report what changes.

The classifier runs once per case; both rule sets see the same classification and,
for stored cases, the history facts each case was decided with, so every difference
is the rules' doing (a changed history threshold shows in the cases it changes). Samples are redacted: a backtest
report may be pasted into a ticket.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from service.domain import SHANGHAI, Case
from service.pipeline.casefacts import decide_rules
from service.pipeline.classifier import Classifier
from service.pipeline.history import History
from service.privacy import redact
from service.rulebook.runner import RuleOutcome, RuleRunner

COMPARED = ("tier", "department", "procedure", "level")
EXCERPT = 40


@dataclass
class BacktestReport:
    cases: int = 0
    changed_cases: int = 0
    changed: Counter = field(default_factory=Counter)  # field → cases where it differs
    flags_added: Counter = field(default_factory=Counter)
    flags_removed: Counter = field(default_factory=Counter)
    hits_active: Counter = field(default_factory=Counter)
    hits_candidate: Counter = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    without_history: int = 0  # stored before the store kept history facts: replayed as first cases

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "cases": self.cases,
            "changed_cases": self.changed_cases,
            "cases_without_history": self.without_history,
            "changed": {name: self.changed[name] for name in COMPARED},
            "flags_added": dict(self.flags_added),
            "flags_removed": dict(self.flags_removed),
            "rule_hits": {rule: {"active": self.hits_active[rule], "candidate": self.hits_candidate[rule]}
                          for rule in sorted(self.hits_active.keys() | self.hits_candidate.keys())},
            "samples": self.samples,
        }

    def render(self) -> str:
        lines = [f"active {self.versions['active']} → candidate {self.versions['candidate']}: "
                 f"{self.changed_cases} of {self.cases} cases change"]
        lines += [f"  {name:<12} {self.changed[name]:>6} cases" for name in COMPARED]
        if self.without_history:
            lines.append(f"  ({self.without_history} stored cases had no recorded history and were replayed as first cases)")
        for code in sorted(self.flags_added.keys() | self.flags_removed.keys()):
            lines.append(f"  flag {code:<16} +{self.flags_added[code]} -{self.flags_removed[code]}")
        lines.append("")
        lines.append(f"  {'rule':<44} {'active':>7} {'candidate':>10}")
        for rule, hits in self.to_json()["rule_hits"].items():
            mark = "" if hits["active"] == hits["candidate"] else "  *"
            lines.append(f"  {rule:<44} {hits['active']:>7} {hits['candidate']:>10}{mark}")
        if self.samples:
            lines.append("")
            lines.append("changed cases (sample):")
        for sample in self.samples:
            lines.append(f"  {sample['case_id']}: {sample['excerpt']}")
            for name, (before, after) in sample["differences"].items():
                lines.append(f"      {name}: {before} → {after}")
        return "\n".join(lines)


def _view(outcome: RuleOutcome) -> dict[str, Any]:
    return {**{name: getattr(outcome, name) for name in COMPARED}, "flags": sorted(f.code for f in outcome.flags)}


def backtest(requests: list[Case], classifier: Classifier, active: RuleRunner, candidate: RuleRunner,
             *, sample_size: int = 10, histories: list[History | None] | None = None) -> BacktestReport:
    """`histories`: per request, the history facts it was decided with (stored cases); None: first cases."""
    report = BacktestReport(versions={"active": active.rulebook.version, "candidate": candidate.rulebook.version})
    predictions = classifier.predict([r.title or "" for r in requests], [r.content for r in requests])
    now = dt.datetime.now(SHANGHAI)
    for number, (request, prediction, history) in enumerate(zip(requests, predictions, histories or [None] * len(requests)),
                                                            start=1):
        received_at = request.received_at or now
        report.without_history += histories is not None and history is None
        outcomes = [decide_rules(runner, request, prediction, received_at, history or History(), context=classifier.flag_context)
                    for runner in (active, candidate)]
        before, after = (_view(o) for o in outcomes)
        report.cases += 1
        report.hits_active.update(outcomes[0].rules_fired)
        report.hits_candidate.update(outcomes[1].rules_fired)
        differences = {name: (before[name], after[name]) for name in (*COMPARED, "flags") if before[name] != after[name]}
        if not differences:
            continue
        report.changed_cases += 1
        report.changed.update(name for name in differences if name in COMPARED)
        report.flags_added.update(set(after["flags"]) - set(before["flags"]))
        report.flags_removed.update(set(before["flags"]) - set(after["flags"]))
        if len(report.samples) < sample_size:
            report.samples.append({"case_id": request.case_id or f"#{number}",
                                   "excerpt": redact(request.content)[:EXCERPT], "differences": differences})
    return report
