"""The human-readable model card (MODEL_CARD.md) rendered from the card dict `train` writes."""

from __future__ import annotations

from typing import Any


def render_card(card: dict[str, Any]) -> str:
    cv, review, data = card["cross_validation"], card["review"], card["data"]
    counts = "\n".join(f"| {label} | {n} |" for label, n in data["label_counts"].items())
    libraries = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    selection = "\n".join(
        f"| {'**' + row['name'] + '**' if i == 0 else row['name']} | {row['model']} | {row['accuracy']} | {row['macro_f1']} |"
        for i, row in enumerate(card["selection"])
    )
    return f"""# Model card: {card['version']}

Issue-type classifier for petitions, written by `triage train`.

- **Model**: {card['model']}
- **Training data**: {data['documents']} documents (sha256 `{data['sha256'][:16]}…`), titles used: {data['uses_titles']};
  {data['skipped_rows']} rows skipped for empty text or label.
- **Libraries**: {libraries}
- **Training time**: {card['trained_seconds']} s on the training machine (model selection and cross-validation included).

## Model selection ({cv['folds']}-fold cross-validation, same folds for every candidate)
| candidate | model | accuracy | macro-F1 |
|---|---|---|---|
{selection}

The first row (in bold) was kept. Scores here are the SVM's own decisions; the served model adds
the probability layer below.

## Cross-validated quality of the served model
| metric | value |
|---|---|
| accuracy | {cv['accuracy']} |
| macro-F1 | {cv['macro_f1']} |

Cross-validation on written training text measures consistency with how that text was written;
it overstates quality on real citizen messages. Score a model on real data with `triage evaluate`.

## Human review
Cases whose calibrated confidence is below **{review['threshold']}** go to human review
(`needs_review`). The threshold is the lowest at which at most {review['max_auto_error']:.0%} of
auto-routed cases were wrong in cross-validation (measured: {review['auto_error']:.1%}); it sends
{review['review_share']:.1%} of cases to review.

## Labels
| label | documents |
|---|---|
{counts}
"""
