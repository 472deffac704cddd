"""Text matching for the lexicons in rules/lexicons/: words → evidence.

All text matching happens here, in Python, never in the rules engine (whose
regex gives wrong answers on long strings). A match is ignored when it is
negated in its own clause (「不会去北京」) or followed by a word that changes its
meaning (「去北京打工」).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service.pipeline.numerals import NUMBER_PATTERN, parse_quantity
from service.pipeline.patterns import compile_pattern

CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n、：:]")
LEVEL_RANKS = {"village": 1, "township": 2, "county": 3, "city": 4, "province": 5, "national": 6}


@dataclass(frozen=True)
class Evidence:
    """What matched and where: quoted in flag reasons as 「words」."""

    words: str
    start: int
    value: int | str | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.words)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


class Negation:
    """A negation word right before a match, with up to two bridge words between: 从未申请过劳动仲裁."""

    WINDOW = 8  # characters looked back from the match, within its clause

    def __init__(self, words: list[str], bridge: list[str]):
        self._pattern = re.compile(rf"(?:{_alternation(words)})(?:{_alternation(bridge)}){{0,2}}$") if words else None

    def negates(self, text: str, start: int) -> bool:
        if self._pattern is None:
            return False
        window_start = max(0, start - self.WINDOW)
        clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(text, window_start, start)), default=window_start)
        return bool(self._pattern.search(text[clause_start:start]))


class Signal:
    """One named signal: terms and patterns, negation-aware.

    Patterns are RE2 (linear time, see `patterns.py`). A pattern may be given as
    `{pattern: ..., not_preceded_by: [...]}` when a word right before it changes
    its meaning (非法集资 is what a petition is about, not how it is organised).
    """

    def __init__(self, name: str, spec: dict[str, Any], negation: Negation, exclude_after: list[str] = ()):
        self.name = name
        self.description = spec.get("description", "")
        self.context: str | None = spec.get("context")  # the flag whose sentence classifier reads its hits
        plain = [re.escape(w) for w in sorted(set(spec.get("terms", [])), key=len, reverse=True)]
        guarded: list[tuple[str, tuple[str, ...]]] = []
        for item in spec.get("patterns", []):
            if isinstance(item, str):
                plain.append(item)
            else:
                guarded.append((item["pattern"], tuple(item.get("not_preceded_by", []))))
        self._matchers = [(compile_pattern("|".join(f"(?:{p})" for p in plain)), ())] if plain else []
        self._matchers += [(compile_pattern(pattern), before) for pattern, before in guarded]
        self._negation = negation if spec.get("negatable", True) else None
        self._exclude = re.compile(_alternation(list(exclude_after))) if exclude_after else None

    def find_all(self, text: str) -> list[Evidence]:
        """Every match in text order, negated and excluded ones left out."""
        found = []
        for pattern, not_preceded_by in self._matchers:
            for match in pattern.finditer(text):
                start = match.start()
                if any(text.endswith(word, 0, start) for word in not_preceded_by):
                    continue
                if self._negation and self._negation.negates(text, start):
                    continue
                if self._exclude and self._exclude.match(text, match.end()):
                    continue
                found.append(Evidence(match.group(0), start, match.groupdict().get("n")))
        return sorted(found, key=lambda evidence: evidence.start)


class TargetLevels:
    """Where the petitioner says they will take the matter: 去北京 → national."""

    def __init__(self, spec: dict[str, Any], negation: Negation):
        self.context: str | None = spec.get("context")
        self._signals = []
        for level, words in spec["levels"].items():
            patterns = []
            places = ([_alternation(words["places"])] if words.get("places") else []) + words.get("place_patterns", [])
            if places:
                patterns.append(f"(?:{_alternation(spec['verbs'])})(?:了|过)?(?:一趟|趟)?(?:{'|'.join(places)})")
            if words.get("words"):
                patterns.append(_alternation(words["words"]))
            self._signals.append((level, Signal(level, {"patterns": patterns}, negation, spec.get("exclude_after", []))))

    def find_all(self, text: str) -> list[Evidence]:
        """Every place named, in text order, each with its level as the value."""
        found = [Evidence(e.words, e.start, level) for level, signal in self._signals for e in signal.find_all(text)]
        return sorted(found, key=lambda evidence: evidence.start)

    @staticmethod
    def rank(evidence: Evidence) -> int:
        return LEVEL_RANKS[str(evidence.value)]


class Counter:
    """Numbers followed by a unit: 二十多人 → 20, 拖欠工资二十余万元 → 200000."""

    _MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}
    # A magnitude with nothing before it names, it does not count: 万家丽路, 万家花园, 千家万户, 百家姓, 万人空巷.
    _BARE_MAGNITUDES = frozenset("百千万亿")

    def __init__(self, units: list[str], not_followed_by: list[str] | dict[str, list[str]] = (),
                 not_preceded_by: list[str] = ()):
        """`not_followed_by` applies to every unit, or per unit when a mapping (人民 is no headcount, 名工人 is)."""
        per_unit = not_followed_by if isinstance(not_followed_by, dict) else dict.fromkeys(units, list(not_followed_by))
        unit_alternatives = "|".join(
            re.escape(unit) + (f"(?!{_alternation(per_unit[unit])})" if per_unit.get(unit) else "")
            for unit in sorted(units, key=len, reverse=True)
        )
        before = f"(?<!{_alternation(list(not_preceded_by))}|[0-9])" if not_preceded_by else "(?<![0-9])"
        self._pattern = re.compile(rf"{before}(?P<num>{NUMBER_PATTERN})(?P<mult>万|亿)?(?:个)?(?:{unit_alternatives})")

    def largest(self, text: str) -> Evidence | None:
        best = None
        for match in self._pattern.finditer(text):
            quantity = parse_quantity(match["num"])
            if not quantity or match["num"] in self._BARE_MAGNITUDES:
                continue
            value = quantity.value * self._MULTIPLIERS.get(match["mult"] or "", 1)
            if value > 0 and (best is None or value > best.value):
                best = Evidence(match.group(0), match.start(), value)
        return best


class RepeatCounter:
    """How many times the petitioner says they raised this before: 已反映过三次 → 3, 第五次反映 → 4."""

    def __init__(self, spec: dict[str, Any]):
        self.context: str | None = spec.get("context")
        self._patterns = [compile_pattern(p) for p in spec["patterns"]]

    def find_all(self, text: str) -> list[Evidence]:
        """Every mention of raising it at least twice before, in text order, with that count as the value."""
        found = []
        for pattern in self._patterns:
            for match in pattern.finditer(text):
                groups = match.groupdict()
                if groups.get("n") and text.endswith("第", 0, match.start(pattern.groupindex["n"])):
                    continue  # 第三次 is an ordinal, read by a pattern with `nth`
                raw = groups.get("n") or groups.get("nth")
                quantity = parse_quantity(raw) if raw else None
                times = (quantity.value - (1 if groups.get("nth") else 0)) if quantity else 2
                if times >= 2:
                    found.append(Evidence(match.group(0), match.start(), times))
        return sorted(found, key=lambda evidence: evidence.start)
