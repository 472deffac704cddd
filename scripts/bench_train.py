"""How long `triage train` takes on N documents of about 300 characters (default 10,000).

The documents are made from the bundled corpus: texts of one category joined
and cut to 250–350 characters, so the vocabulary is realistic and the
label set is the full 15 categories. Prints the documents, labels and seconds.

    python scripts/bench_train.py [N]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from training.data import read_labelled
from training.train import train

CORPUS = Path(__file__).resolve().parent.parent / "training" / "corpus"


def documents(n: int) -> list[dict]:
    by_label: dict[str, list[dict]] = {}
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                by_label.setdefault(row["label"], []).append(row)
    rng = random.Random(0)
    labels = sorted(by_label)
    rows = []
    for i in range(n):
        pool = by_label[labels[i % len(labels)]]
        first, length, text = rng.choice(pool), rng.randint(250, 350), ""
        while len(text) < length:
            text += rng.choice(pool)["text"]
        rows.append({"title": first["title"], "text": text[:length], "label": first["label"]})
    return rows


def main(n: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "bench.jsonl"
        data_file.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in documents(n)) + "\n", encoding="utf-8")
        data = read_labelled(data_file)
        started = time.perf_counter()
        card = train(data, Path(tmp) / "model")
        seconds = time.perf_counter() - started
    average = sum(len(t) for t in data.texts) / len(data.texts)
    print(f"trained on {len(data.texts)} documents (average {average:.0f} characters, {len(set(data.labels))} labels) "
          f"in {seconds:.1f} s; model selection kept {card['selection'][0]['name']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
