"""The durable-rules adapter: the engine's crash and hang paths stay unreachable."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine.durable_adapter import DurableEngine
from service.errors import EngineError
from service.rulebook.compiler import compile_stage
from tests.reference_evaluator import holds

CATEGORIES = ["城乡建设", "劳动和社会保障", "政法", "环境保护"]


@pytest.fixture(scope="module")
def engine_and_stages(rulebook):
    engine = DurableEngine()
    names = {}
    for stage in rulebook.stages:
        names[stage.name] = f"test-{stage.name}@{rulebook.version}"
        engine.register(names[stage.name], compile_stage(stage, rulebook))
    return engine, names


def fired_ids(engine, name, stage, facts):
    return {stage.rules[int(key[1:])].id for key in engine.evaluate(name, facts)}


facts_strategy = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES + ["纪检监察"]),
        "subcategory": st.sampled_from(["", "拆迁安置", "拖欠工资", "执行难", "邻里纠纷", "劳动合同"]),
        "headcount": st.integers(1, 400),
        "headcount_from_field": st.booleans(),
        "target_rank": st.integers(0, 6),
        "visited_rank": st.integers(0, 6),
        "tier_rank": st.integers(1, 5),
        "repeat_count": st.integers(0, 9),
        "petitioner_age": st.integers(0, 100),
        "amount_yuan": st.integers(0, 3_000_000),
        "risk_score": st.integers(0, 100),
        "sensitive_period": st.sampled_from(["", "国庆"]),
        "procedure": st.sampled_from(["petition", "litigation", "discipline", "arbitration", "mediation", "administrative_review"]),
        "level": st.sampled_from(["blue", "yellow", "orange", "red"]),
        "target_level": st.sampled_from(["", "city", "national"]),
        "signals": st.lists(st.booleans(), min_size=12, max_size=12),
        "flags": st.lists(st.booleans(), min_size=7, max_size=7),
    }
)


def quiet_case(rulebook):
    """A county-level case with no signals: only what a test sets makes rules fire."""
    return rulebook.facts.validate({"category": "城乡建设", "tier": "county", "tier_rank": 3})


def to_facts(drawn, rulebook):
    signals = list(rulebook.lexicon.signals)
    facts = {k: v for k, v in drawn.items() if k not in ("signals", "flags")}
    facts.update({f"{name}_signal": on for name, on in zip(signals, drawn["signals"])})
    facts.update({f"flag_{code}": on for code, on in zip(rulebook.flags, drawn["flags"])})
    return rulebook.facts.validate(facts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=facts_strategy)
def test_engine_matches_the_reference_evaluator(rulebook, engine_and_stages, drawn):
    engine, names = engine_and_stages
    facts = to_facts(drawn, rulebook)
    for stage in rulebook.stages:
        expected = {rule.id for rule in stage.rules if holds(rule.condition, facts, rulebook.text_fact_name)}
        assert fired_ids(engine, names[stage.name], stage, facts) == expected


def test_ten_thousand_cases_in_a_row(rulebook, engine_and_stages):
    """Far past the 1,024-live-sid cap: every state is deleted after its case."""
    engine, names = engine_and_stages
    stage = rulebook.stages[2]  # risk
    base = quiet_case(rulebook)
    for i in range(10_000):
        facts = {**base, "headcount": 1 + i % 10, "headcount_from_field": True, "tier_rank": 3, "target_rank": 0, "visited_rank": 0}
        fired = fired_ids(engine, names["risk"], stage, facts)
        assert ("collective.headcount_field" in fired) == (facts["headcount"] >= 5)


def test_eight_threads_at_once_get_their_own_answers(rulebook, engine_and_stages):
    engine, names = engine_and_stages
    stage = rulebook.stages[2]
    base = quiet_case(rulebook)
    errors = []

    def worker(seed: int) -> None:
        for i in range(500):
            headcount = 1 + (seed * 7 + i) % 12
            facts = {**base, "headcount": headcount, "headcount_from_field": True, "tier_rank": 3, "target_rank": 0, "visited_rank": 0}
            if ("collective.headcount_field" in fired_ids(engine, names["risk"], stage, facts)) != (headcount >= 5):
                errors.append((seed, i))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, range(8)))
    assert errors == []
    assert threading.active_count() < 20  # no timer threads were started


def test_a_case_no_rule_matches_is_handled(engine_and_stages, rulebook):
    engine = DurableEngine()
    engine.register("only-big", {"r0": {"pri": 1, "all": [{"m": {"$and": [{"_case": 1}, {"$gt": {"headcount": 1000}}]}}]}})
    for _ in range(2000):  # no MessageNotHandled, no segfault on delete_state, no sid leak
        assert engine.evaluate("only-big", {"headcount": 3}) == []


def test_unknown_ruleset_is_an_error():
    with pytest.raises(EngineError, match="not registered"):
        DurableEngine().evaluate("nope@1", {})


def test_a_ruleset_the_engine_refuses_is_reported():
    with pytest.raises(EngineError, match="refused ruleset 'bad'"):
        DurableEngine().register("bad", {"r0": {"pri": 1, "all": [{"m": {"$and": "not-a-list"}}]}})


def test_registering_the_same_version_twice_is_harmless():
    engine = DurableEngine()
    rules = {"r0": {"pri": 1, "all": [{"m": {"_case": 1}}]}}
    engine.register("same@v1", rules)
    engine.register("same@v1", rules)
    assert engine.evaluate("same@v1", {}) == ["r0"]
