"""One stage file, checked against the facts it may read: rules, decision tables, what each produces.

A condition is parsed once (`parse`), then checked; decision-table rows become
rules whose conditions are built from their cells.
"""

from __future__ import annotations

import difflib
import json
import string

from service.errors import Problem
from service.pipeline.facts import FactSchema
from service.pipeline.patterns import PatternError, compile_pattern
from service.rulebook.conditions import (
    Compare,
    Condition,
    ConditionSyntaxError,
    FieldRef,
    Known,
    TextTest,
    Truthy,
    contradiction,
    parse_condition,
    walk,
)
from service.rulebook.model import CHANNELS, LEVELS, PROCEDURES, TIERS, VISITED_LEVELS, Actions, Rule, frozen_map
from service.rulebook.taxonomy import Taxonomy
from service.rulebook.yamlfile import SourceFile

RAISABLE = {"tier", "level"}
DEFAULT_PRIORITY = 100


def parse(text: str) -> Condition | ConditionSyntaxError:
    """A rule's condition, or the syntax error that a checker reports at the rule's line."""
    try:
        return parse_condition(text)
    except ConditionSyntaxError as exc:
        return exc


def text_tests_of(conditions) -> list[TextTest]:
    """The distinct `contains`/`matches` tests of parsed conditions, in order (each becomes a boolean fact)."""
    found: list[TextTest] = []
    for parsed in conditions:
        if isinstance(parsed, ConditionSyntaxError):
            continue
        for node in walk(parsed):
            key = TextTest(node.kind, node.pattern) if isinstance(node, TextTest) else None  # 不含 X reads X too
            if key and key not in found:
                found.append(key)
    return found


class StageChecker:
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
        """Parse and check a condition; None when it does not parse (reported)."""
        return self.checked(parse(text), json_path)

    def checked(self, parsed: Condition | ConditionSyntaxError, json_path):
        """Check a parsed condition (parsed once, by `parse`): its facts, types, patterns, reachability."""
        if isinstance(parsed, ConditionSyntaxError):
            self.report(json_path, str(parsed), col_offset=parsed.column + 6)
            return None
        node = parsed
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


def stage_rules(name: str, source: SourceFile, conditions: list, checker: StageChecker) -> list[Rule]:
    """A stage file's rules and decision-table rows, checked; `conditions`: its rules' parsed `when`s."""
    if source.data["ruleset"] != name:
        checker.report(("ruleset",), f"ruleset is '{source.data['ruleset']}' but the file is listed as stage '{name}'")
    rules: list[Rule] = []
    for index, rule in enumerate(source.data.get("rules", [])):
        where = ("rules", index)
        node = checker.checked(conditions[index], (*where, "when"))
        actions = checker.actions(rule["then"], (*where, "then"))
        rules.append(Rule(rule["id"], name, rule.get("priority", DEFAULT_PRIORITY), index, node, actions,
                          f"{source.name}:{source.locate(where)[0]}"))
    for index, table in enumerate(source.data.get("tables", [])):
        rules.extend(table_rules(table, index, name, checker, len(rules)))
    return rules


def table_rules(table: dict, index: int, stage: str, checker: StageChecker, start_order: int) -> list[Rule]:
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


def _check_shadowed(rows: list, row_no: int, width: int, checker: StageChecker, base) -> None:
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


def outputs_of(rules: list[Rule], flags) -> set[str]:
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
