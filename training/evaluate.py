"""Score a trained model on labelled data: the JSON report `triage evaluate` prints.

Macro-F1 averages over the labels present in the evaluation data. A model may
know more labels than the data has (the 15-category default scored on an
office's 7), and a case predicted as one of those extra labels counts as a miss
of its true label rather than adding empty classes to the average; how many
such predictions there were is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
)

from service.pipeline.classifier import Classifier
from training.data import LabelledData

RELIABILITY_BINS = 10
BATCH = 500


@dataclass(frozen=True)
class Scored:
    """Per-document outcome of a model on labelled data (what the report and the plots are made of)."""

    labels: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    needs_review: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.labels


def score(classifier: Classifier, data: LabelledData) -> Scored:
    predictions = []
    for start in range(0, len(data.texts), BATCH):
        predictions += classifier.predict(data.titles[start:start + BATCH], data.texts[start:start + BATCH])
    return Scored(
        labels=np.array(data.labels),
        predicted=np.array([p.label for p in predictions]),
        confidence=np.array([p.confidence for p in predictions]),
        needs_review=np.array([p.needs_review for p in predictions]),
    )


def report(classifier: Classifier, data: LabelledData, scored: Scored) -> dict[str, Any]:
    data_labels = sorted(set(data.labels))
    all_labels = sorted(set(data_labels) | set(scored.predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        scored.labels, scored.predicted, labels=data_labels, zero_division=0
    )
    auto = ~scored.needs_review
    prob_true, prob_pred = calibration_curve(scored.correct, scored.confidence, n_bins=RELIABILITY_BINS)
    return {
        "model": classifier.version,
        "documents": len(data.labels),
        "data_sha256": data.sha256,
        "accuracy": round(float(accuracy_score(scored.labels, scored.predicted)), 4),
        "macro_f1": round(float(np.mean(f1)), 4),
        "macro_f1_over": "labels present in the evaluation data",
        "per_label": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "support": int(s)}
            for label, p, r, f, s in zip(data_labels, precision, recall, f1, support)
        },
        "confusion_matrix": {
            "labels": all_labels,
            "rows": "true label",
            "columns": "predicted label",
            "matrix": confusion_matrix(scored.labels, scored.predicted, labels=all_labels).tolist(),
        },
        "predicted_outside_data_labels": int(np.sum(~np.isin(scored.predicted, data_labels))),
        "labels_unknown_to_model": sorted(set(data_labels) - set(classifier.labels)),
        "review": {
            "threshold": round(classifier.threshold, 4),
            "review_share": round(float(np.mean(scored.needs_review)), 4),
            "auto_routed_accuracy": round(float(scored.correct[auto].mean()), 4) if auto.any() else None,
        },
        "calibration": {
            "expected_calibration_error": round(expected_calibration_error(scored.confidence, scored.correct), 4),
            "bins": [{"confidence": round(float(p), 4), "accuracy": round(float(t), 4)} for t, p in zip(prob_true, prob_pred)],
        },
    }


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = RELIABILITY_BINS) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gaps = [abs(confidence[which == b].mean() - correct[which == b].mean()) * np.mean(which == b)
            for b in range(bins) if np.any(which == b)]
    return float(np.sum(gaps))
