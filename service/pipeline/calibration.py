"""Probabilities for a linear classifier: logistic regression over its out-of-fold scores.

This is scikit-learn's stacking (`StackingClassifier` with a logistic final
estimator) taken apart at the seam: training already has every document's
out-of-fold SVM scores from model selection, so the calibrator is fitted on
those instead of cutting the same folds and refitting the same SVMs again.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


def as_columns(scores: np.ndarray) -> np.ndarray:
    """Decision values as one column per class.

    A binary linear classifier returns one value per row, the score of its second class; the
    first class gets its negation, so training, calibration and serving all see two columns.
    """
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


class ScoreCalibratedClassifier(ClassifierMixin, BaseEstimator):
    """A fitted linear classifier and a logistic regression fitted on its out-of-fold scores."""

    def __init__(self, scorer: BaseEstimator, calibrator: LogisticRegression):
        if list(scorer.classes_) != list(calibrator.classes_):
            raise ValueError("the scorer and the calibrator were fitted on different label sets")
        self.scorer = scorer
        self.calibrator = calibrator

    @property
    def classes_(self) -> np.ndarray:
        return self.scorer.classes_

    def predict_proba(self, features) -> np.ndarray:
        return self.calibrator.predict_proba(as_columns(self.scorer.decision_function(features)))

    def predict(self, features) -> np.ndarray:
        return self.classes_[self.predict_proba(features).argmax(axis=1)]
