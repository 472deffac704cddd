"""The store's own record of a decision: a versioned JSON document, independent of the HTTP contract.

Format 1 holds the domain `Decision`'s fields. Rows written before the format was
recorded (a dump of the v1 response, which had the same fields) read as format 1.
A change to `Decision` adds a format here, with its reader, so every stored
case stays readable.
"""

from __future__ import annotations

from typing import Any

from service.domain import Decision

DECISION_FORMAT = 1


def decision_document(decision: Decision) -> dict[str, Any]:
    return {"format": DECISION_FORMAT, **decision.model_dump(mode="json")}


def decision_of(document: dict[str, Any]) -> Decision:
    fields = dict(document)
    found = fields.pop("format", 1)
    if found != DECISION_FORMAT:
        raise ValueError(f"stored decision has format {found}; this version of the service reads format {DECISION_FORMAT}")
    return Decision.model_validate(fields)


def fired_rules(document: dict[str, Any]) -> list[str]:
    """The ids of the rules that fired, from a stored decision of any format."""
    return document.get("rules_fired", [])
