"""The classifier's features and model, as stock scikit-learn parts.

Features come in four TF-IDF blocks with sublinear term frequency: jieba word
uni+bigrams and character 1–3-grams of the body, and the same of the title.
The title is its own block with its own weight, because a subject line states
the issue in a few words and deserves more than its length. Blocks are fitted
once; model selection only re-weights them (`set_block_weights`), so comparing
candidates costs classifier fits, not re-tokenising.

The model is a linear SVM with balanced class weights. Its scores become
probabilities through a multinomial logistic regression fitted on the SVM's
out-of-fold scores (Platt scaling generalised to many classes; see
`service.pipeline.calibration`), so the confidence that gates human review was
learnt on cases the SVM had not seen.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from service.pipeline.tokenize import JiebaAnalyzer

TITLE, BODY = 0, 1
BODY_BLOCKS = ("body_words", "body_chars")
TITLE_BLOCKS = ("title_words", "title_chars")


def build_features(domain_words: tuple[str, ...], n_jobs: int | None = None) -> ColumnTransformer:
    """The four TF-IDF blocks over the (title, body) input columns, all weighted 1.

    `n_jobs` fits the blocks in parallel processes; reset it to None before serving,
    where one case at a time is not worth a process pool.
    """

    def words() -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=JiebaAnalyzer(domain_words, (1, 2)), sublinear_tf=True, dtype=np.float32)

    def chars() -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32)

    return ColumnTransformer(
        [("body_words", words(), BODY), ("body_chars", chars(), BODY),
         ("title_words", words(), TITLE), ("title_chars", chars(), TITLE)],
        transformer_weights=block_weights(1.0),
        n_jobs=n_jobs,
    )


def block_weights(title_weight: float) -> dict[str, float]:
    return {**dict.fromkeys(BODY_BLOCKS, 1.0), **dict.fromkeys(TITLE_BLOCKS, title_weight)}


def set_block_weights(features: ColumnTransformer, title_weight: float) -> ColumnTransformer:
    """Re-weight a fitted feature transformer in place (weights apply at transform time)."""
    return features.set_params(transformer_weights=block_weights(title_weight))


def linear_svm(C: float) -> LinearSVC:
    return LinearSVC(C=C, class_weight="balanced", random_state=0)


def probability_calibrator() -> LogisticRegression:
    """Maps a row of SVM scores to label probabilities."""
    return LogisticRegression(C=1.0, max_iter=1000)
