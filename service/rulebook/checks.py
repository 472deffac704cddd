"""Semantic checks of rule files, one function per check: each returns the problems it finds, located.

The loader runs them after the schema check; a check never stops at its first
problem, so an analyst sees everything wrong with a file at once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally

from service.engine.limits import MAX_RANGE_TESTS_PER_ATTRIBUTE, MAX_RULES_PER_ATTRIBUTE
from service.errors import Problem
from service.pipeline.calendar import as_date
from service.pipeline.patterns import PatternError, compile_pattern
from service.rulebook.conditions import Compare, FieldRef, walk
from service.rulebook.model import Rule
from service.rulebook.taxonomy import IssueType, Taxonomy
from service.rulebook.yamlfile import SourceFile


def check_attribute_load(source: SourceFile, rules: list[Rule]) -> list[Problem]:
    """A stage within what durable-rules can take (engine/limits.py)."""
    problems: list[Problem] = []
    per_attribute: Tally[str] = Tally()
    range_tests: dict[str, set] = {}
    for rule in rules:
        if rule.condition is None:
            continue
        compares = [n for n in walk(rule.condition) if isinstance(n, Compare) and not isinstance(n.value, FieldRef)]
        per_attribute.update({n.field for n in compares})
        for n in compares:
            if n.op != "==":
                range_tests.setdefault(n.field, set()).add((n.op, n.value))
    for name, count in per_attribute.items():
        if count >= MAX_RULES_PER_ATTRIBUTE:
            problems.append(source.problem((), f"{count} rules test '{name}'; the engine hangs at 512: split the table"))
    for name, tests in range_tests.items():
        if len(tests) > MAX_RANGE_TESTS_PER_ATTRIBUTE:
            problems.append(source.problem((), f"{len(tests)} different range tests of '{name}' (>=, <, != …); the engine "
                                               f"fails when more than {MAX_RANGE_TESTS_PER_ATTRIBUTE} match one case: "
                                               "use fewer thresholds (bands) or a decision table"))
    return problems


def check_renamed(source: SourceFile, taxonomy: Taxonomy) -> list[Problem]:
    """Every old name must lead to a place the taxonomy has, and must not shadow a current name."""
    problems: list[Problem] = []
    for old, new in taxonomy.renamed.items():
        if not taxonomy.knows(new):
            problems.append(source.problem(("renamed", old), f"{old} is renamed to {new}, which is not in categories"))
        if taxonomy.knows(IssueType.parse(old)):
            problems.append(source.problem(("renamed", old), f"{old} is a current name; only old names can be renamed"))
    return problems


def check_patterns(source: SourceFile) -> list[Problem]:
    """Every pattern of the lexicon compiles (and runs in linear time: see patterns.py)."""
    problems: list[Problem] = []
    for name, signal in source.data.get("signals", {}).items():
        for index, pattern in enumerate(signal.get("patterns", [])):
            where = ("signals", name, "patterns", index)
            problems += _compile(source, where if isinstance(pattern, str) else (*where, "pattern"),
                     pattern if isinstance(pattern, str) else pattern["pattern"])
    for index, pattern in enumerate(source.data["repeat"]["patterns"]):
        problems += _compile(source, ("repeat", "patterns", index), pattern)
    for level, body in source.data["targets"]["levels"].items():
        for index, pattern in enumerate(body.get("place_patterns", [])):
            problems += _compile(source, ("targets", "levels", level, "place_patterns", index), pattern)
    kinds = source.data["request_kinds"]
    for kind, body in kinds["kinds"].items():
        for index, pattern in enumerate(body.get("patterns", [])):
            problems += _compile(source, ("request_kinds", "kinds", kind, "patterns", index), pattern)
    if kinds["default"] not in kinds["kinds"]:
        problems.append(source.problem(("request_kinds", "default"),
                                       f"default {kinds['default']!r} is not one of the kinds ({', '.join(kinds['kinds'])})"))
    return problems


RESERVED_SIGNAL_NAMES = ("target", "repeat", "headcount", "amount", "request_kind")  # their facts exist already


def check_signal_names(source: SourceFile) -> list[Problem]:
    """No signal may take a name whose facts the lexicon already makes."""
    problems: list[Problem] = []
    for name in source.data.get("signals", {}):
        if name in RESERVED_SIGNAL_NAMES:
            problems.append(source.problem(("signals", name), f"signal name {name!r} is taken by the lexicon's own "
                                           f"{name}_… facts; choose another"))
    return problems


def check_context_flags(source: SourceFile, flags) -> list[Problem]:
    """A signal's `context` names the flag whose sentence classifier reads it: one the rulebook declares."""
    problems: list[Problem] = []
    readers = [(("signals", name), body) for name, body in source.data.get("signals", {}).items()]
    readers += [((key,), source.data[key]) for key in ("targets", "repeat")]
    for where, body in readers:
        if "context" in body and body["context"] not in flags:
            problems.append(source.problem((*where, "context"), f"context {body['context']!r} is not a flag of "
                                           f"rulebook.yaml ({', '.join(flags)})"))
    return problems


