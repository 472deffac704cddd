"""The declared fact table is the one list of facts: the rules README shows it, the engine's input follows it."""

from __future__ import annotations

import re

import pytest

from service.config import PROJECT_ROOT
from service.pipeline.fact_table import FACTS, facts_from, markdown
from service.pipeline.facts import BaseFacts
from service.pipeline.history import History

README = PROJECT_ROOT / "rules" / "README.md"


def test_the_rules_readme_lists_the_declared_facts():
    shown = re.search(r"<!-- facts: [^>]*-->\n(.*?)\n<!-- /facts -->", README.read_text(encoding="utf-8"), re.S)
    assert shown, "rules/README.md lost its generated facts table"
    assert shown.group(1) == markdown(), "rules/README.md is stale: paste the output of `triage rules facts`"


def test_names_are_declared_once():
    names = [fact.name for fact in FACTS]
    assert len(names) == len(set(names))


def test_history_facts_are_the_store_rows_of_the_table():
    assert list(History.model_fields) == [fact.name for fact in facts_from("store")]
    assert History().area_cases_7d == 1  # the declared default: this case is the first of its place


def test_a_case_without_a_category_or_with_a_wrong_type_is_refused():
    with pytest.raises(ValueError):
        BaseFacts()
    with pytest.raises(ValueError):
        BaseFacts(category="城乡建设", headcount="5")  # durable-rules would compare "5" loosely


def test_triage_rules_facts_prints_the_table():
    from typer.testing import CliRunner

    from service.cli import app

    result = CliRunner().invoke(app, ["rules", "facts"])
    assert result.exit_code == 0 and result.output.strip() == markdown()
