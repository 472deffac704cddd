"""Train an artifact: fit features, compare candidates, calibrate the best, choose the review threshold.

Deterministic: the same data gives the same model (fixed seeds, stable order,
folds cut by a seeded splitter).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from service.pipeline.calibration import ScoreCalibratedClassifier, as_columns
from service.pipeline.classifier import (
    ARTIFACT_FILE,
    FORMAT_VERSION,
    library_versions,
    model_inputs,
)
from service.pipeline.tokenize import read_word_list
from training.card import render_card
from training.data import LabelledData
from training.features import (
    build_features,
    linear_svm,
    probability_calibrator,
    set_block_weights,
)
from training.selection import CANDIDATES, compare, weighted

DOMAIN_DICTIONARY = Path(__file__).resolve().parent / "jieba_dict.txt"
MAX_AUTO_ERROR = 0.05  # at most 5% of auto-routed cases may be wrong
N_JOBS = 2  # classifier fits run in parallel; this machine class has two cores


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, max_error: float = MAX_AUTO_ERROR) -> float:
    """The lowest confidence cut-off at which the cases kept for auto-routing are at most `max_error` wrong."""
    order = np.argsort(-confidence, kind="stable")
    errors = np.cumsum(~correct[order]) / np.arange(1, len(order) + 1)
    ok = np.nonzero(errors <= max_error)[0]
    if len(ok) == 0:
        return 1.0
    return float(confidence[order][ok[-1]])


def train(data: LabelledData, out_dir: Path, *, name: str | None = None, folds: int = 5) -> dict[str, Any]:
    started = time.perf_counter()
    out_dir = Path(out_dir)
    inputs = model_inputs(data.titles, data.texts)
    labels = np.array(data.labels)
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)

    features = build_features(read_word_list(DOMAIN_DICTIONARY), n_jobs=N_JOBS)
    stacked = features.fit_transform(inputs).tocsr()  # tokenise once; candidates re-weight the blocks
    features.set_params(n_jobs=None)
    blocks = {name: stacked[:, columns] for name, columns in features.output_indices_.items() if name != "remainder"}
    candidates = CANDIDATES if any(data.titles) else tuple(c for c in CANDIDATES if c.title_weight == 0)
    results = compare(blocks, labels, cv, candidates, n_jobs=N_JOBS)
    best = results[0]

    set_block_weights(features, best.candidate.title_weight)
    matrix = weighted(blocks, best.candidate.title_weight)
    scores = as_columns(best.scores)
    classifier = ScoreCalibratedClassifier(linear_svm(best.candidate.C).fit(matrix, labels),
                                           probability_calibrator().fit(scores, labels))
    pipeline = Pipeline([("features", features), ("classifier", classifier)])

    # Validation probabilities: the SVM scores are out-of-fold already; the probability layer is
    # cross-validated on them too, so no document is scored by a model that saw its label.
    probabilities = cross_val_predict(probability_calibrator(), scores, labels, cv=cv, method="predict_proba")
    predicted = classifier.classes_[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    correct = predicted == labels
    threshold = choose_threshold(confidence, correct)
    auto = confidence >= threshold

    sub_classifier, subcategories = _fit_nested(matrix, data.labels, data.subcategories)
    type_classifier, types = _fit_nested(matrix, _paths(data.labels, data.subcategories), data.types)
    version = f"{name or out_dir.name}-{data.sha256[:8]}"
    card = {
        "version": version,
        "trained_seconds": round(time.perf_counter() - started, 1),
        "data": {"sha256": data.sha256, "documents": len(data.texts), "skipped_rows": data.skipped,
                 "label_counts": data.label_counts(), "uses_titles": any(data.titles)},
        "libraries": library_versions(),
        "model": f"{best.candidate.describe()}; probabilities from a logistic regression on its out-of-fold scores",
        "selection": [result.summary() for result in results],
        "cross_validation": {
            "folds": folds,
            "accuracy": round(float(accuracy_score(labels, predicted)), 4),
            "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        },
        "review": {"threshold": round(threshold, 4), "max_auto_error": MAX_AUTO_ERROR,
                   "review_share": round(float(np.mean(~auto)), 4),
                   "auto_error": round(float(1 - correct[auto].mean()), 4) if auto.any() else 0.0},
    }
    artifact = {
        "format": FORMAT_VERSION,
        "version": version,
        "category_pipeline": pipeline,
        "subcategory_classifier": sub_classifier,
        "subcategories": subcategories,
        "type_classifier": type_classifier,
        "types": types,
        "review_threshold": threshold,
        "libraries": library_versions(),
        "card": card,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, out_dir / ARTIFACT_FILE, compress=3)
    (out_dir / "model_card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(render_card(card), encoding="utf-8")
    return card


def _paths(labels: list[str], subcategories: list[str] | None) -> list[str]:
    return [f"{label}/{sub}" if sub else "" for label, sub in zip(labels, subcategories or [""] * len(labels))]


def _fit_nested(matrix, parents: list[str], children: list[str] | None) -> tuple[Any, dict[str, list[str]]]:
    """A finer level as one linear model over "parent/child" paths, on the same features.

    Returns the model (None without children, or with a single path) and each parent's children.
    """
    if not children:
        return None, {}
    rows = [i for i, (parent, child) in enumerate(zip(parents, children)) if parent and child]
    paths = [f"{parents[i]}/{children[i]}" for i in rows]
    tree: dict[str, list[str]] = {}
    for path in sorted(set(paths)):
        parent, child = path.rsplit("/", 1)
        tree.setdefault(parent, []).append(child)
    if len(set(paths)) < 2:
        return None, tree
    return linear_svm(0.5).fit(matrix[rows], paths), tree
