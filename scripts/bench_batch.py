"""Throughput of `triage batch` over N synthetic-mix cases (default 10,000); prints cases/s."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(n: int = 10_000) -> None:
    texts = [json.loads(l)["text"] for f in sorted((ROOT / "training" / "corpus").glob("*.jsonl")) for l in f.open(encoding="utf-8")]
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "cases.jsonl"
        with cases.open("w", encoding="utf-8") as out:
            for i in range(n):
                out.write(json.dumps({"case_id": f"bench-{i}", "content": rng.choice(texts)}, ensure_ascii=False) + "\n")
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "triage"), "batch", "--input", str(cases), "--output", str(Path(tmp) / "out.jsonl"),
             "--data-dir", str(Path(tmp) / "data")],
            capture_output=True, text=True, check=True,
        )
        print("triage batch:", result.stdout.strip())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
