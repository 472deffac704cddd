"""Check a corpus directory against the published taxonomy: labels, forms, lengths, coverage, near-copies.

    python scripts/check_corpus.py training/corpus [--min-type 2] [--min-subcategory 20]

Prints every problem as `file:line: message`, then the counts per category and the third-level
types below the minimum. Exit status 1 when any line is invalid or any two texts are near-copies.
Standard library only, so writers can run it before the project is installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

TAXONOMY_CSV = Path(__file__).resolve().parents[2] / "shared" / "taxonomy" / "government_message_taxonomy.csv"
FORMS = {"board": "online", "hotline": "hotline", "letter": "letter", "visit": "visit"}
NEAR_COPY = 0.5
OPENING = 20


def load_taxonomy(path: Path) -> set[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {(row["一级分类"], row["二级分类"], row["三级分类"]) for row in csv.DictReader(handle)}


def shingles(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + 5] for i in range(max(1, len(compact) - 4))}


def near_copies(texts: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
    """Pairs with character 5-gram Jaccard ≥ NEAR_COPY, found through an inverted index of rare shingles."""
    sets = [shingles(text) for _, text in texts]
    postings: dict[str, list[int]] = defaultdict(list)
    for number, grams in enumerate(sets):
        for gram in grams:
            postings[gram].append(number)
    found = []
    for number, grams in enumerate(sets):
        shared = Counter(other for gram in grams for other in postings[gram] if other < number and len(postings[gram]) < 200)
        for other, count in shared.items():
            if count >= NEAR_COPY * min(len(grams), len(sets[other])):
                jaccard = len(grams & sets[other]) / len(grams | sets[other])
                if jaccard >= NEAR_COPY:
                    found.append((texts[other][0], texts[number][0], round(jaccard, 2)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY_CSV)
    parser.add_argument("--min-type", type=int, default=2)
    parser.add_argument("--min-subcategory", type=int, default=20)
    args = parser.parse_args()

    taxonomy = load_taxonomy(args.taxonomy)
    problems: list[str] = []
    texts: list[tuple[str, str]] = []
    openings: dict[str, str] = {}
    per_type: Counter = Counter()
    per_subcategory: Counter = Counter()
    per_form: Counter = Counter()
    for path in sorted(args.directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.name}:{number}"
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not valid JSON: {exc.msg}")
                continue
            key = (row.get("label"), row.get("subcategory"), row.get("type"))
            if key not in taxonomy:
                problems.append(f"{where}: {'/'.join(map(str, key))} is not a label/subcategory/type of the taxonomy")
            if FORMS.get(row.get("form")) != row.get("channel"):
                problems.append(f"{where}: form {row.get('form')!r} with channel {row.get('channel')!r}")
            text = row.get("text")
            if not isinstance(text, str) or not 30 <= len(text) <= 2000:
                problems.append(f"{where}: text must be 30–2,000 characters")
                continue
            if not isinstance(row.get("title"), str):
                problems.append(f"{where}: title must be a string")
            opening = re.sub(r"\s+", "", text)[:OPENING]
            if opening in openings:
                problems.append(f"{where}: same {OPENING}-character opening as {openings[opening]}")
            openings.setdefault(opening, where)
            texts.append((where, text))
            per_type[key] += 1
            per_subcategory[key[:2]] += 1
            per_form[row.get("form")] += 1

    copies = near_copies(texts)
    problems += [f"{second}: near-copy of {first} (Jaccard {score})" for first, second, score in copies]
    for problem in problems:
        print(problem)

    categories = Counter()
    for (label, _), count in per_subcategory.items():
        categories[label] += count
    print(f"\n{len(texts)} texts; forms: {dict(per_form)}")
    for label, count in sorted(categories.items(), key=lambda item: -item[1]):
        print(f"  {label}: {count}")
    present = {label for label, _ in per_subcategory}
    thin_sub = sorted((key, per_subcategory[key]) for key in {t[:2] for t in taxonomy if t[0] in present}
                      if per_subcategory[key] < args.min_subcategory)
    thin_type = sorted((key, per_type[key]) for key in taxonomy if key[0] in present and per_type[key] < args.min_type)
    print(f"second-level types below {args.min_subcategory}: {len(thin_sub)}")
    for key, count in thin_sub:
        print(f"  {'/'.join(key)}: {count}")
    print(f"third-level types below {args.min_type}: {len(thin_type)}")
    for key, count in thin_type:
        print(f"  {'/'.join(key)}: {count}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
