"""Whether the words a lexicon signal matched mean its flag, read from the sentence around them.

The lexicon finds 「全体业主」 or 「去北京」; only the sentence says whether the owners act together
or one owner complains on their behalf, whether the writer goes to Beijing to petition or to work.
A small classifier per flag, trained by `triage train` on labelled sentences
(`training/flag_sentences/`), scores the sentence around each hit. The score becomes a fact beside
the signal's evidence (`joint_context`), and the rules decide with it: Python reads, rules decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

SENTENCE_END = re.compile(r"[。！？!?；;\n]")
MIN_SENTENCE = 24  # a shorter sentence (「我们去了。」) is read with its neighbours
MAX_SIDE = 80  # characters kept either side of the hit: the sentences trained on are 25–160 long
MAX_SCORED_HITS = 32  # per signal and case: a hostile text of ten thousand hits costs no more


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], with its neighbours while it is shorter than MIN_SENTENCE."""
    low, high = max(0, start - MAX_SIDE), min(len(text), end + MAX_SIDE)
    before = [low] + [m.end() for m in SENTENCE_END.finditer(text, low, start)]
    after = [m.end() for m in SENTENCE_END.finditer(text, end, high)] + [high]
    left, right = len(before) - 1, 0
    while after[right] - before[left] < MIN_SENTENCE and (left > 0 or right < len(after) - 1):
        if right < len(after) - 1:
            right += 1
        if after[right] - before[left] < MIN_SENTENCE and left > 0:
            left -= 1
    return text[before[left]:after[right]].strip()


class FlagContext:
    """One fitted sentence classifier per flag code (a scikit-learn pipeline with predict_proba)."""

    def __init__(self, models: Mapping[str, Any]):
        self._models = dict(models)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(sorted(self._models))

    def scores(self, flag: str, sentences: list[str]) -> list[float] | None:
        """P(the sentence means the flag) for each sentence; None when no classifier reads this flag."""
        model = self._models.get(flag)
        if model is None or not sentences:
            return None
        return [float(p) for p in model.predict_proba(sentences)[:, 1]]


def scored_hits(text: str, readers: Mapping[str, tuple[str | None, list]],
                context: FlagContext | None) -> dict[str, list[float] | None]:
    """Each reader's hits (its first MAX_SCORED_HITS) scored by its flag's classifier: one call per flag and case.

    `readers`: name → (flag, hits). A reader without a flag or classifier gets None.
    """
    scores: dict[str, list[float] | None] = dict.fromkeys(readers)
    by_flag: dict[str, list[str]] = {}
    for name, (flag, hits) in readers.items():
        if context and flag and hits:
            by_flag.setdefault(flag, []).append(name)
    for flag, names in by_flag.items():
        sentences = [sentence_around(text, h.start, h.end) for name in names for h in readers[name][1][:MAX_SCORED_HITS]]
        found = context.scores(flag, sentences)
        if found is None:
            continue
        offset = 0
        for name in names:
            count = min(len(readers[name][1]), MAX_SCORED_HITS)
            scores[name], offset = found[offset:offset + count], offset + count
    return scores


def surest(hits: list, scores: list[float] | None, preference: Callable[[Any], Any]) -> tuple[Any, float] | None:
    """The hit whose sentence most surely means the flag, with that probability.

    Among hits equally sure to one decimal, and without scores (no classifier for the flag: the
    score is then 1.0 and the lexicon alone decides), the one `preference` ranks highest.
    """
    if not hits:
        return None
    if scores is None:
        return max(hits, key=preference), 1.0
    scored = hits[:len(scores)]
    best = max(range(len(scored)), key=lambda i: (round(scores[i], 1), preference(scored[i])))
    return scored[best], round(scores[best], 4)
