"""Neutral condition AST → durable-rules JSON conditions.

Produces plain dicts only; the engine adapter is the one module that hands
them to durable-rules. Every condition is anchored on the `_case` marker, so
the catch-all and the rules see the same message and nothing else.
"""

from __future__ import annotations

from typing import Any

from service.rulebook.conditions import (
    All,
    Any_,
    Condition,
    FieldRef,
    Known,
    TextTest,
    Truthy,
)
from service.rulebook.model import Rulebook, Stage

_OPS = {"!=": "$neq", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
CASE_MARKER = "_case"


def to_durable(node: Condition | None, rulebook: Rulebook) -> dict[str, Any]:
    if node is None:
        return {CASE_MARKER: 1}
    return {"$and": [{CASE_MARKER: 1}, _convert(node, rulebook)]}


def _convert(node: Condition, rulebook: Rulebook) -> dict[str, Any]:
    if isinstance(node, All):
        return {"$and": [_convert(i, rulebook) for i in node.items]}
    if isinstance(node, Any_):
        return {"$or": [_convert(i, rulebook) for i in node.items]}
    if isinstance(node, TextTest):
        return {rulebook.text_fact_name(node): not node.negated}
    if isinstance(node, Truthy):
        return {node.field: not node.negated}
    if isinstance(node, Known):
        empty = "" if rulebook.facts.types[node.field] is str else 0
        return {node.field: empty} if node.negated else {"$neq": {node.field: empty}}
    value = {"$m": node.value.name} if isinstance(node.value, FieldRef) else node.value
    if node.op == "==":
        return {node.field: value}
    return {_OPS[node.op]: {node.field: value}}


def compile_stage(stage: Stage, rulebook: Rulebook) -> dict[str, dict[str, Any]]:
    """Rule key → {"pri", "all"}; keys are positions, mapped back to rule ids by the caller."""
    return {
        f"r{index}": {"pri": rule.priority, "all": [{"m": to_durable(rule.condition, rulebook)}]}
        for index, rule in enumerate(stage.rules)
    }
