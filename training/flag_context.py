"""Sentence classifiers for the flags' context facts, fitted on labelled sentences.

`training/flag_sentences/` holds, per flag, sentences that carry a lexicon signal's words,
labelled whether they mean the flag (「我们二十多名工人一起去」 yes, 「二十多名工人受影响」 no). One
classifier per flag (character n-grams: the cue is often two or three characters around the
matched words) gives the probability the service puts beside the signal's evidence
(`service/pipeline/flag_context.py`). Cross-validated quality goes in the model card.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from service.errors import ModelError
from service.pipeline.flag_context import FlagContext
from service.pipeline.normalize import normalize_text
from training.data import read_rows

FLAG_SENTENCES = Path(__file__).resolve().parent / "flag_sentences"
FLAG_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_PER_CLASS = 10  # five folds need both labels in each
THRESHOLD = 0.4  # the shipped rules gate on `<signal>_context >= 0.4`; the card reports quality there


@dataclass(frozen=True)
class Sentences:
    """Labelled sentences per flag code, normalised as the service normalises text."""

    by_flag: dict[str, tuple[list[str], np.ndarray]]
    sha256: str


def read_sentences(directory: Path) -> Sentences:
    """Every .jsonl file of the directory: {"flag": code, "label": 0|1, "text": ...} per line."""
    directory = Path(directory)
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    if not files:
        raise ModelError(f"{directory}: no .jsonl files of labelled flag sentences")
    texts: dict[str, list[str]] = {}
    labels: dict[str, list[int]] = {}
    digest = hashlib.sha256()
    for file in files:
        for number, row in enumerate(read_rows(file), start=1):
            flag, label, text = row.get("flag"), row.get("label"), row.get("text")
            where = f"{file.name}: row {number}"
            if not isinstance(flag, str) or not FLAG_CODE.match(flag):
                raise ModelError(f"{where}: 'flag' must be a flag code such as collective")
            if label not in (0, 1) or isinstance(label, bool):
                raise ModelError(f"{where}: 'label' must be 1 (means the flag) or 0 (a look-alike)")
            if not isinstance(text, str) or not text.strip():
                raise ModelError(f"{where}: 'text' is empty")
            texts.setdefault(flag, []).append(normalize_text(text))
            labels.setdefault(flag, []).append(label)
            digest.update(json.dumps([flag, label, text], ensure_ascii=False).encode())
    for flag, values in labels.items():
        counts = np.bincount(values, minlength=2)
        if counts.min() < MIN_PER_CLASS:
            raise ModelError(f"{directory}: flag {flag} has {counts[1]} sentences labelled 1 and {counts[0]} labelled 0; "
                             f"each needs at least {MIN_PER_CLASS}")
    return Sentences({flag: (texts[flag], np.array(labels[flag])) for flag in sorted(texts)}, digest.hexdigest())


def sentence_model() -> Pipeline:
    return Pipeline([
        ("features", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)),
        ("classifier", LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)),
    ])


def fit_flag_context(sentences: Sentences, folds: int = 5) -> tuple[FlagContext, dict[str, Any]]:
    """One fitted classifier per flag, and its cross-validated precision and recall at THRESHOLD."""
    models, quality = {}, {}
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    for flag, (texts, labels) in sentences.by_flag.items():
        probabilities = cross_val_predict(sentence_model(), texts, labels, cv=cv, method="predict_proba")[:, 1]
        precision, recall, f1, _ = precision_recall_fscore_support(
            labels, probabilities >= THRESHOLD, average="binary", zero_division=0)
        quality[flag] = {"sentences": len(texts), "means_the_flag": int(labels.sum()),
                         "precision": round(float(precision), 3), "recall": round(float(recall), 3),
                         "f1": round(float(f1), 3)}
        models[flag] = sentence_model().fit(texts, labels)
    card = {"sha256": sentences.sha256, "threshold": THRESHOLD, "folds": folds,
            "model": "char 1-3 TF-IDF; LogisticRegression(C=10, balanced)", "flags": quality}
    return FlagContext(models), card
