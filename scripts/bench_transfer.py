"""The corpus's own transfer check, and what an office's unlabeled history adds.

    python scripts/bench_transfer.py [--data training/corpus]

1. Every candidate trained on the hotline notes, letters and visit records and scored on the
   message-board posts (the form the service is judged on): the selection `triage train` makes,
   and the served model's calibrated quality on those posts.
2. `--unlabeled`: half of the board posts (chosen at random) given without labels, the other half
   held out; macro-F1 on the held-out half with and without them.

Prints one JSON object. Written texts, not real posts: the gap to real intake is not in here.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.config import PROJECT_ROOT  # noqa: E402
from training.data import Texts, read_labelled  # noqa: E402
from training.train import HOLDOUT_FORM, train  # noqa: E402


def _subset(data, rows: list[int]):
    pick = lambda values: [values[i] for i in rows] if values is not None else None  # noqa: E731
    return replace(data, titles=pick(data.titles), texts=pick(data.texts), labels=pick(data.labels),
                   subcategories=pick(data.subcategories), types=pick(data.types), forms=pick(data.forms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "training" / "corpus")
    args = parser.parse_args()
    data = read_labelled(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        full = train(data, Path(tmp) / "full")
        board = [i for i, form in enumerate(data.forms or []) if form == HOLDOUT_FORM]
        random.Random(0).shuffle(board)
        history, held = set(board[: len(board) // 2]), board[len(board) // 2 :]
        labelled = _subset(data, [i for i in range(len(data.texts)) if i not in history])
        unlabeled = Texts([data.titles[i] for i in sorted(history)], [data.texts[i] for i in sorted(history)])
        without = train(labelled, Path(tmp) / "without")
        adapted = train(labelled, Path(tmp) / "with", unlabeled=unlabeled)
    print(json.dumps({
        "documents": len(data.texts),
        "held_out_form": {"selected_on": full["selected_on"], "candidates": full["selection"],
                          "served_model": full["evaluation"], "review": full["review"],
                          "trained_seconds": full["trained_seconds"]},
        "unlabeled_history": {"unlabeled_documents": len(unlabeled.texts), "held_out_documents": len(held),
                              "without": without["evaluation"], "with": adapted["evaluation"],
                              "self_training": adapted["self_training"]},
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
