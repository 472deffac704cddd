"""Text normalisation shared by the classifier, fact extraction and training.

NFKC folds full-width letters, digits and most punctuation to their ordinary
forms; OpenCC folds traditional characters to simplified ones, so 「拖欠薪資」
and 「拖欠薪资」 are the same words to every later stage.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (OpenCC t2s), nothing else."""
    return _t2s().convert(text)


def normalize_text(text: str) -> str:
    """NFKC, traditional → simplified, collapsed white space."""
    simplified = to_simplified(unicodedata.normalize("NFKC", text))
    return _SPACES.sub(" ", simplified).strip()


def joined_text(title: str | None, content: str) -> str:
    """A case's subject line and body as one normalised text: what signals, areas and copy detection read."""
    return normalize_text(f"{title or ''}\n{content}")


def han_count(text: str) -> int:
    """Number of Han (CJK unified) characters."""
    return len(_HAN.findall(text))


def han_ratio(text: str) -> float:
    """Share of Han characters among non-space characters (0 for empty text)."""
    visible = sum(1 for ch in text if not ch.isspace())
    return han_count(text) / visible if visible else 0.0
