"""Model selection for transfer: score candidates where the real text will differ from the training text.

A classifier that wins cross-validation on one corpus can lose on the messages an office
really receives (the written corpus scored 0.90 in cross-validation and 0.73 on real
posts). When the data says which form each text has, the candidates are trained on every
other form and scored on the held-out one (message-board posts by default, the form the
service is judged on); otherwise on cross-validation folds. The same rows then calibrate
the probabilities and set the review threshold, so both are learnt on text the model had
not seen in a form it was not trained on.

All candidates share the fitted TF-IDF blocks; each costs only its classifier fits.
The vocabulary and IDF are fitted on all texts before the split; they use no labels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import ComplementNB

from service.pipeline.calibration import as_columns
from training.features import BODY_BLOCKS, TITLE_BLOCKS, linear_svm

WORD_BLOCKS = ("body_words", "title_words")


class _ScoreArgmax:
    """`predict` from `decision_function`, which is all selection and calibration read."""

    def predict(self, features) -> np.ndarray:
        return self.classes_[as_columns(self.decision_function(features)).argmax(axis=1)]


class LogProbabilityScorer(_ScoreArgmax, ClassifierMixin, BaseEstimator):
    """Complement naive Bayes with log-probabilities as its decision values, like a linear model's scores."""

    def __init__(self, alpha: float = 0.3):
        self.alpha = alpha

    def fit(self, features, labels):
        self.model_ = ComplementNB(alpha=self.alpha).fit(features, labels)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, features) -> np.ndarray:
        return self.model_.predict_log_proba(features)


class StandardisedVote(_ScoreArgmax, ClassifierMixin, BaseEstimator):
    """Soft vote of linear scorers: each member's decision values divided by their spread on the training data,
    then averaged, so a member with large raw scores does not outvote the others."""

    def __init__(self, members: tuple = ()):
        self.members = members

    def fit(self, features, labels):
        self.fitted_ = [clone(member).fit(features, labels) for member in self.members]
        self.classes_ = self.fitted_[0].classes_
        self.spread_ = [float(np.std(as_columns(m.decision_function(features)))) or 1.0 for m in self.fitted_]
        return self

    def decision_function(self, features) -> np.ndarray:
        return sum(as_columns(m.decision_function(features)) / s for m, s in zip(self.fitted_, self.spread_)) / len(self.fitted_)


def shrink(estimator: BaseEstimator) -> BaseEstimator:
    """A fitted scorer made smaller for the artifact: float32 weights, no fit-time counts.

    Predictions change in the seventh digit; the artifact loses about half its size.
    """
    if isinstance(estimator, StandardisedVote):
        for member in estimator.fitted_:
            shrink(member)
    elif isinstance(estimator, LogProbabilityScorer):
        model = estimator.model_
        model.feature_log_prob_ = model.feature_log_prob_.astype(np.float32)
        model.feature_count_ = model.feature_all_ = None  # read only while fitting
    elif hasattr(estimator, "coef_"):
        estimator.coef_, estimator.intercept_ = estimator.coef_.astype(np.float32), estimator.intercept_.astype(np.float32)
    return estimator


def sgd_modified_huber() -> SGDClassifier:
    return SGDClassifier(loss="modified_huber", alpha=5e-5, class_weight="balanced", max_iter=50, tol=1e-4,
                         random_state=0)


@dataclass(frozen=True)
class Candidate:
    name: str
    model: str  # svm | sgd | cnb | ensemble
    title_weight: float = 0.5  # 0 ignores the title
    words: bool = True  # False: character n-grams only
    C: float = 0.5

    def estimator(self) -> BaseEstimator:
        if self.model == "svm":
            return linear_svm(self.C)
        if self.model == "sgd":
            return sgd_modified_huber()
        if self.model == "cnb":
            return LogProbabilityScorer()
        return StandardisedVote((linear_svm(self.C), sgd_modified_huber(), LogProbabilityScorer()))

    def describe(self) -> str:
        grams = "word 1-2 + char 1-3" if self.words else "char 1-3"
        title = "no title" if self.title_weight == 0 else f"title blocks weighted {self.title_weight:g}"
        model = {"svm": f"LinearSVC(C={self.C:g}, balanced)", "sgd": "SGD(modified Huber, balanced)",
                 "cnb": "ComplementNB(alpha=0.3)",
                 "ensemble": "standardised soft vote of LinearSVC, SGD(modified Huber) and ComplementNB"}[self.model]
        return f"{grams} TF-IDF, {title}; {model}"


