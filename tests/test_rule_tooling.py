"""Rules that analysts own: check, test, backtest, stats, simulate and safe hot reload."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.cli import app
from service.config import PROJECT_ROOT, Settings
from service.engine.durable_adapter import DurableEngine
from service.rulebook import isolated
from service.rulebook.active import ActiveRules

RULES = PROJECT_ROOT / "rules"
MODEL = PROJECT_ROOT / "models" / "default"
cli = CliRunner()

BULLYING_RULE = """
  - id: routing.campus_bullying
    description: 校园欺凌交县教育局
    priority: 5
    when: text contains "校园欺凌"
    then:
      set: {agency: 教育局, tier: county}
"""
BULLYING_TEST = """description: 分析员新增
cases:
  - name: 校园欺凌交县教育局
    content: 我女儿在镇中学长期被同学校园欺凌，班主任不管，请求处理。
    category: 教育文体
    subcategory: 校园安全
    fields: {received_at: "2026-12-02T09:00:00+08:00"}
    expect:
      tier: county
      department: 县教育局
      fired: [routing.campus_bullying]
      flags: [sensitive_period]
      reason_contains: {sensitive_period: 全省教育督导周}
"""
SENSITIVE_PERIOD = """  - name: 全省教育督导周
    dates: {from: "2026-12-01", to: "2026-12-07"}
