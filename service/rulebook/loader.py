"""Load a rules directory: every file is schema-checked, every rule parsed once and type-checked, and all
problems are reported together as `file:line:col: …`.

Only a rulebook without problems is returned; nothing invalid can reach the
engine. The steps, as in ansible-rulebook: validate each file against its JSON
schema (yamlfile.py, schemas/), parse every condition once (stages.py), run the
semantic checks (checks.py, stages.py), which also keep the engine within what
it can take (engine/limits.py), then build the frozen Rulebook (model.py).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from service.engine.limits import MAX_FACTS
from service.errors import Problem, RulebookError
from service.pipeline.calendar import SensitiveCalendar, Workdays
from service.pipeline.facts import FactSchema, Lexicon
from service.rulebook.checks import (
    check_attribute_load,
    check_context_flags,
    check_dates,
    check_patterns,
    check_renamed,
    check_signal_names,
    check_unique_ids,
)
from service.rulebook.conditions import TextTest
from service.rulebook.model import Rulebook, Stage, frozen_map
from service.rulebook.stages import StageChecker, outputs_of, parse, stage_rules, text_tests_of
from service.rulebook.taxonomy import Taxonomy
from service.rulebook.yamlfile import SourceFile, load_yaml, schema_problems


def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("service.rulebook").joinpath("schemas", f"{name}.json").read_text("utf-8"))


def _checked(path: Path, schema: str, problems: list[Problem]) -> SourceFile | None:
    try:
        source = load_yaml(path)
    except RulebookError as exc:
        problems.extend(exc.problems)
        return None
    found = schema_problems(source, _schema(schema))
    problems.extend(found)
    return None if found else source


def load_rulebook(directory: Path) -> Rulebook:
    """Load and validate every file of a rules directory; raise RulebookError listing all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    manifest = _checked(directory / "rulebook.yaml", "rulebook", problems)
    if manifest is None:
        raise RulebookError(problems)
    spec = manifest.data
    named = {key: _inside(directory, manifest, key, problems) for key in ("taxonomy", "lexicon", "calendar")}
    if problems:
        raise RulebookError(problems)
    taxonomy_src = _checked(named["taxonomy"], "taxonomy", problems)
    lexicon_src = _checked(named["lexicon"], "lexicon", problems)
    calendar_src = _checked(named["calendar"], "calendar", problems)
    if lexicon_src:
        problems += check_patterns(lexicon_src)
    if calendar_src:
        problems += check_dates(calendar_src)
    if problems:
        raise RulebookError(problems)

    taxonomy = Taxonomy(taxonomy_src.data["categories"], taxonomy_src.data.get("renamed"))
    problems += check_renamed(taxonomy_src, taxonomy)
    lexicon = Lexicon(lexicon_src.data)
    flags = spec["flags"]
    problems += check_context_flags(lexicon_src, flags) + check_signal_names(lexicon_src)
    stage_sources = [(name, _checked(directory / f"{name}.yaml", "ruleset", problems)) for name in spec["stages"]]
    if problems:
        raise RulebookError(problems)

    # Every condition parsed once. Text tests become boolean facts: collected first, so the fact schema knows them.
    conditions = {name: [parse(rule["when"]) for rule in source.data.get("rules", [])] for name, source in stage_sources}
    text_tests = text_tests_of(c for parsed in conditions.values() for c in parsed)
    schema = FactSchema(lexicon, list(flags), sorted(_text_names(text_tests)))
    if len(schema.types) > MAX_FACTS:
        problems.append(manifest.problem(("stages",), f"{len(schema.types)} facts per case; the engine allows {MAX_FACTS}"))

    stages, readable = [], set(schema.types) - schema.stage_outputs | _text_names(text_tests)
    for name, source in stage_sources:
        checker = StageChecker(source, taxonomy, flags, spec["agencies"], schema, readable, problems)
        rules = stage_rules(name, source, conditions[name], checker)
        problems += check_attribute_load(source, rules)
        stages.append(Stage(name, source.path, tuple(rules)))
        readable = readable | outputs_of(rules, flags)  # a later stage may read what this one produces
    problems += check_unique_ids([source for _, source in stage_sources])
    if problems:
        raise RulebookError(problems)

    files = [directory / "rulebook.yaml", taxonomy_src.path, lexicon_src.path, calendar_src.path]
    files += [s.path for _, s in stage_sources]
    return Rulebook(
        directory=directory,
        version=_version(directory, files),
        stages=tuple(stages),
        text_tests=tuple(text_tests),
        flags=frozen_map(flags),
        tiers=frozen_map(spec["tiers"]),
        agencies=frozen_map({name: frozen_map(names) for name, names in spec["agencies"].items()}),
        defaults=frozen_map(spec["defaults"]),
        taxonomy=taxonomy,
        lexicon=lexicon,
        calendar=SensitiveCalendar(calendar_src.data),
        workdays=Workdays(calendar_src.data.get("holidays", [])),
        facts=schema,
        files=tuple(str(p.relative_to(directory)) for p in files),
    )


def _version(directory: Path, files: list[Path]) -> str:
    """The rulebook's version: a digest of every file it was loaded from, with its path."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _inside(directory: Path, manifest: SourceFile, key: str, problems: list[Problem]) -> Path:
    """The file the manifest names under `key`, which must lie inside the rules directory.

    Rule files arrive over the API (simulate, reload): a name like /etc/passwd or
    ../data/petitioner.key must never be read, let alone quoted back in an error.
    """
    path = directory / manifest.data[key]
    if not path.resolve().is_relative_to(directory.resolve()) or path.suffix not in (".yaml", ".yml"):
        problems.append(manifest.problem((key,), f"{key}: must name a .yaml file inside the rules directory "
                                                 "(a relative path such as lexicons/signals.yaml)"))
    return path


def _text_names(text_tests: list[TextTest]) -> set[str]:
    return {f"text_test_{i}" for i in range(len(text_tests))}
