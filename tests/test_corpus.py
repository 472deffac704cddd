"""The bundled corpus keeps its promises: size per category, valid labels, real lengths, no near-copies."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import yaml
from datasketch import MinHash, MinHashLSH

from service.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "training" / "corpus"
TAXONOMY = yaml.safe_load((PROJECT_ROOT / "rules" / "taxonomy.yaml").read_text(encoding="utf-8"))["categories"]
BUSIEST = ("城乡建设", "劳动和社会保障", "教育文体", "交通运输", "环境保护", "商贸旅游", "卫生计生")
CHANNELS = {"online", "letter", "phone", "hotline", "visit"}


def _rows() -> list[tuple[str, dict]]:
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rows.append((f"{path.name}:{number}", json.loads(line)))
    return rows


ROWS = _rows()


def test_every_row_has_a_known_label_subcategory_and_channel():
    bad = [where for where, row in ROWS
           if row["label"] not in TAXONOMY or row["subcategory"] not in TAXONOMY[row["label"]]
           or row.get("type") and row["type"] not in TAXONOMY[row["label"]][row["subcategory"]]
           or row["channel"] not in CHANNELS or not isinstance(row["title"], str)]
    assert bad == []


def test_size_per_category():
    counts = Counter(row["label"] for _, row in ROWS)
    assert sum(counts.values()) >= 2500
    assert set(counts) == set(TAXONOMY)
    assert all(counts[label] >= 70 for label in TAXONOMY), counts
    assert all(counts[label] >= 200 for label in BUSIEST), counts


def test_texts_are_between_20_and_800_characters():
    assert [where for where, row in ROWS if not 20 <= len(row["text"]) <= 800] == []


def _minhash(text: str) -> MinHash:
    compact = re.sub(r"\s+", "", text)
    signature = MinHash(num_perm=64, seed=1)
    for i in range(max(1, len(compact) - 4)):
        signature.update(compact[i : i + 5].encode("utf-8"))
    return signature


@pytest.mark.slow
def test_no_two_texts_are_near_copies():
    """Character 5-gram Jaccard ≥ 0.6 (estimated by MinHash) counts as the same text with words swapped."""
    index = MinHashLSH(threshold=0.6, num_perm=64)
    copies = []
    for number, (where, row) in enumerate(ROWS):
        signature = _minhash(row["text"])
        copies += [(where, ROWS[other][0]) for other in index.query(signature)]
        index.insert(number, signature)
    assert copies == []


def test_the_near_copy_check_catches_a_one_word_swap():
    text = ROWS[0][1]["text"]
    swapped = text.replace(text[10:12], "某某", 1)
    assert _minhash(text).jaccard(_minhash(swapped)) >= 0.6
