"""YAML loading that remembers where every value came from.

`yaml.safe_load` forgets line numbers, so schema errors could only say *what*
is wrong. Here every mapping key and sequence item keeps its line and column,
and `SourceFile.problem(path, message)` yields `file:line:col: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from service.errors import Problem, RulebookError

Location = tuple[int, int]
JsonPath = tuple[str | int, ...]


@dataclass
class SourceFile:
    path: Path
    data: Any
    locations: dict[JsonPath, Location] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path)

    def locate(self, json_path: JsonPath) -> Location:
        """Line and column of a value, or of its nearest located parent."""
        for end in range(len(json_path), -1, -1):
            location = self.locations.get(tuple(json_path[:end]))
            if location:
                return location
        return (1, 1)

    def problem(self, json_path: JsonPath, message: str) -> Problem:
        line, col = self.locate(json_path)
        return Problem(self.name, line, message, col)


def _walk(node: yaml.Node, path: JsonPath, out: dict[JsonPath, Location]) -> None:
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            out[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), out)


class _RuleLoader(yaml.SafeLoader):
    """SafeLoader whose impossible dates (2031-02-30) are located errors, not a bare ValueError."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a date (YYYY-MM-DD): {exc}", node.start_mark) from exc


_RuleLoader.add_constructor("tag:yaml.org,2002:timestamp", _RuleLoader.construct_yaml_timestamp)

MAX_BYTES = 2 << 20  # the shipped lexicon is 20 KB; a rule file of megabytes is a mistake or an attack
MAX_DEPTH = 40  # rule files nest five or six levels deep


def load_yaml(path: Path) -> SourceFile:
    """Parse a rule file; a syntax error, an alias, a file too large or nested too deep is a located RulebookError.

    Aliases are refused before anything walks the document: expanding them
    ("billion laughs") turns a 6 KB file into gigabytes. Rule files never need them.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise RulebookError([Problem(str(path), 1, f"file is larger than {MAX_BYTES >> 20} MB; split it")])
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or type(exc).__name__)
        raise RulebookError([Problem(str(path), 1, f"cannot read file: {reason}")]) from exc
    try:
        _refuse_aliases_and_depth(path, text)
        node = yaml.compose(text, Loader=_RuleLoader)
        data = _RuleLoader("").construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 0)
        kind = "YAML value error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise RulebookError([Problem(str(path), line, f"{kind}: {exc.problem}", col)]) from exc
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow
        raise RulebookError([Problem(str(path), 1, f"YAML error: {type(exc).__name__}")]) from exc
    source = SourceFile(path, data)
    if node is not None:
        _walk(node, (), source.locations)
    return source


def _refuse_aliases_and_depth(path: Path, text: str) -> None:
    """One pass over the parser's events, before any tree is built."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise RulebookError([Problem(str(path), mark.line + 1, "YAML aliases (*name) are not allowed in rule "
                                         "files; write the values out", mark.column + 1)])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise RulebookError([Problem(str(path), mark.line + 1, f"nested deeper than {MAX_DEPTH} levels",
                                             mark.column + 1)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def schema_problems(source: SourceFile, schema: dict[str, Any]) -> list[Problem]:
    """Every JSON-Schema violation, located, with a one-line message (no schema dump)."""
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(source.data), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        problems.append(source.problem(tuple(error.absolute_path), f"{where}: {_short(error)}"))
    return problems


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator in ("oneOf", "anyOf"):
        return f"{str(error.instance)[:80]!r} does not match any allowed form"
    return error.message
