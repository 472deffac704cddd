"""The human-readable model card (MODEL_CARD.md) rendered from the card dict `train` writes."""

from __future__ import annotations

from typing import Any


def render_card(card: dict[str, Any]) -> str:
    evaluation, review, data = card["evaluation"], card["review"], card["data"]
    counts = "\n".join(f"| {label} | {n} |" for label, n in data["label_counts"].items())
    libraries = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    selection = "\n".join(
        f"| {'**' + row['name'] + '**' if i == 0 else row['name']} | {row['model']} | {row['accuracy']} | {row['macro_f1']} |"
        for i, row in enumerate(card["selection"])
    )
    self_training = card.get("self_training")
    adapted = ""
    if data.get("unlabeled_documents"):
        adapted = (f"\n- **Adapted to** {data['unlabeled_documents']} unlabeled documents: vocabulary and IDF fitted on them too"
                   + (f"; self-training {'kept' if self_training['kept'] else 'not kept'}"
                      f" ({self_training.get('why') or 'macro-F1 gain on the held-out rows ' + str(self_training['macro_f1_gain'])})"
                      if self_training else "") + ".")
    return f"""# Model card: {card['version']}

Issue-type classifier for petitions, written by `triage train`.

- **Model**: {card['model']}
- **Training data**: {data['documents']} documents (sha256 `{data['sha256'][:16]}…`), titles used: {data['uses_titles']};
  {data['skipped_rows']} rows skipped for empty text or label.{adapted}
- **Libraries**: {libraries}
- **Training time**: {card['trained_seconds']} s on the training machine (model selection and evaluation included).

## Model selection (on {card['selected_on']})
| candidate | model | accuracy | macro-F1 |
|---|---|---|---|
{selection}

The first row (in bold) was kept. With a held-out form, every candidate was trained on the other
forms and scored on that one: a stand-in for text written unlike the training text. Scores here are
the model's own decisions; the served model adds the probability layer below.

## Quality of the served model ({evaluation['on']}, {evaluation['documents']} documents)
| metric | value |
|---|---|
| accuracy | {evaluation['accuracy']} |
| macro-F1 | {evaluation['macro_f1']} |
| expected calibration error | {evaluation['expected_calibration_error']} |

The probabilities were calibrated on these rows (cross-validated, so no row is scored by a
calibrator that saw it). Written training text overstates quality on real citizen messages;
score a model on real data with `triage evaluate`.

## Human review
Cases whose calibrated confidence is below **{review['threshold']}** go to human review
(`needs_review`). The threshold is the lowest at which at most {review['max_auto_error']:.0%} of
auto-routed cases were wrong on the rows above (measured: {review['auto_error']:.1%}); it sends
{review['review_share']:.1%} of cases to review.

## Labels
| label | documents |
|---|---|
{counts}
{_flag_context_section(card.get("flag_context"))}"""


def _flag_context_section(context: dict[str, Any] | None) -> str:
    if not context:
        return ("\n## Flag context\nNo sentence classifiers: the `<signal>_context` facts are 1.0 and the lexicon alone "
                "decides the flags.\n")
    rows = "\n".join(f"| {flag} | {q['sentences']} | {q['means_the_flag']} | {q['precision']} | {q['recall']} |"
                     for flag, q in context["flags"].items())
    return f"""
## Flag context
Sentence classifiers behind the `<signal>_context` facts ({context['model']}), fitted on labelled
sentences (sha256 `{context['sha256'][:16]}…`). Cross-validated ({context['folds']} folds) at the
rules' threshold {context['threshold']}, on sentences written for training: they overstate quality
on real text; `python scripts/bench_flags.py` measures the flags themselves.

| flag | sentences | meaning the flag | precision | recall |
|---|---|---|---|---|
{rows}
"""
