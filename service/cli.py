"""The `triage` command: serve, batch, explain, train, evaluate."""

from __future__ import annotations

import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from service.cli_rules import rules_app
from service.cli_support import describe, fail
from service.config import PROJECT_ROOT, settings_from
from service.errors import TriageError
from service.textfiles import read_office_text

app = typer.Typer(help="Risk triage and routing for Chinese petitions (信访).", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

DataDir = Annotated[Path | None, typer.Option(envvar="TRIAGE_DATA_DIR", help="Where the SQLite file and caches live")]
DatabaseUrl = Annotated[str | None, typer.Option(envvar="TRIAGE_DATABASE_URL", help="SQLAlchemy URL")]
ModelDir = Annotated[Path | None, typer.Option(envvar="TRIAGE_MODEL_DIR", help="Trained model directory")]
RulesDir = Annotated[Path | None, typer.Option(envvar="TRIAGE_RULES_DIR", help="Rules directory")]
CHUNK = 256


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    model_dir: ModelDir = None,
    rules_dir: RulesDir = None,
    allow_open: Annotated[bool, typer.Option("--allow-open", envvar="TRIAGE_ALLOW_OPEN",
                                             help="Serve without API keys on a non-loopback interface")] = False,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from service.api.main import create_app

    settings = settings_from(data_dir=data_dir, database_url=database_url, model_dir=model_dir, rules_dir=rules_dir)
    if not settings.api_keys and not allow_open and not _loopback(host):
        fail(TriageError(f"refusing to serve every case to anyone on {host}: set TRIAGE_API_KEYS (see README, "
                          "Roles), bind 127.0.0.1, or pass --allow-open if the network itself is closed"))
    uvicorn.run(create_app(settings), host=host, port=port)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@app.command()
def batch(
    input: Annotated[Path, typer.Option("--input", "-i", help="Cases, one JSON request per line")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Decisions, one JSON per line")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    model_dir: ModelDir = None,
    rules_dir: RulesDir = None,
) -> None:
    """Triage a JSONL file of cases (UTF-8 or GB18030). Lines that are invalid or cannot be decided (a case_id
    stored with another request, a failing store) are reported with their line number and skipped."""
    from tqdm import tqdm

    from service.domain import Case
    from service.runtime import build_pipeline

    try:
        pipeline = build_pipeline(settings_from(data_dir=data_dir, database_url=database_url, model_dir=model_dir,
                                                rules_dir=rules_dir))
    except TriageError as exc:
        fail(exc)
    try:
        lines = read_office_text(input).splitlines()
    except (OSError, TriageError) as exc:
        fail(exc if isinstance(exc, TriageError) else TriageError(f"{input}: {exc.strerror}"))
    started, decided, bad = time.perf_counter(), 0, 0
    pending: list[tuple[int, Case]] = []
    with output.open("w", encoding="utf-8") as out, tqdm(
        total=len(lines), unit="case", disable=not sys.stderr.isatty(), file=sys.stderr
    ) as progress:

        def flush() -> None:
            nonlocal decided, bad
            for (number, _), result in zip(pending, pipeline.triage_many([request for _, request in pending])):
                if isinstance(result, TriageError):
                    bad += 1
                    tqdm.write(f"{input}:{number}: not decided: {result}", file=sys.stderr)
                else:
                    decided += 1
                    out.write(result.model_dump_json() + "\n")
            progress.update(len(pending))
            pending.clear()

        for number, line in enumerate(lines, start=1):
            if not line.strip():
                progress.update(1)
                continue
            try:
                pending.append((number, Case.model_validate_json(line)))
            except ValidationError as exc:
                bad += 1
                progress.update(1)
                tqdm.write(f"{input}:{number}: skipped: {describe(exc)}", file=sys.stderr)
                continue
            if len(pending) >= CHUNK:
                flush()
        flush()
    elapsed = time.perf_counter() - started
    rate = decided / elapsed if elapsed else 0.0
    typer.echo(f"{decided} cases decided, {bad} lines skipped, {elapsed:.1f} s, {rate:.0f} cases/s → {output}")


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="The petition text")],
    title: Annotated[str | None, typer.Option(help="Title / subject line")] = None,
    headcount: Annotated[int | None, typer.Option(help="People in the visit")] = None,
    channel: Annotated[str | None, typer.Option(help="letter|visit|online|phone|hotline")] = None,
    model_dir: ModelDir = None,
    rules_dir: RulesDir = None,
) -> None:
    """Print the decision for one text, with the facts the rules saw. Nothing is stored."""
    from service.domain import Case
    from service.runtime import build_pipeline

    try:
        request = Case(content=text, title=title, headcount=headcount, channel=channel)
    except ValidationError as exc:
        typer.echo(f"invalid input: {describe(exc)}", err=True)
        raise typer.Exit(1) from exc
    try:
        pipeline = build_pipeline(settings_from(model_dir=model_dir, rules_dir=rules_dir), with_store=False)
    except TriageError as exc:
        fail(exc)
    explanation = pipeline.explain(request)
    typer.echo(explanation.decision.model_dump_json(indent=2))
    seen = {k: v for k, v in explanation.facts.items() if v not in ("", 0, False, 0.0)}
    typer.echo("\nfacts the rules saw:\n" + "\n".join(f"  {k} = {v!r}" for k, v in sorted(seen.items())))


