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


def load_yaml(path: Path) -> SourceFile:
    """Parse a YAML file; a syntax error is raised as a located RulebookError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulebookError([Problem(str(path), 1, f"cannot read file: {exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 0)
        raise RulebookError([Problem(str(path), line, f"YAML syntax error: {exc.problem}", col)]) from exc
    source = SourceFile(path, data)
    if node is not None:
        _walk(node, (), source.locations)
    return source


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
