"""The classifier as a stock scikit-learn Pipeline.

Features: jieba word uni+bigrams and character 1–3-grams of the body, and the
same for the title with their own weight (a title states the issue in a few
words, so it deserves more than its length). TF-IDF with sublinear term
frequency; a linear SVM with balanced class weights, calibrated by Platt
scaling so the confidence can gate human review.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from service.pipeline.tokenize import JiebaAnalyzer

TITLE, BODY = 0, 1


def build_features(domain_words: tuple[str, ...], title_weight: float = 1.0, use_title: bool = True) -> ColumnTransformer:
    def words():
        return TfidfVectorizer(analyzer=JiebaAnalyzer(domain_words, (1, 2)), sublinear_tf=True, min_df=1, dtype=np.float32)

    def chars():
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32)

    parts = [("body_words", words(), BODY), ("body_chars", chars(), BODY)]
    if use_title:
        parts += [("title_words", words(), TITLE), ("title_chars", chars(), TITLE)]
    weights = {"title_words": title_weight, "title_chars": title_weight}
    return ColumnTransformer(parts, transformer_weights={name: weights.get(name, 1.0) for name, _, _ in parts})


def build_pipeline(
    domain_words: tuple[str, ...], *, C: float = 0.5, title_weight: float = 1.0, use_title: bool = True
) -> Pipeline:
    svm = LinearSVC(C=C, class_weight="balanced", random_state=0)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=0))
    return Pipeline([("features", build_features(domain_words, title_weight, use_title)), ("classifier", calibrated)])
