"""Load a rules directory: every file is schema-checked, every rule parsed and
type-checked, and all problems are reported together as `file:line:col: …`.

Only a rulebook without problems is returned; nothing invalid can reach the
engine. The checks also keep the engine away from its known failure modes
(see ../shared/DURABLE_RULES_NOTES.md): too many rules on one attribute, too
many facts in one message, text matching inside the engine.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import string
from collections import Counter as Tally
from importlib import resources
from pathlib import Path
from typing import Any

from service.errors import Problem, RulebookError
from service.pipeline.calendar import SensitiveCalendar, Workdays, as_date
from service.pipeline.facts import FactSchema, Lexicon
from service.pipeline.patterns import PatternError, compile_pattern
from service.rulebook.conditions import (
    Compare,
    ConditionSyntaxError,
    FieldRef,
    Known,
    TextTest,
    Truthy,
    contradiction,
    parse_condition,
    walk,
)
from service.rulebook.model import (
    CHANNELS,
    LEVELS,
    PROCEDURES,
    TIERS,
    VISITED_LEVELS,
    Actions,
    Rule,
    Rulebook,
    Stage,
    frozen_map,
)
from service.rulebook.taxonomy import IssueType, Taxonomy
from service.rulebook.yamlfile import SourceFile, load_yaml, schema_problems

# durable-rules hangs at 512 rules testing one attribute against constants, and
# rejects messages with more than ~252 properties; stay well clear of both.
MAX_RULES_PER_ATTRIBUTE = 500
RAISABLE = {"tier", "level"}
# Measured: one case matching more than 63 distinct range tests (>=, <, !=, …) of one fact in
# one ruleset makes durable-rules fail with "error code: 303"; equality tests match one at a time.
MAX_RANGE_TESTS_PER_ATTRIBUTE = 63
MAX_FACTS = 230
DEFAULT_PRIORITY = 100


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


class _StageChecker:
    """Semantic checks for one stage file, with the facts visible to it."""

    def __init__(self, source: SourceFile, taxonomy: Taxonomy, flags, agencies, schema: FactSchema, readable: set[str], problems):
        self.source = source
        self.agencies = agencies
        self.taxonomy = taxonomy
        self.flags = flags
        self.schema = schema
        self.readable = readable
        self.problems = problems
        self.allowed_values = {
            "category": set(taxonomy),
            "subcategory": taxonomy.subcategory_names(),
            "type": taxonomy.type_names(),
            "channel": set(CHANNELS),
            "visited_level": set(VISITED_LEVELS),
            "target_level": set(VISITED_LEVELS),
            "tier": set(TIERS),
            "procedure": set(PROCEDURES),
            "level": set(LEVELS),
            "request_kind": set(schema.request_kinds),
        }

    def report(self, json_path, message: str, col_offset: int = 0) -> None:
        problem = self.source.problem(json_path, message)
        if col_offset:
            problem = Problem(problem.file, problem.line, problem.message, problem.col + col_offset)
        self.problems.append(problem)

    def field(self, name: str, json_path) -> type | None:
        if name not in self.schema.types or name.startswith("text_test_"):
            close = difflib.get_close_matches(name, list(self.schema.types), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; `triage rules facts` lists them"
            self.report(json_path, f"unknown fact '{name}'{hint}")
            return None
        if name not in self.readable:
            self.report(json_path, f"fact '{name}' is produced by this or a later stage and cannot be read here")
            return None
        return self.schema.types[name]

    def value(self, field: str, value, json_path) -> None:
        expected = self.schema.types.get(field)
        if expected is None:
            return
        ok = (
            isinstance(value, bool) if expected is bool
            else isinstance(value, (int, float)) and not isinstance(value, bool) if expected is float
            else isinstance(value, int) and not isinstance(value, bool) if expected is int
            else isinstance(value, str)
        )
        if not ok:
            self.report(json_path, f"'{field}' is {expected.__name__}, but is compared with {value!r}")
            return
        allowed = self.allowed_values.get(field)
        if allowed is not None and value != "" and value not in allowed:
            moved = self.taxonomy.new_name_of(value) if field == "subcategory" else []
            close = difflib.get_close_matches(str(value), sorted(allowed), n=1)
            hint = (f"; the standard taxonomy renamed it: use {' or '.join(map(str, moved))}" if moved
                    else f"; did you mean {close[0]!r}?" if close else "")
            self.report(json_path, f"{value!r} is not a known value of '{field}'{hint}")

    def condition(self, text: str, json_path):
        try:
            node = parse_condition(text)
        except ConditionSyntaxError as exc:
            self.report(json_path, str(exc), col_offset=exc.column + 6)
            return None
        for item in walk(node):
            if isinstance(item, Compare):
                ftype = self.field(item.field, json_path)
                if isinstance(item.value, FieldRef):
                    other = self.field(item.value.name, json_path)
                    if ftype and other and {ftype, other} - {int, float} and ftype is not other:
                        self.report(json_path, f"cannot compare '{item.field}' with '{item.value.name}'")
                elif ftype:
                    self.value(item.field, item.value, json_path)
                if ftype in (str, bool) and item.op not in ("==", "!="):
                    self.report(json_path, f"'{item.field}' is {ftype.__name__}: only == and != apply")
            elif isinstance(item, Truthy):
                if self.field(item.field, json_path) not in (bool, None):
                    self.report(json_path, f"'{item.field}' is not true/false; compare it, e.g. {item.field} > 0")
            elif isinstance(item, Known):
                self.field(item.field, json_path)
            elif isinstance(item, TextTest) and item.kind == "matches":
                try:
                    compile_pattern(item.pattern)
                except PatternError as exc:
                    self.report(json_path, f"invalid regular expression {item.pattern!r}: {exc}")
        impossible = contradiction(node)
        if impossible:
            self.report(json_path, f"unreachable: {impossible}")
        return node

    def outputs(self, sets: dict, json_path) -> None:
        """Values a table row sets; the schema checks the same for rules."""
        allowed = {"tier": TIERS, "procedure": PROCEDURES}
        for name, value in sets.items():
            if name in allowed and value not in allowed[name]:
                self.report(json_path, f"{value!r} is not a valid {name}; use one of {', '.join(allowed[name])}")
            elif name.endswith("_days") and not (isinstance(value, int) and 1 <= value <= 365):
                self.report(json_path, f"{name} must be a whole number of days from 1 to 365, not {value!r}")
            elif name in ("agency", "department") and not (isinstance(value, str) and value):
                self.report(json_path, f"{name} must be a non-empty name, not {value!r}")
            elif name == "agency" and value not in self.agencies:
                close = difflib.get_close_matches(value, list(self.agencies), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else "; declare it under agencies in rulebook.yaml"
                self.report(json_path, f"unknown department {value!r}{hint}")

    def actions(self, then: dict, json_path) -> Actions:
        self.outputs(then.get("set", {}), (*json_path, "set"))
        flag = None
        if "flag" in then:
            code, reason = then["flag"]["code"], then["flag"]["reason"]
            if code not in self.flags:
                self.report((*json_path, "flag", "code"), f"unknown flag '{code}'; declared flags: {', '.join(self.flags)}")
            for _, name, _, _ in string.Formatter().parse(reason):
                if name is not None and name not in self.schema.types:
                    self.report((*json_path, "flag", "reason"), f"reason quotes unknown fact '{{{name}}}'")
            flag = (code, reason)
        return Actions(
            set=frozen_map(then.get("set")), raise_=frozen_map(then.get("raise")), flag=flag, score=then.get("score", 0),
            alert=then.get("alert"),
        )


def _table_rules(table: dict, index: int, stage: str, checker: _StageChecker, start_order: int) -> list[Rule]:
    rules = []
    base = ("tables", index)
    inputs, outputs = table["inputs"], table["outputs"]
    raising = table.get("action", "set") == "raise"
    for name in inputs:
        checker.field(name, (*base, "inputs"))
    misplaced = set(outputs) - RAISABLE if raising else set(outputs) & {"level"}
    if misplaced:
        checker.report((*base, "outputs"), f"{', '.join(sorted(misplaced))} cannot be "
                       + ("raised; a raise table outputs only tier and level" if raising else "set; use action: raise"))
        return []
    for row_no, row in enumerate(table["rows"]):
        where = (*base, "rows", row_no)
        if len(row) != len(inputs) + len(outputs):
            checker.report(where, f"row has {len(row)} cells; expected {len(inputs)} inputs + {len(outputs)} outputs")
            continue
        parts = []
        for name, cell in zip(inputs, row[: len(inputs)]):
            if cell == "*":
                continue
            values = cell if isinstance(cell, list) else [cell]
            for value in values:
                checker.value(name, value, where)
            parts.append(" or ".join(f"{name} == {json.dumps(v, ensure_ascii=False)}" for v in values))
        node = checker.condition(" and ".join(f"({p})" for p in parts), where) if parts else None
        if table.get("hit_policy", "first") == "first":
            _check_shadowed(table["rows"], row_no, len(inputs), checker, base)
        sets = dict(zip(outputs, row[len(inputs) :]))
        checker.outputs(sets, where)
        if raising and sets.get("level", LEVELS[0]) not in LEVELS:
            checker.report(where, f"{sets['level']!r} is not a level; use one of {', '.join(LEVELS)}")
        line = checker.source.locate(where)[0]
        rules.append(
            Rule(
                id=f"{table['id']}#{row_no + 1}",
                stage=stage,
                priority=table.get("priority", DEFAULT_PRIORITY),
                order=start_order + row_no,
                condition=node,
                actions=Actions(raise_=frozen_map(sets)) if raising else Actions(set=frozen_map(sets)),
                source=f"{checker.source.name}:{line}",
                table=table["id"],
                hit_policy=table.get("hit_policy", "first"),
            )
        )
    return rules


def _check_shadowed(rows: list, row_no: int, width: int, checker: _StageChecker, base) -> None:
    """With hit policy `first`, a row every case of which an earlier row already matches never applies."""

    def values(cell) -> set | None:  # None = any value
        return None if cell == "*" else set(cell if isinstance(cell, list) else [cell])

    row = rows[row_no]
    for earlier_no, earlier in enumerate(rows[:row_no]):
        if len(earlier) < width:
            continue
        covers = all(
            values(mine) is not None and (values(theirs) is None or values(mine) <= values(theirs))
            or values(theirs) is None
            for mine, theirs in zip(row[:width], earlier[:width])
        )
        if covers:
            line = checker.source.locate((*base, "rows", earlier_no))[0]
            checker.report((*base, "rows", row_no), f"unreachable: row {row_no + 1} never applies, because row "
                           f"{earlier_no + 1} (line {line}) matches every case it does and the hit policy is first")
            return


def _version(directory: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


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
        _check_patterns(lexicon_src, problems)
    if calendar_src:
        _check_dates(calendar_src, problems)
    if problems:
        raise RulebookError(problems)

    taxonomy = Taxonomy(taxonomy_src.data["categories"], taxonomy_src.data.get("renamed"))
    _check_renamed(taxonomy_src, taxonomy, problems)
    lexicon = Lexicon(lexicon_src.data)
    flags = spec["flags"]
    _check_context_flags(lexicon_src, flags, problems)
    _check_signal_names(lexicon_src, problems)
    stage_sources = [(name, _checked(directory / f"{name}.yaml", "ruleset", problems)) for name in spec["stages"]]
    if problems:
        raise RulebookError(problems)

    # Text tests become boolean facts; collect them first so the fact schema knows them.
    text_tests: list[TextTest] = []
    for _, source in stage_sources:
        for rule in source.data.get("rules", []):
            try:
                for node in walk(parse_condition(rule["when"])):
                    key = TextTest(node.kind, node.pattern) if isinstance(node, TextTest) else None
                    if key and key not in text_tests:
                        text_tests.append(key)
            except ConditionSyntaxError:
                pass  # reported below, with its location
    schema = FactSchema(lexicon, list(flags), sorted(_text_names(text_tests)))
    if len(schema.types) > MAX_FACTS:
        problems.append(manifest.problem(("stages",), f"{len(schema.types)} facts per case; the engine allows {MAX_FACTS}"))

    stages, seen_ids = [], {}
    readable = set(schema.types) - schema.stage_outputs
    for name, source in stage_sources:
        if source.data["ruleset"] != name:
            problems.append(source.problem(("ruleset",), f"ruleset is '{source.data['ruleset']}' but the file is listed as stage '{name}'"))
        checker = _StageChecker(source, taxonomy, flags, spec["agencies"], schema, readable | _text_names(text_tests), problems)
        rules: list[Rule] = []
        for index, rule in enumerate(source.data.get("rules", [])):
            where = ("rules", index)
            node = checker.condition(rule["when"], (*where, "when"))
            actions = checker.actions(rule["then"], (*where, "then"))
            rules.append(
                Rule(rule["id"], name, rule.get("priority", DEFAULT_PRIORITY), index, node, actions,
                     f"{source.name}:{source.locate(where)[0]}")
            )
        for index, table in enumerate(source.data.get("tables", [])):
            rules.extend(_table_rules(table, index, name, checker, len(rules)))
        for kind in ("rules", "tables"):
            for index, item in enumerate(source.data.get(kind, [])):
                where = f"{source.name}:{source.locate((kind, index))[0]}"
                if item["id"] in seen_ids:
                    problems.append(source.problem((kind, index, "id"), f"duplicate id '{item['id']}' (first at {seen_ids[item['id']]})"))
                seen_ids.setdefault(item["id"], where)
        _check_attribute_load(source, rules, problems)
        stages.append(Stage(name, source.path, tuple(rules)))
        readable |= _outputs(rules, flags)
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


def _outputs(rules: list[Rule], flags) -> set[str]:
    """Facts that a stage's rules produce, readable by later stages."""
    produced: set[str] = set()
    for rule in rules:
        produced |= set(rule.actions.set) | set(rule.actions.raise_)
        if rule.actions.flag:
            produced |= {f"flag_{rule.actions.flag[0]}", "flag_count"}
        if rule.actions.score:
            produced.add("risk_score")
    if "tier" in produced:
        produced.add("tier_rank")
    if "tier" in produced or "agency" in produced:
        produced |= {"agency", "tier", "tier_rank"}
    return produced


