"""Rule files: every mistake is reported as file:line with what is wrong; nothing invalid loads."""

from __future__ import annotations

import time
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
        ("  - id: x.old\n    when: subcategory == \"拖欠工资\"\n    then:\n      score: 1\n",
         "'拖欠工资' is not a known value of 'subcategory'; the standard taxonomy renamed it: use 劳动和社会保障/工资福利/工资发放"),
        ("  - id: x.kind\n    when: type == \"工资发放了\"\n    then:\n      score: 1\n", "'工资发放了' is not a known value of 'type'; did you mean '工资发放'?"),
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
    text = path.read_text(encoding="utf-8").replace("[环境保护, 其他, \"*\", 生态环境局, county]", "[环境保护, 其他, \"*\", 生态环境局, countyy]")
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


# ---- hostile rule files: nothing outside the directory, no alias bombs, no backtracking --------------

@pytest.mark.parametrize("name", ["/etc/passwd", "../data/petitioner.key", "lexicons/../../outside.yaml", "signals.txt"])
def test_a_manifest_cannot_name_a_file_outside_the_rules_directory(rules_copy, tmp_path, name):
    (tmp_path / "outside.yaml").write_text("secret: 不该被读到的内容\n", encoding="utf-8")
    manifest = rules_copy / "rulebook.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("lexicon: lexicons/signals.yaml", f"lexicon: {name}"),
                        encoding="utf-8")
    problems = problems_of(rules_copy)
    assert any(p.startswith(f"{manifest}:") and "lexicon" in p for p in problems)
    assert not any("不该被读到" in p or "root:" in p for p in problems)


def test_a_symlink_out_of_the_rules_directory_is_refused(rules_copy, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("categories: {}\n", encoding="utf-8")
    (rules_copy / "taxonomy.yaml").unlink()
    (rules_copy / "taxonomy.yaml").symlink_to(outside)
    assert any("taxonomy: must name a .yaml file inside the rules directory" in p for p in problems_of(rules_copy))


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))


def test_yaml_aliases_are_refused_before_anything_expands_them(rules_copy):
    path = rules_copy / "calendar.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")  # 9**10 items if expanded
    problems = problems_of(rules_copy)
    assert problems == [f"{path}:2:8: YAML aliases (*name) are not allowed in rule files; write the values out"]


@pytest.mark.parametrize(("content", "message"), [
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 60)), "nested deeper than 40 levels"),
    ("x: [" * 100 + "]" * 100, "nested deeper than 40 levels"),
    ("a: '" + "长" * 800_000 + "'\n", "file is larger than 2 MB"),
    ("a: \x00\n", "YAML"),
])
def test_oversized_or_deep_rule_files_are_refused_with_their_location(rules_copy, content, message):
    path = rules_copy / "calendar.yaml"
    path.write_text(content, encoding="utf-8")
    assert any(p.startswith(f"{path}:") and message in p for p in problems_of(rules_copy))


def test_a_backtracking_pattern_runs_in_linear_time(rules_copy):
    """`(a+)+$` took 34 s on 35 characters with Python's re, holding the store's write lock."""
    append_rule(rules_copy, '  - id: x.backtracking\n    when: text matches "(a+)+$"\n    then:\n      score: 1\n')
    from service.engine.durable_adapter import DurableEngine
    from service.rulebook.runner import RuleRunner
    runner = RuleRunner(load_rulebook(rules_copy), DurableEngine())
    started = time.perf_counter()
    for text in ("a" * 35 + "!", "a" * 20_000 + "!", "a" * 20_000):
        facts = runner.text_facts(text)
    assert list(facts.values()) == [True]  # the last text matches
    assert time.perf_counter() - started < 1  # Python's re: longer than the age of the universe


@pytest.mark.parametrize(("rule", "message"), [
    ('text matches "(?<!非法)集资"', "invalid regular expression '(?<!非法)集资': invalid perl operator: (?<!"),
    ('text matches "(a)\\\\1"', "invalid regular expression"),
])
def test_patterns_outside_linear_time_regex_syntax_are_located_errors(rules_copy, rule, message):
    line = append_rule(rules_copy, f"  - id: x.lookaround\n    when: {rule}\n    then:\n      score: 1\n")
    problems = problems_of(rules_copy)
    assert any(p.startswith(f"{rules_copy / 'risk.yaml'}:{line + 1}:") and message in p and "RE2" in p for p in problems)


def test_a_lexicon_pattern_guard_replaces_lookbehind(rulebook):
    """非法集资 is what many petitions are about; 集资上访 is how one is organised."""
    organized = rulebook.lexicon.signals["organized"]
    assert organized.find_all("村民们决定集资上访")
    assert organized.find_all("受害人反映那笔非法集资去向不明") == []
