"""The project's taxonomy is the published standard, every second-level type routes somewhere real,
and the names used before it still arrive where they belong."""

from __future__ import annotations

import csv

import pytest

from service.config import PROJECT_ROOT
from service.rulebook.conditions import Compare, walk
from service.rulebook.loader import load_rulebook
from service.rulebook.taxonomy import IssueType, TaxonomyError
from tests.reference_evaluator import holds

PUBLISHED = PROJECT_ROOT.parent / "shared" / "taxonomy" / "government_message_taxonomy.csv"
RULEBOOK = load_rulebook(PROJECT_ROOT / "rules")
TAXONOMY = RULEBOOK.taxonomy


def _published() -> list[tuple[str, str, str]]:
    with PUBLISHED.open(encoding="utf-8") as handle:
        return [(row["一级分类"], row["二级分类"], row["三级分类"]) for row in csv.DictReader(handle)]


@pytest.mark.skipif(not PUBLISHED.exists(), reason="the published taxonomy lies beside the checkout (../shared)")
def test_rules_taxonomy_is_the_published_one_in_its_order():
    ours = [(label, sub, kind) for label, subs in TAXONOMY.categories.items() for sub, kinds in subs.items() for kind in kinds]
    assert ours == _published()


def test_three_levels_of_the_standard():
    assert len(TAXONOMY.categories) == 15
    assert sum(len(subs) for subs in TAXONOMY.categories.values()) == 118
    assert sum(len(kinds) for subs in TAXONOMY.categories.values() for kinds in subs.values()) == 517


def _routing_row(issue: IssueType):
    """The first routing.by_type row a case of this type takes (the table's hit policy is first)."""
    facts = {"category": issue.category, "subcategory": issue.subcategory or "", "type": issue.type or ""}
    return next(rule for rule in RULEBOOK.rules() if rule.table == "routing.by_type" and holds(rule.condition, facts, None))


@pytest.mark.parametrize("label", list(TAXONOMY.categories))
def test_every_second_and_third_level_type_routes_by_its_own_row_not_the_category_fallback(label):
    fallbacks = []
    for sub, kinds in TAXONOMY.categories[label].items():
        for kind in kinds:
            row = _routing_row(IssueType(label, sub, kind))
            if "subcategory" not in {node.field for node in walk(row.condition) if isinstance(node, Compare)}:
                fallbacks.append(f"{sub}/{kind}")
            assert row.actions.set["agency"] in RULEBOOK.agencies
    assert fallbacks == []


def test_old_names_resolve_to_their_standard_place_even_across_categories():
    assert TAXONOMY.resolve("劳动和社会保障", "拖欠工资") == IssueType("劳动和社会保障", "工资福利", "工资发放")
    assert TAXONOMY.resolve("交通运输", "公共交通") == IssueType("城乡建设", "城市建设和市政管理", "公共汽车")
    assert TAXONOMY.resolve("经济管理", "价格收费") == IssueType("商贸旅游", "市场监管", "物价监督")
    assert TAXONOMY.resolve("城乡建设", "物业管理") == IssueType("城乡建设", "住房保障与房地产", "物业服务")


def test_current_names_resolve_to_themselves_and_unknown_names_say_what_is_wrong():
    assert TAXONOMY.resolve("教育文体", "考试招生", "异地升学") == IssueType("教育文体", "考试招生", "异地升学")
    with pytest.raises(TaxonomyError, match="subcategory is not a second-level type of 教育文体"):
        TAXONOMY.resolve("教育文体", "拖欠工资")
    with pytest.raises(TaxonomyError, match="type is not a third-level type of 教育文体/考试招生"):
        TAXONOMY.resolve("教育文体", "考试招生", "乱收费")
    with pytest.raises(TaxonomyError, match="first-level"):
        TAXONOMY.resolve("火星事务", "其他")


def test_every_renamed_name_leads_to_a_known_place():
    assert len(TAXONOMY.renamed) >= 80
    assert all(TAXONOMY.knows(new) for new in TAXONOMY.renamed.values())