def _check_attribute_load(source: SourceFile, rules: list[Rule], problems: list[Problem]) -> None:
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


def _check_renamed(source: SourceFile, taxonomy: Taxonomy, problems: list[Problem]) -> None:
    """Every old name must lead to a place the taxonomy has, and must not shadow a current name."""
    for old, new in taxonomy.renamed.items():
        if not taxonomy.knows(new):
            problems.append(source.problem(("renamed", old), f"{old} is renamed to {new}, which is not in categories"))
        if taxonomy.knows(IssueType.parse(old)):
            problems.append(source.problem(("renamed", old), f"{old} is a current name; only old names can be renamed"))


def _check_patterns(source: SourceFile, problems: list[Problem]) -> None:
    for name, signal in source.data.get("signals", {}).items():
        for index, pattern in enumerate(signal.get("patterns", [])):
            where = ("signals", name, "patterns", index)
            _compile(source, where if isinstance(pattern, str) else (*where, "pattern"),
                     pattern if isinstance(pattern, str) else pattern["pattern"], problems)
    for index, pattern in enumerate(source.data["repeat"]["patterns"]):
        _compile(source, ("repeat", "patterns", index), pattern, problems)
    for level, body in source.data["targets"]["levels"].items():
        for index, pattern in enumerate(body.get("place_patterns", [])):
            _compile(source, ("targets", "levels", level, "place_patterns", index), pattern, problems)
    kinds = source.data["request_kinds"]
    for kind, body in kinds["kinds"].items():
        for index, pattern in enumerate(body.get("patterns", [])):
            _compile(source, ("request_kinds", "kinds", kind, "patterns", index), pattern, problems)
    if kinds["default"] not in kinds["kinds"]:
        problems.append(source.problem(("request_kinds", "default"),
                                       f"default {kinds['default']!r} is not one of the kinds ({', '.join(kinds['kinds'])})"))


