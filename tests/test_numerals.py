"""Headcounts and amounts as people write them."""

from __future__ import annotations

import time

import pytest

from service.pipeline.normalize import normalize_text
from service.pipeline.numerals import parse_quantity


@pytest.mark.parametrize(
    ("expression", "value", "approximate"),
    [
        ("二十多", 20, True), ("20余", 20, True), ("上百", 100, True), ("百余", 100, True), ("三四十", 30, True),
        ("一百二十", 120, False), ("3万6", 36000, False), ("1.5万", 15000, False), ("几十", 20, True),
        ("十几", 10, True), ("两千多", 2000, True), ("5", 5, False),
    ],
)
def test_parse_quantity(expression, value, approximate):
    assert parse_quantity(expression) == (value, approximate) or (
        parse_quantity(expression).value == value and parse_quantity(expression).approximate == approximate
    )


@pytest.mark.parametrize("expression", ["", "abc", "多"])
def test_not_a_number(expression):
    assert parse_quantity(expression) is None


@pytest.mark.parametrize(
    ("text", "headcount"),
    [
        ("现在村里二十多人商量好了", 20), ("四十多名农民工讨薪", 40), ("上百户居民", 100), ("一百二十名职工", 120),
        ("２５名业主", 25), ("我一个人", 1), ("工资200人民币", None), ("来访38人次", None), ("每户出五百元", None),
    ],
)
def test_headcount_from_text(rulebook, text, headcount):
    facts = rulebook.lexicon.text_facts(normalize_text(text))
    assert facts.get("headcount") == headcount


@pytest.mark.parametrize(("text", "amount"), [("拖欠工资二十余万元", 200000), ("欠我3万6千元", 36000), ("罚款五百块", 500)])
def test_amount_from_text(rulebook, text, amount):
    assert rulebook.lexicon.text_facts(normalize_text(text))["amount_yuan"] == amount


def test_normalisation_folds_full_width_and_traditional():
    assert normalize_text("拖欠薪資，ＡＢＣ１２３　　我們") == "拖欠薪资,ABC123 我们"


@pytest.mark.parametrize(("run", "headcount"), [("一", 1), ("1", 1), ("十", 1), ("点", 1), ("万", 1), ("二十多", 20)])
def test_a_long_run_of_numerals_is_read_in_linear_time(rulebook, run, headcount):
    """「一」 × 1,600 took 79 s (three overlapping quantifiers backtracking) and froze the server."""
    text = run * (20_000 // len(run)) + "人"
    started = time.perf_counter()
    facts = rulebook.lexicon.text_facts(text)
    assert time.perf_counter() - started < 1  # the cubic pattern took days at this length
    assert facts.get("headcount", 1) == headcount  # a 20,000-digit run is no headcount; a last 二十多人 is


def test_a_headcount_after_a_long_run_is_still_found(rulebook):
    assert rulebook.lexicon.text_facts("一" * 5000 + "，村里二十多人一起来了")["headcount"] == 20
