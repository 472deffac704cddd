"""100 rule reloads in one process: resident memory and per-case evaluation time, before and after.

Each reload is a new version (a comment appended to a copy of rulebook.yaml), so every reload
registers new rulesets and retires the old ones. The child-process pre-test is left out here:
it runs in another process and cannot grow this one.

    python scripts/bench_reload.py [RELOADS]
"""

from __future__ import annotations

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
from service.rulebook.active import ActiveRules
from service.rulebook.ruletests import DEFAULT_RECEIVED

ROOT = Path(__file__).resolve().parent.parent
REQUEST = Case(content="我们村二十多人的征地补偿款拖了三年，再不解决就一起去北京上访。", received_at=DEFAULT_RECEIVED)
PREDICTION = Prediction("国土资源", "征地补偿", 0.9, (), False, None)


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def per_case_microseconds(rules: ActiveRules, n: int = 500) -> float:
    timings = []
    with rules.lease() as runner:
        facts = read_case(runner, REQUEST, PREDICTION, DEFAULT_RECEIVED).facts
        for _ in range(n):
            started = time.perf_counter()
            runner.run(facts)
            timings.append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings)


def main(reloads: int = 100) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(shutil.copytree(ROOT / "rules", Path(tmp) / "rules"))
        rulebook = directory / "rulebook.yaml"
        original = rulebook.read_text(encoding="utf-8")
        rules = ActiveRules(directory, DurableEngine())
        print(f"{'reloads':>8} {'RSS MB':>8} {'µs/case':>8}")
        for i in range(reloads + 1):
            if i in (0, 10, reloads // 2, reloads):
                print(f"{i:>8} {rss_mb():>8.1f} {per_case_microseconds(rules):>8.0f}")
            rulebook.write_text(original + f"\n# reload {i}\n", encoding="utf-8")
            rules.reload(by="bench")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
