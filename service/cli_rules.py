"""`triage rules …`: the analyst's tools. Every command takes --rules DIR (default: the active rules)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from service.cli_support import fail, read_requests
from service.config import settings_from
from service.errors import RulebookError, TriageError

rules_app = typer.Typer(help="Check, test, backtest and measure rule sets.", no_args_is_help=True)

RulesOption = Annotated[Path | None, typer.Option("--rules", envvar="TRIAGE_RULES_DIR", help="Rules directory (default: the active rules)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _directory(rules: Path | None) -> Path:
    return settings_from(rules_dir=rules).rules_dir


def _runner(directory: Path):
    from service.engine.durable_adapter import DurableEngine
    from service.rulebook.loader import load_rulebook
    from service.rulebook.runner import RuleRunner

    return RuleRunner(load_rulebook(directory), DurableEngine())


@rules_app.command()
def check(rules: RulesOption = None) -> None:
    """Validate every rule file and rule test file; problems as file:line:col: message, exit 1."""
    from service.rulebook.loader import load_rulebook
    from service.rulebook.ruletests import load_tests

    directory = _directory(rules)
    problems = []
    book = None
    try:
        book = load_rulebook(directory)
    except RulebookError as exc:
        problems += exc.problems
    try:
        tests = load_tests(directory, book.taxonomy if book else None)
    except RulebookError as exc:
        problems += exc.problems
    if problems:
        fail(RulebookError(problems))
    typer.echo(f"ok: {sum(1 for _ in book.rules())} rules in {len(book.stages)} stages, {len(tests)} rule tests, "
               f"version {book.version}")
    for warning in book.warnings(dt.date.today()):
        typer.echo(f"warning: {warning}", err=True)


@rules_app.command()
def facts() -> None:
    """List every fact a rule can read, with its type, default, source and meaning (a markdown table)."""
    from service.pipeline.fact_table import markdown

    typer.echo(markdown())


@rules_app.command("test")
def test_rules(rules: RulesOption = None, verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passing tests too")] = False,
               as_json: JsonFlag = False,
               model: Annotated[Path | None, typer.Option(help="Read the <signal>_context facts with this model's flag "
                                                               "classifiers, as the service does (default: 1.0, the lexicon alone)")] = None) -> None:
    """Run the rule tests (<rules>/tests/*_test.yaml); PASS/FAIL per test, coverage of rules; exit 1 on failure."""
    from service.pipeline.classifier import Classifier
    from service.rulebook.ruletests import run_tests

    directory = _directory(rules)
    try:
        context = Classifier.load(model).flag_context if model else None
        report = run_tests(_runner(directory), directory, context)
    except TriageError as exc:
        fail(exc)
    typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if as_json else report.render(verbose))
    if not report.ok:
        raise typer.Exit(1)


def _store(data_dir: Path | None, database_url: str | None):
    from service.runtime import open_store

    return open_store(settings_from(data_dir=data_dir, database_url=database_url))


@rules_app.command()
def backtest(
    cases: Annotated[str, typer.Option(help="JSONL file of requests, or 'store' for the stored cases")],
    rules: Annotated[Path, typer.Option("--rules", help="The candidate rules directory")],
    active: Annotated[Path | None, typer.Option(envvar="TRIAGE_RULES_DIR", help="The active rules (default: the configured ones)")] = None,
    model_dir: Annotated[Path | None, typer.Option(envvar="TRIAGE_MODEL_DIR", help="Model directory")] = None,
    data_dir: Annotated[Path | None, typer.Option(envvar="TRIAGE_DATA_DIR", help="Data directory (for --cases store)")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="TRIAGE_DATABASE_URL", help="Store URL (for --cases store)")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many cases (newest stored first)")] = None,
    sample: Annotated[int, typer.Option(help="Changed cases to show")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Replay historical cases under the candidate rules next to the active ones; report what changes."""
    from service.engine.durable_adapter import DurableEngine
    from service.pipeline.classifier import Classifier
    from service.pipeline.history import History
    from service.rulebook.backtest import backtest as run_backtest
    from service.rulebook.loader import load_rulebook
    from service.rulebook.runner import RuleRunner

    settings = settings_from(model_dir=model_dir)
    try:
        if cases == "store":  # each case with its history as it stood when it was decided
            replay = _store(data_dir, database_url).replayable(limit)
            requests, histories = [case for case, _ in replay], [History(**facts) if facts else None for _, facts in replay]
        else:
            requests, histories = read_requests(Path(cases))[:limit], None
        engine = DurableEngine()
        runners = [RuleRunner(load_rulebook(d), engine) for d in (active or settings.rules_dir, rules)]
        report = run_backtest(requests, Classifier.load(settings.model_dir), *runners, sample_size=sample, histories=histories)
    except TriageError as exc:
        fail(exc)
    typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if as_json else report.render())


@rules_app.command()
def stats(
    rules: RulesOption = None,
    data_dir: Annotated[Path | None, typer.Option(envvar="TRIAGE_DATA_DIR", help="Data directory")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="TRIAGE_DATABASE_URL", help="Store URL")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Per-rule hit counts over stored decisions, and the rules of this rule set that never fired."""
    from collections import Counter

    from service.rulebook.loader import load_rulebook

    try:
        book = load_rulebook(_directory(rules))
        store = _store(data_dir, database_url)
        hits, by_version, decisions = Counter(), Counter(), 0
        for version, fired in store.rules_fired():
            decisions += 1
            by_version[version] += 1
            hits.update(fired)
    except TriageError as exc:
        fail(exc)
    ids = [rule.id for rule in book.rules()]
    never = [rule for rule in ids if not hits[rule]]
    if as_json:
        typer.echo(json.dumps({"decisions": decisions, "rules_versions": dict(by_version),
                               "hits": {rule: hits[rule] for rule in ids}, "never_fired": never,
                               "unknown_rules": sorted(set(hits) - set(ids))}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{decisions} stored decisions; rules versions: " + ", ".join(f"{v} ({n})" for v, n in by_version.items()))
    for rule in ids:
        typer.echo(f"  {rule:<44} {hits[rule]:>7}")
    typer.echo(f"never fired ({len(never)}): " + (", ".join(never) or "none"))