RESERVED_SIGNAL_NAMES = ("target", "repeat", "headcount", "amount", "request_kind")  # their facts exist already


def _check_signal_names(source: SourceFile, problems: list[Problem]) -> None:
    for name in source.data.get("signals", {}):
        if name in RESERVED_SIGNAL_NAMES:
            problems.append(source.problem(("signals", name), f"signal name {name!r} is taken by the lexicon's own "
                                           f"{name}_… facts; choose another"))


def _check_context_flags(source: SourceFile, flags, problems: list[Problem]) -> None:
    """A signal's `context` names the flag whose sentence classifier reads it: one the rulebook declares."""
    readers = [(("signals", name), body) for name, body in source.data.get("signals", {}).items()]
    readers += [((key,), source.data[key]) for key in ("targets", "repeat")]
    for where, body in readers:
        if "context" in body and body["context"] not in flags:
            problems.append(source.problem((*where, "context"), f"context {body['context']!r} is not a flag of "
                                           f"rulebook.yaml ({', '.join(flags)})"))


def _compile(source: SourceFile, where, pattern: str, problems: list[Problem]) -> None:
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        problems.append(source.problem(where, f"invalid regular expression {pattern!r}: {exc}"))


def _check_dates(source: SourceFile, problems: list[Problem]) -> None:
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
        _check_schedule(source, index, schedule, problems)
    years = [schedule["year"] for schedule in source.data.get("holidays", [])]
    for index, year in enumerate(years):
        if year in years[:index]:
            problems.append(source.problem(("holidays", index, "year"), f"{year} is listed twice"))


def _check_schedule(source: SourceFile, index: int, schedule: dict, problems: list[Problem]) -> None:
    """One year's official schedule: real dates, spans in order, all near the year they are for."""
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
