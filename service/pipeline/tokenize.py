"""jieba tokenisation with the project's domain dictionary.

jieba's main dictionary takes about a second to build; it is built once per
process and its cache file lives in the data directory, so later processes
load it in a fraction of that. The domain words travel inside the analyzer
(and so inside a pickled model), which keeps a trained model self-contained:
it tokenises at serving time exactly as it did at training time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

_lock = threading.Lock()
_tokenizers: dict[tuple[str, ...], jieba.Tokenizer] = {}
_cache: dict[str, Path] = {}  # the one setting the tokenizer has: where jieba keeps its dictionary cache


def use_cache_dir(directory: Path) -> None:
    """Keep jieba's dictionary cache here (the data directory's cache/); unset, jieba's own temp directory."""
    with _lock:
        _cache["dir"] = Path(directory)


def read_word_list(path: Path) -> tuple[str, ...]:
    """A jieba user dictionary: one word per line, optional frequency and tag; '#' comments."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return tuple(words)


def get_tokenizer(domain_words: Iterable[str] = ()) -> jieba.Tokenizer:
    """One shared jieba tokenizer per distinct domain dictionary."""
    key = tuple(domain_words)
    with _lock:
        tokenizer = _tokenizers.get(key)
        if tokenizer is None:
            tokenizer = jieba.Tokenizer()
            if "dir" in _cache:
                _cache["dir"].mkdir(parents=True, exist_ok=True)
                tokenizer.tmp_dir = str(_cache["dir"])
            tokenizer.initialize()
            for entry in key:
                parts = entry.split()
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                tokenizer.add_word(parts[0], freq=freq)
            _tokenizers[key] = tokenizer
        return tokenizer


class JiebaAnalyzer:
    """A picklable scikit-learn analyzer: normalised text → jieba word tokens.

    Single characters that are punctuation or white space are dropped; word
    n-grams are built here because a callable analyzer bypasses sklearn's own.
    """

    def __init__(self, domain_words: tuple[str, ...] = (), ngram_range: tuple[int, int] = (1, 1)):
        self.domain_words = tuple(domain_words)
        self.ngram_range = ngram_range

    def __call__(self, text: str) -> list[str]:
        tokens = [t for t in get_tokenizer(self.domain_words).lcut(text) if _is_word(t)]
        low, high = self.ngram_range
        grams = tokens if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams


def _is_word(token: str) -> bool:
    token = token.strip()
    return bool(token) and any(ch.isalnum() for ch in token)
