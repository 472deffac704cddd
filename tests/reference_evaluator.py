"""A plain-Python evaluator of the condition AST: the oracle the engine is checked against."""

from __future__ import annotations

import operator

from service.rulebook.conditions import (
    All,
    Any_,
    Condition,
    FieldRef,
    Known,
    TextTest,
    Truthy,
)

OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def holds(node: Condition | None, facts: dict, text_fact) -> bool:
    if node is None:
        return True
    if isinstance(node, All):
        return all(holds(i, facts, text_fact) for i in node.items)
    if isinstance(node, Any_):
        return any(holds(i, facts, text_fact) for i in node.items)
    if isinstance(node, TextTest):
        return facts[text_fact(node)] is (not node.negated)
    if isinstance(node, Truthy):
        return facts[node.field] is (not node.negated)
    if isinstance(node, Known):
        return (facts[node.field] in ("", 0)) is node.negated
    right = facts[node.value.name] if isinstance(node.value, FieldRef) else node.value
    return OPS[node.op](facts[node.field], right)