CANDIDATES = (
    Candidate("svm", "svm"),
    Candidate("svm-body-only", "svm", title_weight=0.0),
    Candidate("svm-chars", "svm", words=False),
    Candidate("complement-nb", "cnb"),
    Candidate("sgd-huber", "sgd"),
    Candidate("ensemble", "ensemble"),
)


def weighted(blocks: dict[str, sparse.csr_matrix], candidate: Candidate) -> sparse.csr_matrix:
    """The feature matrix a candidate sees, with the same columns `set_block_weights` gives the fitted transformer."""
    weights = block_weights(candidate)
    return sparse.hstack([blocks[name] * weights[name] for name in (*BODY_BLOCKS, *TITLE_BLOCKS)], format="csr")


def block_weights(candidate: Candidate) -> dict[str, float]:
    weights = {**dict.fromkeys(BODY_BLOCKS, 1.0), **dict.fromkeys(TITLE_BLOCKS, candidate.title_weight)}
    if not candidate.words:
        weights.update(dict.fromkeys(WORD_BLOCKS, 0.0))
    return weights


@dataclass(frozen=True)
class Protocol:
    """Where candidates are scored: rows of a held-out form (trained on the rest), or out-of-fold rows."""

    name: str
    eval_rows: np.ndarray
    train_rows: np.ndarray | None = None  # None: cross-validation over all rows
    folds: int = 5

    @classmethod
    def choose(cls, labels: np.ndarray, forms: list[str] | None, holdout: str | None, folds: int = 5) -> Protocol:
        """Hold out `holdout` when every label also occurs in the other forms and `folds` times in the held-out
        form (its probabilities are cross-validated there), and the held-out part has at least 50 rows."""
        everything = np.arange(len(labels))
        if forms and holdout:
            held = np.array([form == holdout for form in forms])
            rest = everything[~held]
            held_counts = Counter(labels[held])
            if (held.sum() >= 50 and set(labels[rest]) == set(labels)
                    and all(held_counts[label] >= folds for label in set(labels))):
                return cls(f"held-out form '{holdout}'", everything[held], rest, folds)
        return cls(f"{folds}-fold cross-validation", everything, None, folds)

    def scores(self, estimator: BaseEstimator, matrix, labels: np.ndarray, n_jobs: int | None = None) -> np.ndarray:
        """Decision values for the evaluation rows, from models that never saw them."""
        if self.train_rows is None:
            cv = StratifiedKFold(self.folds, shuffle=True, random_state=0)
            return as_columns(cross_val_predict(estimator, matrix, labels, cv=cv, method="decision_function", n_jobs=n_jobs))
        fitted = clone(estimator).fit(matrix[self.train_rows], labels[self.train_rows])
        return as_columns(fitted.decision_function(matrix[self.eval_rows]))


@dataclass(frozen=True)
class Result:
    candidate: Candidate
    accuracy: float
    macro_f1: float
    scores: np.ndarray  # decision values of the protocol's evaluation rows

    def summary(self) -> dict:
        return {"name": self.candidate.name, "model": self.candidate.describe(),
                "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4)}


def compare(blocks: dict[str, sparse.csr_matrix], labels: np.ndarray, protocol: Protocol,
            candidates: tuple[Candidate, ...] = CANDIDATES, n_jobs: int | None = None) -> list[Result]:
    """Score every candidate under one protocol; best first (macro-F1, then accuracy, then listed order)."""
    classes = np.unique(labels)
    truth = labels[protocol.eval_rows]
    results = []
    for candidate in candidates:
        scores = protocol.scores(candidate.estimator(), weighted(blocks, candidate), labels, n_jobs)
        predicted = classes[scores.argmax(axis=1)]
        results.append(Result(candidate, float(accuracy_score(truth, predicted)),
                              float(f1_score(truth, predicted, average="macro")), scores))
    return sorted(results, key=lambda r: (-r.macro_f1, -r.accuracy))