def _compile(source: SourceFile, where, pattern: str) -> list[Problem]:
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return [source.problem(where, f"invalid regular expression {pattern!r}: {exc}")]
    return []


def check_dates(source: SourceFile) -> list[Problem]:
    """Sensitive periods and holiday schedules: real dates, in order, each year once."""
    problems: list[Problem] = []
    for index, period in enumerate(source.data["periods"]):
        if "dates" in period:
            try:
                start, end = as_date(period["dates"]["from"]), as_date(period["dates"]["to"])
            except ValueError as exc:
                problems.append(source.problem(("periods", index, "dates"), f"dates must be YYYY-MM-DD: {exc}"))
                continue
            if end < start:
                problems.append(source.problem(("periods", index, "dates"), "'to' is before 'from'"))
    for index, schedule in enumerate(source.data.get("holidays", [])):
        problems += _check_schedule(source, index, schedule)
    years = [schedule["year"] for schedule in source.data.get("holidays", [])]
    for index, year in enumerate(years):
        if year in years[:index]:
            problems.append(source.problem(("holidays", index, "year"), f"{year} is listed twice"))
    return problems


def _check_schedule(source: SourceFile, index: int, schedule: dict) -> list[Problem]:
    """One year's official schedule: real dates, spans in order, all near the year they are for."""
    problems: list[Problem] = []
    year = schedule["year"]
    dates = [(("rest", i), span["from"], span["to"]) for i, span in enumerate(schedule["rest"])]
    dates += [(("work", i), day, day) for i, day in enumerate(schedule.get("work", []))]
    for where, first, last in dates:
        try:
            start, end = as_date(first), as_date(last)
        except ValueError as exc:
            problems.append(source.problem(("holidays", index, *where), f"dates must be YYYY-MM-DD: {exc}"))
            continue
        if end < start:
            problems.append(source.problem(("holidays", index, *where), "'to' is before 'from'"))
        if not (dt.date(year - 1, 12, 1) <= start and end <= dt.date(year + 1, 1, 31)):
            problems.append(source.problem(("holidays", index, *where), f"{start}…{end} lies outside {year}"))
    return problems


def check_unique_ids(sources: list[SourceFile]) -> list[Problem]:
    """Rule and table ids are unique across the whole rulebook (an alert's kind and a backtest row name one)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for source in sources:
        for kind in ("rules", "tables"):
            for index, item in enumerate(source.data.get(kind, [])):
                where = f"{source.name}:{source.locate((kind, index))[0]}"
                if item["id"] in seen:
                    problems.append(source.problem((kind, index, "id"), f"duplicate id '{item['id']}' (first at {seen[item['id']]})"))
                seen.setdefault(item["id"], where)
    return problems
