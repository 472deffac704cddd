"""The issue-type classifier at serving time: load an artifact, predict.

An artifact is a directory written by `triage train`: `model.joblib` (the
fitted scikit-learn pipelines plus metadata) and a model card. It refuses to
load under other library versions than it was trained with, because a
pickled pipeline silently changes behaviour across scikit-learn releases.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin

from service.errors import ModelError
from service.pipeline.calibration import as_columns
from service.pipeline.flag_context import FlagContext
from service.pipeline.normalize import han_count, han_ratio, normalize_text

ARTIFACT_FILE = "model.joblib"
FORMAT_VERSION = 3
MIN_HAN_RATIO = 0.3
MIN_HAN_CHARS = 4


def model_inputs(titles: list[str], texts: list[str]) -> np.ndarray:
    """The two-column (title, body) array the feature pipeline expects, normalised."""
    return np.array([[normalize_text(t or ""), normalize_text(b or "")] for t, b in zip(titles, texts)], dtype=object)


def library_versions() -> dict[str, str]:
    import jieba

    return {"scikit-learn": sklearn.__version__, "numpy": np.__version__, "jieba": jieba.__version__}


@dataclass(frozen=True)
class Prediction:
    label: str
    subcategory: str | None
    confidence: float
    top: tuple[tuple[str, float], ...]
    needs_review: bool
    review_reason: str | None
    type: str | None = None  # third level, within the subcategory


class Classifier:
    """A trained artifact: category pipeline, optional subcategory and type models, review threshold."""

    def __init__(self, artifact: dict[str, Any], review_threshold: float | None = None):
        self._category = artifact["category_pipeline"]
        self._subcategory = NestedLevel(artifact.get("subcategory_classifier"), artifact.get("subcategories", {}))
        self._type = NestedLevel(artifact.get("type_classifier"), artifact.get("types", {}))
        self.labels: list[str] = list(self._category.classes_)
        self.subcategories: dict[str, list[str]] = self._subcategory.children
        self.types: dict[str, list[str]] = self._type.children
        self.version: str = artifact["version"]
        self.threshold: float = review_threshold if review_threshold is not None else artifact["review_threshold"]
        # The flags' sentence classifiers (`<signal>_context` facts); an artifact without them leaves it to the lexicon.
        self.flag_context: FlagContext | None = artifact.get("flag_context")

    @classmethod
    def load(cls, model_dir: Path, review_threshold: float | None = None) -> Classifier:
        path = Path(model_dir) / ARTIFACT_FILE
        if not path.exists():
            raise ModelError(f"no model at {path}; train one with `triage train --data FILE --out {model_dir}`")
        stat = path.stat()
        artifact = _read_artifact(path.resolve(), stat.st_mtime_ns, stat.st_size)
        if artifact.get("format") != FORMAT_VERSION:
            raise ModelError(f"{path} has format {artifact.get('format')}, this service reads {FORMAT_VERSION}; retrain it")
        trained_with, running = artifact.get("libraries", {}), library_versions()
        mismatched = {k: (v, running.get(k)) for k, v in trained_with.items() if running.get(k) != v}
        if mismatched:
            details = ", ".join(f"{k} {a} (now {b})" for k, (a, b) in mismatched.items())
            raise ModelError(f"{path} was trained with {details}; retrain it with `triage train`")
        return cls(artifact, review_threshold)

    def predict(self, titles: list[str], texts: list[str]) -> list[Prediction]:
        inputs = model_inputs(titles, texts)
        features = self._category.named_steps["features"].transform(inputs)
        probabilities = self._category.named_steps["classifier"].predict_proba(features)
        sub_scores, type_scores = self._subcategory.scores(features), self._type.scores(features)
        predictions = []
        for row, (_, body) in enumerate(inputs):
            order = np.argsort(-probabilities[row])
            label, confidence = self.labels[order[0]], float(probabilities[row][order[0]])
            top = tuple((self.labels[i], round(float(probabilities[row][i]), 4)) for i in order[:3])
            subcategory = self._subcategory.best(label, sub_scores, row)
            kind = self._type.best(f"{label}/{subcategory}", type_scores, row) if subcategory else None
            reason = _not_petition_text(body)
            if reason is None and confidence < self.threshold:
                reason = f"confidence {confidence:.2f} is below the review threshold {self.threshold:.2f}"
            predictions.append(Prediction(label, subcategory, round(confidence, 4), top, reason is not None, reason, kind))
        return predictions


@lru_cache(maxsize=2)
def _read_artifact(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    """An artifact unpickled once per process and file version (a rewritten file is read again).

    Unpickling takes seconds; a process that builds several pipelines (the test suite, a
    server whose app is created again) shares one read-only copy. Nothing mutates it.
    """
    return joblib.load(path)


class KeptColumns(TransformerMixin, BaseEstimator):
    """The feature columns a finer level was fitted on, chosen once at training time.

    scikit-learn's SelectKBest re-ranks every column's score on each transform (8 ms per case
    over 145,000 columns); a fixed index list costs a slice.
    """

    def __init__(self, indices: np.ndarray):
        self.indices = indices

    def fit(self, features, labels=None):
        return self

    def transform(self, features):
        return features[:, self.indices]


class NestedLevel:
    """One finer level of the taxonomy: a linear model over "parent/child" paths, read within a parent.

    One model over all paths (not one per parent) shares what parents have in common and
    stays one matrix product per batch; the child is the best-scoring path under the parent
    the coarser level chose, so the levels never contradict each other.
    """

    def __init__(self, model: Any, children: dict[str, list[str]]):
        self.model = model
        self.children = children
        self._index = {name: i for i, name in enumerate(model.classes_)} if model is not None else {}

    def scores(self, features) -> np.ndarray | None:
        if self.model is None:
            return None
        return as_columns(self.model.decision_function(features))

    def best(self, parent: str, scores: np.ndarray | None, row: int) -> str | None:
        children = self.children.get(parent, [])
        if len(children) == 1:
            return children[0]
        if scores is None or not children:
            return None
        candidates = [(scores[row, self._index[f"{parent}/{c}"]], c) for c in children if f"{parent}/{c}" in self._index]
        return max(candidates)[1] if candidates else None


def _not_petition_text(body: str) -> str | None:
    if han_count(body) < MIN_HAN_CHARS or han_ratio(body) < MIN_HAN_RATIO:
        return "the text is not Chinese petition text (too few Chinese characters)"
    return None
