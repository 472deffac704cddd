"""Model selection: compare a few feature/model candidates by cross-validation, keep the best.

Candidates differ in how much the title counts: not at all, half, or as much as the
body. (A heavier title and regularisation strengths 0.25–1 were tried on held-out
messages written in another style; they did worse or moved macro-F1 less than the
title weight did, and each candidate costs about 20 s per 10,000 documents.)
All share the fitted feature blocks, so each costs only its classifier fits.
The TF-IDF vocabulary and IDF are fitted on all training texts before the
folds are cut; they use no labels, so the comparison stays fair between
candidates and the optimism it adds is small and the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import BaseCrossValidator, cross_val_predict

from training.features import BODY_BLOCKS, TITLE_BLOCKS, linear_svm


@dataclass(frozen=True)
class Candidate:
    name: str
    title_weight: float  # 0 ignores the title
    C: float

    def describe(self) -> str:
        title = "no title" if self.title_weight == 0 else f"title blocks weighted {self.title_weight:g}"
        return f"word 1-2 + char 1-3 TF-IDF, {title}; LinearSVC(C={self.C:g}, balanced)"


CANDIDATES = (
    Candidate("body-only", title_weight=0.0, C=0.5),
    Candidate("title-light", title_weight=0.5, C=0.5),
    Candidate("title-apart", title_weight=1.0, C=0.5),
)


@dataclass(frozen=True)
class Result:
    candidate: Candidate
    accuracy: float
    macro_f1: float
    scores: np.ndarray  # out-of-fold SVM decision values, one row per document

    def summary(self) -> dict:
        return {"name": self.candidate.name, "model": self.candidate.describe(),
                "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4)}


def weighted(blocks: dict[str, sparse.csr_matrix], title_weight: float) -> sparse.csr_matrix:
    """The feature matrix a candidate sees: body blocks as they are, title blocks scaled.

    Same columns, in the same order, as the fitted feature transformer re-weighted
    with `set_block_weights` produces; a weight of 0 leaves the title columns empty.
    """
    parts = [blocks[name] for name in BODY_BLOCKS] + [blocks[name] * title_weight for name in TITLE_BLOCKS]
    return sparse.hstack(parts, format="csr")


def compare(
    blocks: dict[str, sparse.csr_matrix], labels: np.ndarray, cv: BaseCrossValidator,
    candidates: tuple[Candidate, ...] = CANDIDATES, n_jobs: int | None = None,
) -> list[Result]:
    """Cross-validate every candidate on the same folds; best first (macro-F1, then accuracy)."""
    results = []
    for candidate in candidates:
        matrix = weighted(blocks, candidate.title_weight)
        scores = cross_val_predict(linear_svm(candidate.C), matrix, labels, cv=cv, method="decision_function", n_jobs=n_jobs)
        classes = np.unique(labels)
        predicted = classes[scores.argmax(axis=1)] if scores.ndim == 2 else classes[(scores > 0).astype(int)]
        results.append(Result(candidate, float(accuracy_score(labels, predicted)),
                              float(f1_score(labels, predicted, average="macro")), scores))
    return sorted(results, key=lambda r: (-r.macro_f1, -r.accuracy))  # stable: ties keep the listed order