"""


def add_bullying_rule(rules: Path) -> None:
    routing = rules / "routing.yaml"
    text = routing.read_text(encoding="utf-8")
    routing.write_text(text.replace("rules:\n", "rules:" + BULLYING_RULE, 1), encoding="utf-8")
    calendar = rules / "calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8").replace("periods:\n", "periods:\n" + SENSITIVE_PERIOD, 1), encoding="utf-8")
    (rules / "tests" / "bullying_test.yaml").write_text(BULLYING_TEST, encoding="utf-8")


# ---- check ---------------------------------------------------------------------------------------

def test_check_accepts_the_shipped_rules(rulebook):
    result = cli.invoke(app, ["rules", "check", "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {sum(1 for _ in rulebook.rules())} rules in {len(rulebook.stages)} stages")


def test_check_reports_every_problem_with_file_and_line(rules_copy):
    risk = rules_copy / "risk.yaml"
    text = risk.read_text(encoding="utf-8")
    text = text.replace("when: not headcount_from_field and headcount >= 5",
                        "when: headcount >= 50 and headcount < 10", 1)
    text = text.replace("when: sensitive_period is known", "when: sensitve_period is known", 1)
    risk.write_text(text, encoding="utf-8")
    routing = rules_copy / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace(
        "      - [城乡建设, 安全生产,", '      - [城乡建设, "*", "*", 住房和城乡建设局, county]\n      - [城乡建设, 安全生产,', 1), encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("risk.yaml:" in line and "unreachable" in line and "headcount >= 50 and headcount < 10" in line for line in lines)
    assert any("risk.yaml:" in line and "sensitve_period" in line and "sensitive_period" in line for line in lines)
    assert any("routing.yaml:" in line and "unreachable: row" in line and "hit policy is first" in line for line in lines)


def test_check_reports_a_broken_rule_test_file(rules_copy):
    (rules_copy / "tests" / "broken_test.yaml").write_text("cases:\n  - name: x\n    content: 有人\n    expect: {colour: red}\n",
                                                          encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1 and "broken_test.yaml:4" in result.output and "colour" in result.output


# ---- test ----------------------------------------------------------------------------------------

def test_shipped_rule_tests_pass_and_cover_every_rule():
    result = cli.invoke(app, ["rules", "test", "--rules", str(RULES), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 0 and report["passed"] >= 100
    assert report["coverage"]["never_fired"] == []


def test_a_failing_rule_test_is_reported_like_opa_test(rules_copy):
    (rules_copy / "tests" / "wrong_test.yaml").write_text(
        "cases:\n  - name: 期望错误\n    content: 小区物业乱收费\n    category: 城乡建设\n    subcategory: 物业管理\n"
        "    expect: {tier: province}\n", encoding="utf-8")
    result = cli.invoke(app, ["rules", "test", "--rules", str(rules_copy)])
    assert result.exit_code == 1
    assert "FAIL: " in result.output and "wrong_test.yaml:2: 期望错误" in result.output
    assert "tier: expected 'province', got 'township'" in result.output


def test_rule_tests_can_read_the_flag_context_with_the_served_model(rules_copy):
    """Without a model the lexicon alone decides (context 1.0); --model reads it as the service does."""
    (rules_copy / "tests" / "lookalike_test.yaml").write_text(
        "cases:\n  - name: 跳楼价是促销用语\n    content: 商场门口挂着跳楼价大甩卖的横幅，结果买回来的电视机是翻新机，要求商家退货。\n"
        "    category: 商贸旅游\n    expect: {no_flags: [extreme]}\n", encoding="utf-8")
    lexicon_only = cli.invoke(app, ["rules", "test", "--rules", str(rules_copy)])
    assert lexicon_only.exit_code == 1 and "lookalike_test.yaml:2: 跳楼价是促销用语" in lexicon_only.output
    with_model = cli.invoke(app, ["rules", "test", "--rules", str(rules_copy), "--model", str(PROJECT_ROOT / "models" / "default"),
                                  "--json"])
    report = json.loads(with_model.stdout)
    assert next(r for r in report["results"] if r["name"] == "跳楼价是促销用语")["passed"]


def test_a_rules_directory_without_tests_fails_rather_than_passing_nothing(rules_copy):
    shutil.rmtree(rules_copy / "tests")
    (rules_copy / "tests").mkdir()
    result = cli.invoke(app, ["rules", "test", "--rules", str(rules_copy)])
    assert result.exit_code == 1 and "no rule tests" in result.output and "PASS: 0/0" in result.output


# ---- hot reload ----------------------------------------------------------------------------------

@pytest.fixture
def served(rules_copy, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=rules_copy)
    with TestClient(create_app(settings)) as client:
        yield client, rules_copy


def test_get_rules_shows_version_loader_and_files(served):
    client, _ = served
    info = client.get("/v1/rules").json()
    assert info["loaded_by"] == "startup" and len(info["version"]) == 12
    assert {"rulebook.yaml", "risk.yaml", "routing.yaml"} <= {f["path"] for f in info["files"]}


def test_a_broken_rule_file_is_rejected_and_the_last_good_rules_stay(served):
    client, rules = served
    before = client.get("/v1/rules").json()["version"]
    level = rules / "level.yaml"
    broken = level.read_text(encoding="utf-8").replace("flag_collective and disruption_signal", "flag_collective and and disruption_signal")
    level.write_text(broken, encoding="utf-8")
    answer = client.post("/v1/rules/reload", json={"by": "analyst-li"})
    assert answer.status_code == 422
    problem = answer.json()["problems"][0]
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "and and" in text)
    assert problem["file"].endswith("level.yaml") and problem["line"] == line
    assert client.get("/v1/rules").json()["version"] == before
    decided = client.post("/v1/triage", json={"content": "小区物业乱收停车费，请住建部门管一管。"})
    assert decided.status_code == 200 and decided.json()["versions"]["rules"] == before


def test_failing_rule_tests_block_a_reload(served):
    client, rules = served
    deadlines = rules / "deadlines.yaml"
    deadlines.write_text(deadlines.read_text(encoding="utf-8").replace("accept_days: 7", "accept_days: 8", 1), encoding="utf-8")
    answer = client.post("/v1/rules/reload")
    assert answer.status_code == 422 and answer.json()["failed_tests"]
    assert "rule tests fail" in answer.json()["detail"]


@pytest.mark.parametrize("child, expected", [
    ((sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"), "crashed the rules engine (SIGSEGV)"),
    ((sys.executable, "-c", "import time; time.sleep(30)"), "did not finish"),
])
def test_a_candidate_that_crashes_or_hangs_the_engine_is_rejected(served, monkeypatch, child, expected):
    client, _ = served
    monkeypatch.setattr(isolated, "CHILD_COMMAND", child)
    # The timeout is passed, not patched: pretest's default is bound when it is defined.
    monkeypatch.setattr(client.app.state.pipeline.rules, "_pretest", lambda d: isolated.pretest(d, timeout=2.0))
    before = client.get("/v1/rules").json()["version"]
    answer = client.post("/v1/rules/reload")
    assert answer.status_code == 422 and expected in answer.json()["detail"]
    assert client.get("/v1/rules").json()["version"] == before
    assert client.post("/v1/triage", json={"content": "公司拖欠工资三个月了"}).status_code == 200


def test_simulate_decides_with_candidate_files_without_activating_them(served):
    client, rules = served
    before = client.get("/v1/rules").json()["version"]
    routing = (rules / "routing.yaml").read_text(encoding="utf-8").replace("rules:\n", "rules:" + BULLYING_RULE, 1)
    case = {"case_id": "sim-1", "content": "孩子在学校被校园欺凌，打得鼻青脸肿，老师说是闹着玩。"}
    answer = client.post("/v1/rules/simulate", json={"files": {"routing.yaml": routing}, "cases": [case]})
    assert answer.status_code == 200, answer.text
    decision = answer.json()["decisions"][0]
    assert decision["department"] == "县教育局" and "routing.campus_bullying" in decision["rules_fired"]
    assert answer.json()["version"] != before and client.get("/v1/rules").json()["version"] == before
    bad = client.post("/v1/rules/simulate", json={"files": {"routing.yaml": routing.replace("when: text", "when: txt")},
                                                 "cases": [case]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["file"] == "routing.yaml"
    escape = client.post("/v1/rules/simulate", json={"files": {"../x.yaml": "a: 1"}, "cases": [case]})
    assert escape.status_code == 422


def test_simulate_answers_the_flags_with_their_reasons(served):
    """A simulated case that raised a flag answered 500: the child sent its flags back as strings."""
    client, _ = served
    case = {"content": "我们村四十多户村民的征地补偿款拖了三年，准备下周一起去省里上访。", "headcount": 40}
    answer = client.post("/v1/rules/simulate", json={"cases": [case]})
    assert answer.status_code == 200, answer.text
    flags = {f["code"]: f for f in answer.json()["decisions"][0]["flags"]}
    assert "collective" in flags and "40" in flags["collective"]["reason"] and flags["collective"]["rule"]


def test_cases_in_flight_finish_on_the_rules_they_started_with(rules_copy):
    engine = DurableEngine()
    rules = ActiveRules(rules_copy, engine)
    old_names = set(rules.current.runner.ruleset_names)
    add_bullying_rule(rules_copy)
    with rules.lease() as runner:
        rules.reload(by="test")
        assert rules.current.runner is not runner
        assert old_names <= engine.registered  # still usable by the case in flight
    assert not old_names & engine.registered  # freed once the last case finished
    assert set(rules.current.runner.ruleset_names) == engine.registered


def test_a_hundred_reloads_keep_only_the_active_rules_and_memory_flat(rules_copy):
    engine = DurableEngine()
    rules = ActiveRules(rules_copy, engine)
    rulebook = rules_copy / "rulebook.yaml"
    original = rulebook.read_text(encoding="utf-8")

    def rss_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    baseline = None
    for i in range(100):
        rulebook.write_text(original + f"\n# reload {i}\n", encoding="utf-8")  # a new version every time
        rules.reload(by="soak")
        if i == 9:
            baseline = rss_mb()
    assert engine.registered == set(rules.current.runner.ruleset_names)
    assert rss_mb() - baseline < 25  # registering without freeing grows ~0.3 MB per reload; measured ≈ 0


# ---- the analyst's round trip --------------------------------------------------------------------

def test_a_store_backtest_replays_each_case_with_its_history_as_it_stood(tmp_path, rules_copy):
    """A change to a history threshold once showed 0 changed cases: the replay had no history."""
    from service.domain import Case
    from service.runtime import build_pipeline

    pipeline = build_pipeline(Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=RULES))
    for i, text in enumerate(["我家的征地补偿款到现在还没有拿到。", "征地补偿款的事还是没有结果，村里说镇上没拨款。"]):
        pipeline.triage(Case(case_id=f"again-{i}", content=text, petitioner={"id": "villager-7"},
                                      received_at=f"2026-06-0{i + 1}T10:00:00+08:00"))
    risk = rules_copy / "risk.yaml"
    risk.write_text(risk.read_text(encoding="utf-8").replace("when: petitioner_same_category_365d >= 2",
                                                             "when: petitioner_same_category_365d >= 1"), encoding="utf-8")
    result = cli.invoke(app, ["rules", "backtest", "--cases", "store", "--rules", str(rules_copy), "--active", str(RULES),
                              "--model-dir", str(MODEL), "--data-dir", str(tmp_path / "data"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cases"] == 2 and report["cases_without_history"] == 0
    assert report["changed_cases"] == 1 and report["flags_added"] == {"repeat": 1}
    assert [s["case_id"] for s in report["samples"]] == ["again-1"]


def test_analyst_round_trip_without_restarting_the_service(served, tmp_path):
    client, rules = served
    corpus = [json.loads(line) for path in sorted((PROJECT_ROOT / "training" / "corpus").glob("*.jsonl"))
              for line in path.read_text(encoding="utf-8").splitlines()[:67]]
    cases = [{"case_id": f"hist-{i}", "content": row["text"], "title": row["title"] or None,
              "received_at": "2026-11-02T10:00:00+08:00"} for i, row in enumerate(corpus[:999])]
    cases.append({"case_id": "hist-bully", "content": "我儿子在县二中被高年级学生校园欺凌，学校一直推诿。",
                  "received_at": "2026-11-03T10:00:00+08:00"})
    for start in range(0, len(cases), 500):
        assert client.post("/v1/triage/batch", json=cases[start:start + 500]).status_code == 200
    before = client.get("/v1/rules").json()["version"]

    add_bullying_rule(rules)
    assert cli.invoke(app, ["rules", "check", "--rules", str(rules)]).exit_code == 0
    tested = cli.invoke(app, ["rules", "test", "--rules", str(rules)])
    assert tested.exit_code == 0, tested.output
    settings = client.app.state.pipeline.store  # the service's own store, as `--cases store` reads it
    assert settings.count() == 1000
    backtest = cli.invoke(app, ["rules", "backtest", "--cases", "store", "--rules", str(rules), "--active", str(RULES),
                                "--model-dir", str(MODEL), "--data-dir", str(tmp_path / "data"), "--json"])
    assert backtest.exit_code == 0, backtest.output
    report = json.loads(backtest.stdout)
    assert report["cases"] == 1000
    assert report["rule_hits"]["routing.campus_bullying"]["candidate"] >= 1
    assert report["rule_hits"]["routing.campus_bullying"]["active"] == 0

    reloaded = client.post("/v1/rules/reload", json={"by": "analyst-li"})
    assert reloaded.status_code == 200 and reloaded.json()["loaded_by"] == "analyst-li"
    after = reloaded.json()["version"]
    assert after != before
    decided = client.post("/v1/triage", json={"case_id": "new-1", "content": "女儿在学校被校园欺凌，老师不管不问。",
                                              "received_at": "2026-12-03T10:00:00+08:00"}).json()
    assert decided["versions"]["rules"] == after
    assert decided["routing"]["department"] == "县教育局" and "routing.campus_bullying" in decided["rules_fired"]
    assert any(f["code"] == "sensitive_period" and "全省教育督导周" in f["reason"] for f in decided["risk"]["flags"])

    stats = cli.invoke(app, ["rules", "stats", "--rules", str(rules), "--data-dir", str(tmp_path / "data"), "--json"])
    counts = json.loads(stats.stdout)
    assert counts["decisions"] == 1001 and counts["hits"]["routing.campus_bullying"] == 1
    assert counts["rules_versions"] == {before: 1000, after: 1}


def test_check_rejects_more_range_tests_of_one_fact_than_the_engine_survives(rules_copy):
    """durable-rules fails (error 303) when one case matches 64+ distinct range tests of one fact."""
    many = "".join(f"  - id: risk.amount_band_{i}\n    when: amount_yuan >= {i * 1000}\n    then:\n      score: 0\n"
                   for i in range(64))
    risk = rules_copy / "risk.yaml"
    risk.write_text(risk.read_text(encoding="utf-8").replace("rules:\n", "rules:\n" + many, 1), encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1 and "64 different range tests of 'amount_yuan'" in result.output


def test_the_engine_limit_behind_that_check_is_real():
    engine = DurableEngine()
    rules = {f"r{i}": {"pri": 1, "all": [{"m": {"$gte": {"amount": i}}}]} for i in range(70)}
    engine.register("limit-probe", rules)
    assert len(engine.evaluate("limit-probe", {"amount": 62})) == 63
    with pytest.raises(Exception, match="303"):
        engine.evaluate("limit-probe", {"amount": 63})


def test_a_raise_table_takes_only_tier_and_level(rules_copy):
    level = rules_copy / "level.yaml"
    level.write_text(level.read_text(encoding="utf-8").replace("outputs: [level]", "outputs: [agency]"), encoding="utf-8")
    result = cli.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1 and "level.yaml:" in result.output and "agency cannot be raised" in result.output


def test_the_flag_combination_table_takes_the_highest_level(decide):
    organised_group = decide("我们三十多人商量好了一起去市里反映征地款问题", "国土资源", "征地补偿")
    assert organised_group.level == "red" and "level.by_flags#1" in organised_group.rules_fired
    assert "level.by_flags#4" in organised_group.rules_fired  # the orange row matched too; red wins
    threat_alone = decide("再不给钱我就从楼上跳下去", "劳动和社会保障", "拖欠工资")
    assert threat_alone.level == "red" and "level.red_self_harm_or_violence" in threat_alone.rules_fired


@pytest.mark.parametrize("outside", ["/etc/passwd", "../../data/petitioner.key"])
def test_simulate_cannot_read_a_file_outside_the_rules_directory(served, outside):
    """A rulebook.yaml naming /etc/passwd (or the linking key) had its content quoted back in the 422."""
    client, rules = served
    manifest = (rules / "rulebook.yaml").read_text(encoding="utf-8").replace("taxonomy: taxonomy.yaml", f"taxonomy: {outside}")
    answer = client.post("/v1/rules/simulate", json={"files": {"rulebook.yaml": manifest},
                                                    "cases": [{"content": "小区电梯坏了三个月没人修。"}]})
    assert answer.status_code == 422 and "root:" not in answer.text
    assert [(p["file"], p["message"].split(":")[0]) for p in answer.json()["problems"]] == [("rulebook.yaml", "taxonomy")]


def test_a_rule_test_with_a_type_outside_the_taxonomy_is_located(rules_copy):
    (rules_copy / "tests" / "misfiled_test.yaml").write_text(
        "cases:\n  - name: x\n    content: 孩子想回户籍地参加中考。\n    category: 教育文体\n    subcategory: 考试招生\n"
        "    type: 乱收费\n    expect: {tier: county}\n", encoding="utf-8")
    result = cli.invoke(app, ["rules", "test", "--rules", str(rules_copy)])
    assert result.exit_code != 0
    assert "misfiled_test.yaml:" in result.output and "third-level type of 教育文体/考试招生" in result.output
