"""Rule conditions: a small language, parsed by a real grammar into a neutral AST.

    headcount >= 5 and (channel == "visit" or group_signal)
    category in ["城乡建设", "国土资源"] and not flag_collective
    text contains "集资"          text matches "每户.{0,4}元"

`not` is pushed down to the comparisons while parsing (negation normal form),
so the AST has only Compare, All, Any and TextTest. Facts are always present
(defaults fill the gaps), which makes that rewrite exact; it also avoids
durable-rules' `$not`, which compiles but never fires.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedInput

from service.errors import TriageError

GRAMMAR = r"""
?start: or_
?or_: and_ ("or" and_)*
?and_: not_ ("and" not_)*
?not_: "not" not_           -> negate
     | atom
?atom: "(" or_ ")"
     | "text" "contains" STRING -> text_contains
     | "text" "matches" STRING  -> text_matches
     | NAME OP value            -> compare
     | NAME "not" "in" list     -> not_in
     | NAME "in" list           -> in_
     | NAME "is" "known"        -> known
     | NAME "is" "unknown"      -> unknown
     | NAME                     -> truthy
value: STRING | NUMBER | TRUE | FALSE | NAME
list: "[" value ("," value)* ","? "]"
OP: "==" | "!=" | ">=" | "<=" | ">" | "<"
TRUE: "true"
FALSE: "false"
NAME: /(?!(and|or|not|in|is|text|true|false)\b)[a-z_][a-z0-9_]*/
STRING: /"[^"\\]*(?:\\.[^"\\]*)*"/ | /'[^'\\]*(?:\\.[^'\\]*)*'/
NUMBER: /-?\d+(\.\d+)?/
%ignore /[ \t\r\n]+/
"""

NEGATED_OP = {"==": "!=", "!=": "==", ">=": "<", "<": ">=", "<=": ">", ">": "<="}


class ConditionSyntaxError(TriageError):
    def __init__(self, message: str, column: int):
        self.column = column
        super().__init__(message)


@dataclass(frozen=True)
class FieldRef:
    """A comparison against another fact: visited_rank > tier_rank."""

    name: str


Literal = str | int | float | bool


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Literal | FieldRef


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class TextTest:
    """Matched in Python against the normalised text; the engine sees a boolean fact."""

    kind: str  # "contains" | "matches"
    pattern: str
    negated: bool = False


@dataclass(frozen=True)
class Truthy:
    """A bare fact name: a boolean that is true (or, negated, false)."""

    field: str
    negated: bool = False


@dataclass(frozen=True)
class Known:
    """A fact that is set (non-empty, non-zero) or, negated, not set."""

    field: str
    negated: bool = False


Condition = Compare | All | Any_ | TextTest | Truthy | Known


def negate(node: Condition) -> Condition:
    if isinstance(node, Compare):
        return Compare(node.field, NEGATED_OP[node.op], node.value)
    if isinstance(node, All):
        return Any_(tuple(negate(i) for i in node.items))
    if isinstance(node, Any_):
        return All(tuple(negate(i) for i in node.items))
    if isinstance(node, TextTest):
        return TextTest(node.kind, node.pattern, not node.negated)
    if isinstance(node, Truthy):
        return Truthy(node.field, not node.negated)
    return Known(node.field, not node.negated)


@v_args(inline=True)
class _ToAst(Transformer):
    def or_(self, *items):
        return Any_(tuple(items))

    def and_(self, *items):
        return All(tuple(items))

    def negate(self, item):
        return negate(item)

    def text_contains(self, s):
        return TextTest("contains", _unquote(s))

    def text_matches(self, s):
        return TextTest("matches", _unquote(s))

    def compare(self, name, op, value):
        return Compare(str(name), str(op), value)

    def in_(self, name, values):
        return Any_(tuple(Compare(str(name), "==", v) for v in values))

    def not_in(self, name, values):
        return All(tuple(Compare(str(name), "!=", v) for v in values))

    def known(self, name):
        return Known(str(name))

    def unknown(self, name):
        return Known(str(name), negated=True)

    def truthy(self, name):
        return Truthy(str(name))

    def list(self, *values):
        return list(values)

    def value(self, token: Token):
        if token.type == "STRING":
            return _unquote(token)
        if token.type == "NUMBER":
            return float(token) if "." in token else int(token)
        if token.type in ("TRUE", "FALSE"):
            return token.type == "TRUE"
        return FieldRef(str(token))


def _unquote(token: str) -> str:
    body = token[1:-1]
    return body.replace("\\" + token[0], token[0]).replace("\\\\", "\\")


_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse_condition(source: str) -> Condition:
    """Parse one condition string; raises ConditionSyntaxError with the column."""
    try:
        return _ToAst().transform(_PARSER.parse(source))
    except UnexpectedInput as exc:
        near = source[max(exc.column - 1, 0) : exc.column + 11] if exc.column > 0 else source[:12]
        raise ConditionSyntaxError(f"cannot parse condition near {near!r}", max(exc.column, 1)) from exc
    except LarkError as exc:
        raise ConditionSyntaxError(f"cannot parse condition: {exc}", 1) from exc


def walk(node: Condition):
    """Every node of a condition, depth first."""
    yield node
    if isinstance(node, (All, Any_)):
        for item in node.items:
            yield from walk(item)


def contradiction(node: Condition) -> str | None:
    """Why a condition can never be true (one fact bound two incompatible ways), or None.

    Only comparisons of one fact with literals inside one `and` are analysed;
    that catches the usual slips (`headcount >= 50 and headcount < 10`,
    `category == "政法" and category == "民政"`) without pretending to be a solver.
    """
    if isinstance(node, Any_):
        reasons = [contradiction(item) for item in node.items]
        return reasons[0] if all(reasons) else None
    if not isinstance(node, All):
        return None
    for item in node.items:
        reason = contradiction(item)
        if reason:
            return reason
    by_field: dict[str, list[Compare]] = {}
    for item in node.items:
        if isinstance(item, Compare) and not isinstance(item.value, FieldRef):
            by_field.setdefault(item.field, []).append(item)
    for compares in by_field.values():
        if not _satisfiable(compares):
            return "'" + " and ".join(f"{c.field} {c.op} {c.value!r}" for c in compares) + "' can never be true"
    return None


def _satisfiable(compares: list[Compare]) -> bool:
    """Whether some value passes every comparison: try the literals, values beside them, and a fresh one."""
    probes: set = {c.value for c in compares} | {"\x00fresh"}
    for c in compares:
        if isinstance(c.value, int | float) and not isinstance(c.value, bool):
            probes |= {c.value - 0.5, c.value + 0.5}
    return any(all(_holds(probe, c) for c in compares) for probe in probes)


def _holds(value: Literal, compare: Compare) -> bool:
    try:
        return {"==": value == compare.value, "!=": value != compare.value, ">": value > compare.value,
                ">=": value >= compare.value, "<": value < compare.value, "<=": value <= compare.value}[compare.op]
    except TypeError:  # a probe of another type than the fact
        return False
