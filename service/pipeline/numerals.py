"""Chinese number expressions as people write them: 二十多, 20余, 上百, 三四十, 3万6.

cn2an converts the exact part; this module adds the approximate markers
petitions are full of (多, 余, 来, 几, 上, 近, 数) and reads a range such as
三四十 as its lower bound, because a headcount should not be overstated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

DIGITS = "0-9零〇一二两三四五六七八九十百千万亿点."
# 上百 / 近百 / 数十 / 几十 / 好几百 / 二十多 / 十几 / 3万6 / 一百二十.
# Linear time on any text: a run of numerals is taken whole (possessive, never backtracked into)
# and only where the run starts, so 20,000 numerals cost one pass instead of one pass per position
# (the earlier pattern, three overlapping quantifiers, took 79 s on 1,600 「一」).
NUMBER_PATTERN = rf"(?<![{DIGITS}])(?:上|近|数|好几|几)?[{DIGITS}]++(?:多|余|来|几)?"
# Longer runs are not counts (serial numbers, a line of 一): not worth cn2an's time.
MAX_EXPRESSION = 16
_NUMBER = re.compile(rf"^(?P<prefix>上|近|数|好几|几)?(?P<core>[{DIGITS}]*?)(?P<suffix>多|余|来|几)?$")
_RANGE = re.compile(r"([一二三四五六七八九])[一二三四五六七八九](?=[十百千万])")
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


@dataclass(frozen=True)
class Quantity:
    value: int
    approximate: bool


def parse_quantity(expression: str) -> Quantity | None:
    """The number an expression states, as a lower bound; None if it is not a number."""
    expression = expression.strip()
    if len(expression) > MAX_EXPRESSION:
        return None
    match = _NUMBER.match(expression)
    if not match:
        return None
    prefix, core, suffix = match["prefix"], match["core"], match["suffix"]
    ranged = _RANGE.sub(r"\1", core)
    approximate = bool(prefix or suffix) or ranged != core
    core = ranged
    if not core:
        return None
    if core in _UNITS:
        # 几十 / 数百: at least two of the unit; 上百 / 近百 / 百余: one of it.
        factor = 2 if prefix in ("几", "数", "好几") else 1
        return Quantity(factor * _UNITS[core], approximate)
    if core.endswith("点") or core.endswith("."):
        core = core[:-1]
    try:
        value = cn2an.cn2an(core, "smart")
    except (ValueError, KeyError):
        return None
    return Quantity(int(value), approximate)
