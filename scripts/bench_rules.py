"""Engine cost per case: the shipped rules, and the shipped rules plus 500 generated ones.

The generated rules are spread over five numeric facts and the categories (as an
office's rule set grows: thresholds per issue type), appended to the risk stage.
Facts are computed once; the timing covers RuleRunner.run (all five stages in
durable-rules plus applying the actions). Prints per-case microseconds.

    python scripts/bench_rules.py [CASES]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from service.domain import Case
from service.engine.durable_adapter import DurableEngine
from service.pipeline.casefacts import read_case
from service.pipeline.classifier import Prediction
from service.rulebook.loader import load_rulebook
from service.rulebook.ruletests import DEFAULT_RECEIVED
from service.rulebook.runner import RuleRunner

ROOT = Path(__file__).resolve().parent.parent
ATTRIBUTES = ("headcount", "amount_yuan", "repeat_count", "text_length", "petitioner_age")


def generated_rules(count: int, categories: list[str]) -> str:
    lines = []
    for i in range(count):
        attribute, category = ATTRIBUTES[i % len(ATTRIBUTES)], categories[i % len(categories)]
        # every fifth rule has no category test (durable hangs at 512 rules testing one attribute);
        # thresholds come in 12 bands per fact (it fails when 64+ range tests of one fact match)
        threshold = (i // len(ATTRIBUTES)) % 12 * 10
        when = f"{attribute} >= {threshold}" if i % 5 == 0 else f'category == "{category}" and {attribute} >= {threshold}'
        lines += [f"  - id: generated.rule_{i}", f"    when: {when}", "    then:", "      score: 1"]
    return "\n".join(lines) + "\n"


def cases(n: int) -> list[tuple[Case, Prediction]]:
    rows = [json.loads(line) for path in sorted((ROOT / "training" / "corpus").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(rows) // n)
    return [(Case(content=r["text"], title=r["title"] or None, received_at=DEFAULT_RECEIVED),
             Prediction(r["label"], r["subcategory"], 0.9, (), False, None)) for r in rows[::step][:n]]


def per_case_microseconds(rules_dir: Path, sample: list) -> tuple[int, float]:
    runner = RuleRunner(load_rulebook(rules_dir), DurableEngine())
    prepared = [read_case(runner, request, p, DEFAULT_RECEIVED).facts for request, p in sample]
    for facts in prepared[:50]:  # warm up
        runner.run(facts)
    timings = []
    for facts in prepared:
        started = time.perf_counter()
        runner.run(facts)
        timings.append((time.perf_counter() - started) * 1e6)
    return sum(1 for _ in runner.rulebook.rules()), statistics.median(timings)


def main(n: int = 1000) -> None:
    sample = cases(n)
    shipped_rules, shipped = per_case_microseconds(ROOT / "rules", sample)
    with tempfile.TemporaryDirectory() as tmp:
        bigger = Path(shutil.copytree(ROOT / "rules", Path(tmp) / "rules"))
        categories = list(load_rulebook(bigger).taxonomy)
        with (bigger / "risk.yaml").open("a", encoding="utf-8") as risk:
            risk.write(generated_rules(500, categories))
        bigger_rules, generated = per_case_microseconds(bigger, sample)
    print(f"{len(sample)} cases, median per case (RuleRunner.run, all stages):")
    print(f"  shipped rules        {shipped_rules:>4} rules  {shipped:8.0f} µs")
    print(f"  + 500 generated      {bigger_rules:>4} rules  {generated:8.0f} µs  "
          f"({generated / shipped:.2f}× the time for {bigger_rules / shipped_rules:.1f}× the rules)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
