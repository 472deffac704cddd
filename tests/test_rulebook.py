"""Rule files: every mistake is reported as file:line with what is wrong; nothing invalid loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.errors import RulebookError
from service.rulebook.conditions import (
    All,
    Any_,
    Compare,
    ConditionSyntaxError,
    parse_condition,
)
from service.rulebook.loader import load_rulebook
from tests.conftest import RULES


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def append_rule(rules_dir: Path, rule: str) -> int:
    """Add a rule to risk.yaml; return the line its `- id:` is on."""
    path = rules_dir / "risk.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + [rule.rstrip("\n")]) + "\n", encoding="utf-8")
    return len(lines) + 1


def problems_of(rules_dir: Path) -> list[str]:
    with pytest.raises(RulebookError) as info:
        load_rulebook(rules_dir)
    return [str(p) for p in info.value.problems]


def test_shipped_rules_load_and_have_a_content_version(rulebook):
    assert [s.name for s in rulebook.stages] == ["procedure", "routing", "risk", "level", "deadlines"]
    assert len(rulebook.version) == 12
    assert sum(len(s.rules) for s in rulebook.stages) > 50


def test_version_changes_when_a_rule_changes(rules_copy, rulebook):
    append_rule(rules_copy, "  - id: extra.rule\n    when: headcount >= 500\n    then:\n      score: 5\n")
    assert load_rulebook(rules_copy).version != rulebook.version


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("  - id: x.misspelt\n    when: headcout >= 5\n    then:\n      score: 1\n", "unknown fact 'headcout'; did you mean 'headcount'?"),
        ("  - id: x.badop\n    when: headcount >== 5\n    then:\n      score: 1\n", "cannot parse condition"),
        ("  - id: x.type\n    when: headcount >= \"5\"\n    then:\n      score: 1\n", "'headcount' is int, but is compared with '5'"),
        ("  - id: x.cat\n    when: category == \"城乡建筑\"\n    then:\n      score: 1\n", "'城乡建筑' is not a known value of 'category'"),
        ("  - id: x.flag\n    when: group_signal\n    then:\n      flag: {code: riot, reason: x}\n", "unknown flag 'riot'"),
        ("  - id: x.quote\n    when: group_signal\n    then:\n      flag: {code: collective, reason: \"{nope}\"}\n", "reason quotes unknown fact '{nope}'"),
        ("  - id: x.dept\n    when: group_signal\n    then:\n      set: {agency: 火星局}\n", "unknown department '火星局'"),
        ("  - id: x.regex\n    when: text matches \"(unclosed\"\n    then:\n      score: 1\n", "invalid regular expression"),
        ("  - id: x.key\n    when: group_signal\n    then:\n      score: 1\n    priorty: 3\n", "'priorty' was unexpected"),
        ("  - id: x.later\n    when: level == \"red\"\n    then:\n      score: 1\n", "fact 'level' is produced by this or a later stage"),
        ("  - id: collective.group_words\n    when: group_signal\n    then:\n      score: 1\n", "duplicate id 'collective.group_words'"),
    ],
)
def test_rule_mistakes_are_located(rules_copy, rule, message):
    line = append_rule(rules_copy, rule)
    problems = problems_of(rules_copy)
    assert any(message in p for p in problems), problems
    located = [p for p in problems if message in p][0]
    assert located.startswith(f"{rules_copy / 'risk.yaml'}:")
    assert line <= int(located.split(":")[1]) <= line + 5


def test_yaml_syntax_error_is_located(rules_copy):
    (rules_copy / "level.yaml").write_text("ruleset: level\nrules:\n  - id: a\n    when: [unclosed\n", encoding="utf-8")
    problems = problems_of(rules_copy)
    assert problems[0].startswith(f"{rules_copy / 'level.yaml'}:") and "YAML syntax error" in problems[0]


def test_all_problems_are_reported_at_once(rules_copy):
    append_rule(rules_copy, "  - id: x.one\n    when: nope_a\n    then:\n      score: 1\n")
    append_rule(rules_copy, "  - id: x.two\n    when: nope_b\n    then:\n      score: 1\n")
    problems = problems_of(rules_copy)
    assert any("nope_a" in p for p in problems) and any("nope_b" in p for p in problems)


def test_bad_table_row_is_located(rules_copy):
    path = rules_copy / "routing.yaml"
    text = path.read_text(encoding="utf-8").replace("[环境保护, \"*\", 生态环境局, county]", "[环境保护, \"*\", 生态环境局, countyy]")
    path.write_text(text, encoding="utf-8")
    problems = problems_of(rules_copy)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "countyy" in l)
    assert any(p.startswith(f"{path}:{line}:") and "'countyy' is not a valid tier" in p for p in problems), problems


def test_too_many_rules_on_one_attribute_is_refused_before_the_engine_hangs(rules_copy):
    rows = "\n".join(f"      - [{i}, county]" for i in range(520))
    (rules_copy / "routing.yaml").open("a", encoding="utf-8").write(
        f"  - id: routing.huge\n    inputs: [amount_yuan]\n    outputs: [tier]\n    rows:\n{rows}\n"
    )
    assert any("rules test 'amount_yuan'; the engine hangs at 512" in p for p in problems_of(rules_copy))


def test_bad_lexicon_pattern_is_located(rules_copy):
    path = rules_copy / "lexicons" / "signals.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("'每户(?:出|集资|交|凑)'", "'每户(?:出'"), encoding="utf-8")
    assert any("signals.yaml" in p and "invalid regular expression" in p for p in problems_of(rules_copy))


def test_negation_is_pushed_down_to_comparisons():
    node = parse_condition('not (headcount > 5 or channel == "visit")')
    assert node == All((Compare("headcount", "<=", 5), Compare("channel", "!=", "visit")))
    assert parse_condition('tier in ["county", "city"]') == Any_((Compare("tier", "==", "county"), Compare("tier", "==", "city")))


def test_condition_syntax_error_has_a_column():
    with pytest.raises(ConditionSyntaxError, match="cannot parse condition near") as info:
        parse_condition("headcount >= and")
    assert info.value.column > 1
