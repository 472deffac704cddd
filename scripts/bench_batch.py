"""Throughput of `triage batch` beside `jieba.lcut` alone over the same texts, in one run.

The texts are the corpus's of real intake length (200–1,500 characters; real message-board posts
average about 390), drawn with a fixed seed. `triage batch` runs as a user runs it, with the
default SQLite store in a fresh data directory; its own cases/s figure (pipeline and store, model
loading excluded) is set against jieba.lcut over the same texts with the domain dictionary. Prints
both and their ratio (issue goal: batch at 0.75× or more).

    python scripts/bench_batch.py [N]        # default 5,000 cases
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from training.train import DOMAIN_DICTIONARY  # noqa: E402

MIN_CHARS, MAX_CHARS = 200, 1500


def sample_texts(n: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for f in sorted((ROOT / "training" / "corpus").glob("*.jsonl")) for line in f.open(encoding="utf-8")]
    fitting = [(r.get("title") or "", r["text"]) for r in rows if MIN_CHARS <= len(r["text"]) <= MAX_CHARS]
    rng = random.Random(0)
    return [rng.choice(fitting) for _ in range(n)]


def jieba_rate(texts: list[str]) -> float:
    import jieba

    jieba.setLogLevel(60)
    jieba.load_userdict(str(DOMAIN_DICTIONARY))
    jieba.lcut(texts[0])  # the dictionary loads on first use
    started = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return len(texts) / (time.perf_counter() - started)


def batch_rate(cases: list[tuple[str, str]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i, (title, text) in enumerate(cases):
                out.write(json.dumps({"case_id": f"bench-{i}", "title": title or None, "content": text,
                                      "petitioner": {"id": f"p-{i % 2000}"}}, ensure_ascii=False) + "\n")
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "triage"), "batch", "--input", str(path), "--output", str(Path(tmp) / "out.jsonl"),
             "--data-dir", str(Path(tmp) / "data")],
            capture_output=True, text=True, check=True,
        )
        print("triage batch:", result.stdout.strip())
        return float(re.search(r"([0-9.]+) cases/s", result.stdout).group(1))


def main(n: int = 5_000) -> None:
    cases = sample_texts(n)
    mean = sum(len(t) + len(h) for h, t in cases) / n
    print(f"{n} cases, mean {mean:.0f} characters (title and body)")
    batch = batch_rate(cases)
    segmenter = jieba_rate([f"{h}\n{t}" for h, t in cases])
    print(f"jieba.lcut alone: {segmenter:.0f} texts/s")
    print(f"triage batch / jieba.lcut = {batch / segmenter:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
