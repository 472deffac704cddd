"""Per-case latency with the store at 100,000 stored cases (SQLite by default, or --database-url).

Seeds the store with N cases (bulk insert: a corpus text with a varied tail, 500
villages in 100 townships, 20,000 petitioners, their copy bands), then decides
new cases one at a time through the whole pipeline (classifier, history facts,
near-copy lookup, rules, write) and prints p50/p95/p99 in milliseconds.

    python scripts/bench_store.py [N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from service.domain import SHANGHAI, Case
from service.config import Settings
from service.pipeline.nearcopy import bands, shingles
from service.runtime import build_pipeline
from service.store.tables import CaseRecord, CopyBand

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def corpus() -> list[dict]:
    return [json.loads(line) for path in sorted((ROOT / "training" / "corpus").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed(pipeline, n: int, rows: list[dict], rng: random.Random) -> None:
    store = pipeline.store
    start = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with store._engine.begin() as connection:  # a benchmark may reach past the repository's API
        for offset in range(0, n, BATCH):
            cases, copy_bands = [], []
            for i in range(offset, min(n, offset + BATCH)):
                row = rows[i % len(rows)]
                text = f"{row['text']}（补充：第{i}号，{rng.randint(1, 99999)}）"
                case_id = f"seed-{i:06d}"
                cases.append({"case_id": case_id, "received_at": start + dt.timedelta(minutes=5 * i),
                              "stored_at": start, "content": text, "title": row["title"], "channel": row["channel"],
                              "petitioner_key": f"k{rng.randrange(20000):05d}", "area_county": "420683",
                              "area_township": f"镇{rng.randrange(100)}", "area_village": f"村{rng.randrange(500)}",
                              "category": row["label"], "level": "blue", "flags": "", "model_version": "seed",
                              "rules_version": "seed", "decision": {"case_id": case_id, "rules_fired": []}})
                copy_bands += [{"band": band, "case_id": case_id} for band in set(bands(shingles(text)))]
            connection.execute(insert(CaseRecord), cases)
            connection.execute(insert(CopyBand), copy_bands)
    with store._engine.connect() as connection:  # planner statistics, as autovacuum would gather them
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(0)
    rows = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), **({"database_url": args.database_url} if args.database_url else {}))
        pipeline = build_pipeline(settings)
        started = time.perf_counter()
        seed(pipeline, args.n, rows, rng)
        print(f"seeded {pipeline.store.count()} cases in {time.perf_counter() - started:.0f} s "
              f"({pipeline.store._engine.dialect.name})")
        timings = []
        for i in range(args.cases):
            row = rows[rng.randrange(len(rows))]
            request = Case(case_id=f"new-{i}", content=row["text"] + f"（新{i}）", title=row["title"] or None,
                                    petitioner={"id": f"p{rng.randrange(20000)}"},
                                    received_at=dt.datetime(2026, 11, 20, 9, tzinfo=SHANGHAI) + dt.timedelta(minutes=i))
            begun = time.perf_counter()
            pipeline.triage(request)
            timings.append((time.perf_counter() - begun) * 1000)
        quantiles = statistics.quantiles(timings, n=100)
        print(f"{args.cases} new cases, one at a time, at {pipeline.store.count() - i - 1} stored: "
              f"p50 {quantiles[49]:.1f} ms, p95 {quantiles[94]:.1f} ms, p99 {quantiles[98]:.1f} ms")


if __name__ == "__main__":
    main()