TextColumn = Annotated[str, typer.Option(help="Column with the petition text")]
TitleColumn = Annotated[str, typer.Option(help="Column with the title (optional; absent column means no titles)")]
LabelColumn = Annotated[str, typer.Option(help="Column with the label")]
LabelledFile = Annotated[Path, typer.Option(help="Labelled .csv, .tsv or .jsonl file, or a directory of them")]


FromStore = Annotated[bool, typer.Option("--from-store", help="Use the cases handlers corrected in the case store")]
BUNDLED_CORPUS = PROJECT_ROOT / "training" / "corpus"


def _corrections(data_dir: Path | None, database_url: str | None) -> list[dict]:
    from service.runtime import open_store
    from training.data import corrected_rows

    rows = corrected_rows(open_store(settings_from(data_dir=data_dir, database_url=database_url)))
    if not rows:
        raise TriageError("the case store has no corrected cases yet (POST /v1/cases/{id}/feedback with a category)")
    return rows


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Directory for the model artifact and its card")],
    data: Annotated[Path | None, typer.Option(help="Labelled .csv, .tsv or .jsonl file, or a directory of them "
                                                    "(default with --from-store: the bundled corpus)")] = None,
    text_column: TextColumn = "text",
    title_column: TitleColumn = "title",
    label_column: LabelColumn = "label",
    subcategory_column: Annotated[str, typer.Option(help="Column with the second-level type (optional)")] = "subcategory",
    type_column: Annotated[str, typer.Option(help="Column with the third-level type (optional)")] = "type",
    form_column: Annotated[str, typer.Option(help="Column with the text's form (board, hotline, letter, visit; optional)")] = "form",
    holdout_form: Annotated[str, typer.Option(help="Select and calibrate on this form, trained on the others "
                                                   "('' for cross-validation)")] = "board",
    unlabeled: Annotated[Path | None, typer.Option(help="The office's own texts without labels (same formats): "
                                                        "vocabulary and IDF are fitted on them too, and self-training "
                                                        "is kept when it helps on the held-out form")] = None,
    flag_sentences: Annotated[Path | None, typer.Option(help="Labelled sentences for the flags' context classifiers "
                                                             "(default: the bundled training/flag_sentences)")] = None,
    from_store: FromStore = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Train a classifier on any labelled file, with any label set; writes a versioned artifact and model card.

    With --from-store, the handlers' corrected cases are added to the data (the bundled corpus by default).
    """
    from training.data import Columns, labelled, read_rows, read_unlabeled
    from training.flag_context import FLAG_SENTENCES, read_sentences
    from training.train import train as train_model

    if data is None and not from_store:
        typer.echo("give --data FILE, or --from-store", err=True)
        raise typer.Exit(2)
    columns = Columns(text_column, title_column, label_column, subcategory_column, type_column, form_column)
    try:
        source = data or BUNDLED_CORPUS
        rows = read_rows(source)
        if from_store:
            rows += [{columns.title: r["title"], columns.text: r["text"], columns.label: r["label"],
                      columns.subcategory: r["subcategory"], columns.type: r.get("type", "")}
                     for r in _corrections(data_dir, database_url)]
        history = read_unlabeled(unlabeled, columns) if unlabeled else None
        sentences = read_sentences(flag_sentences or FLAG_SENTENCES)
        card = train_model(labelled(rows, source, columns), out, holdout=holdout_form or None, unlabeled=history,
                           flag_sentences=sentences)
    except TriageError as exc:
        fail(exc)
    summary: dict[str, Any] = {k: card[k] for k in ("version", "trained_seconds", "evaluation", "self_training", "review")}
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="Labelled .csv, .tsv or .jsonl file, or a directory of them")] = None,
    model: Annotated[Path | None, typer.Option(envvar="TRIAGE_MODEL_DIR", help="Model directory (default: the served model)")] = None,
    text_column: TextColumn = "text",
    title_column: TitleColumn = "title",
    label_column: LabelColumn = "label",
    plot: Annotated[Path | None, typer.Option(help="Also draw the confusion matrix and reliability curve to this PNG")] = None,
    from_store: FromStore = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Score a model on labelled data, or with --from-store on the cases handlers corrected; prints a JSON report."""
    from service.pipeline.classifier import Classifier
    from training.data import Columns, labelled, read_labelled
    from training.evaluate import report, score

    if (data is None) == (not from_store):
        typer.echo("give --data FILE or --from-store (one of them)", err=True)
        raise typer.Exit(2)
    try:
        classifier = Classifier.load(settings_from(model_dir=model).model_dir)
        if from_store:
            dataset = labelled(_corrections(data_dir, database_url), "the case store's corrections", require_labels=1)
        else:
            dataset = read_labelled(data, Columns(text_column, title_column, label_column, None), require_labels=1)
    except TriageError as exc:
        fail(exc)
    result = report(classifier, dataset, score(classifier, dataset))
    if plot is not None:
        from training.plots import plot_evaluation

        plot_evaluation(result, plot)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    app()
