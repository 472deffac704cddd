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
FORMS = {"board": "online", "hotline": "hotline", "letter": "letter", "visit": "visit"}


def _rows() -> list[tuple[str, dict]]:
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rows.append((f"{path.name}:{number}", json.loads(line)))
    return rows


ROWS = _rows()


def test_every_row_sits_at_a_place_of_the_standard_taxonomy_in_a_known_form():
    bad = [where for where, row in ROWS
           if row["label"] not in TAXONOMY or row["subcategory"] not in TAXONOMY[row["label"]]
           or row["type"] not in TAXONOMY[row["label"]][row["subcategory"]]
           or FORMS.get(row["form"]) != row["channel"] or not isinstance(row["title"], str)]
    assert bad == []


def test_size_and_coverage_of_every_level():
    assert len(ROWS) >= 8000
    subcategories = Counter((row["label"], row["subcategory"]) for _, row in ROWS)
    types = Counter((row["label"], row["subcategory"], row["type"]) for _, row in ROWS)
    thin_subcategories = [k for k in ((c, s) for c, subs in TAXONOMY.items() for s in subs) if subcategories[k] < 20]
    thin_types = [k for k in ((c, s, t) for c, subs in TAXONOMY.items() for s, ts in subs.items() for t in ts) if types[k] < 2]
    assert thin_subcategories == [] and thin_types == []


def test_message_board_posts_are_the_largest_form_and_every_form_is_there():
    forms = Counter(row["form"] for _, row in ROWS)
    assert set(forms) == set(FORMS)
    assert forms["board"] == max(forms.values()) and forms["board"] >= 0.4 * len(ROWS)


def test_texts_are_between_30_and_2000_characters():
    assert [where for where, row in ROWS if not 30 <= len(row["text"]) <= 2000] == []


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
