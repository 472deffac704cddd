"""The store over HTTP: reading cases, roles, handlers' corrections, alerts, and retraining from corrections."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.cli import app
from service.config import PROJECT_ROOT, Settings

MODEL = PROJECT_ROOT / "models" / "default"
RULES = PROJECT_ROOT / "rules"
KEYS = {"intake-key": "intake", "analyst-key": "analyst"}
INTAKE, ANALYST = {"X-API-Key": "intake-key"}, {"X-API-Key": "analyst-key"}
cli = CliRunner()


@pytest.fixture
def served(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES, api_keys=KEYS)
    with TestClient(create_app(settings)) as client:
        cases = [
            {"case_id": "c-1", "content": "我是钟郢村村民，征地补偿款没发，联系电话13812345678。", "received_at": "2026-06-01T09:00:00+08:00",
             "petitioner": {"id": "P20260001", "id_number": "420683197001011234"}},
            {"case_id": "c-2", "content": "我们二十多人一起去北京上访，要求解决拖欠工资。", "received_at": "2026-06-03T09:00:00+08:00"},
            {"case_id": "c-3", "content": "小区物业乱收停车费。", "received_at": "2026-06-05T09:00:00+08:00"},
        ]
        for case in cases:
            assert client.post("/v1/triage", json=case, headers=INTAKE).status_code == 200
        yield client, settings


def test_cases_need_the_analyst_role(served):
    client, _ = served
    assert client.get("/v1/cases/c-1").status_code == 401
    assert client.get("/v1/cases/c-1", headers=INTAKE).status_code == 403
    assert client.post("/v1/triage", json={"content": "路灯坏了"}).status_code == 401
    assert client.get("/v1/cases/c-1", headers=ANALYST).status_code == 200


def test_a_case_is_shown_with_personal_data_masked(served):
    client, _ = served
    case = client.get("/v1/cases/c-1", headers=ANALYST).json()
    body = json.dumps(case, ensure_ascii=False)
    assert "13812345678" not in body and "420683197001011234" not in body and "P20260001" not in body
    assert "138****5678" in case["content"] and case["petitioner"]["id_number"].endswith("1234")
    assert case["area"]["village"] == "钟郢村" and case["decision"]["case_id"] == "c-1"
    assert client.get("/v1/cases/nope", headers=ANALYST).status_code == 404


def test_cases_are_filtered_and_paginated(served):
    client, _ = served
    everything = client.get("/v1/cases", headers=ANALYST).json()
    assert everything["total"] == 3 and [c["case_id"] for c in everything["cases"]] == ["c-3", "c-2", "c-1"]
    flagged = client.get("/v1/cases", params={"flag": "skip_level"}, headers=ANALYST).json()
    assert [c["case_id"] for c in flagged["cases"]] == ["c-2"]
    red = client.get("/v1/cases", params={"level": "red"}, headers=ANALYST).json()
    assert {c["case_id"] for c in red["cases"]} == {"c-2"}
    window = client.get("/v1/cases", params={"since": "2026-06-02T00:00:00+08:00", "limit": 1}, headers=ANALYST).json()
    assert window["total"] == 2 and len(window["cases"]) == 1
    page_two = client.get("/v1/cases", params={"since": "2026-06-02T00:00:00+08:00", "limit": 1, "offset": 1}, headers=ANALYST)
    assert page_two.json()["cases"][0]["case_id"] == "c-2"
    by_village = client.get("/v1/cases", params={"region": "钟郢村"}, headers=ANALYST).json()
    assert [c["case_id"] for c in by_village["cases"]] == ["c-1"]
    assert client.get("/v1/cases", params={"level": "purple"}, headers=ANALYST).status_code == 422


def test_feedback_is_stored_with_who_and_checked(served):
    client, _ = served
    answer = client.post("/v1/cases/c-3/feedback", json={"by": "handler-07", "category": "城乡建设", "subcategory": "物业管理"},
                         headers=ANALYST)
    assert answer.status_code == 201 and answer.json()["by"] == "handler-07" and answer.json()["created_at"]
    assert client.post("/v1/cases/c-3/feedback", json={"by": "h", "category": "不存在的类"}, headers=ANALYST).status_code == 422
    assert client.post("/v1/cases/c-3/feedback", json={"by": "h", "flags": ["bogus"]}, headers=ANALYST).status_code == 422
    assert client.post("/v1/cases/c-3/feedback", json={"by": "h"}, headers=ANALYST).status_code == 422
    assert client.post("/v1/cases/zz/feedback", json={"by": "h", "category": "政法"}, headers=ANALYST).status_code == 404


def test_feedback_with_an_old_subcategory_name_is_stored_at_its_standard_place(served):
    client, _ = served
    old = client.post("/v1/cases/c-3/feedback", json={"by": "h", "category": "交通运输", "subcategory": "公共交通"},
                      headers=ANALYST).json()
    assert (old["category"], old["subcategory"], old["type"]) == ("城乡建设", "城市建设和市政管理", "公共汽车")
    new = client.post("/v1/cases/c-3/feedback", json={"by": "h", "category": "教育文体", "subcategory": "考试招生",
                                                       "type": "异地升学"}, headers=ANALYST).json()
    assert (new["category"], new["subcategory"], new["type"]) == ("教育文体", "考试招生", "异地升学")
    wrong = client.post("/v1/cases/c-3/feedback", json={"by": "h", "category": "教育文体", "subcategory": "考试招生",
                                                         "type": "乱收费"}, headers=ANALYST)
    assert wrong.status_code == 422 and "third-level type of 教育文体/考试招生" in str(wrong.json())
    assert "乱收费" not in str(wrong.json())
    alone = client.post("/v1/cases/c-3/feedback", json={"by": "h", "type": "异地升学"}, headers=ANALYST)
    assert alone.status_code == 422 and "subcategory" in str(alone.json())


def test_corrections_feed_evaluation_and_retraining(served, tmp_path):
    client, settings = served
    for case_id, category in (("c-1", "国土资源"), ("c-2", "劳动和社会保障"), ("c-3", "城乡建设")):
        client.post(f"/v1/cases/{case_id}/feedback", json={"by": "handler-07", "category": category}, headers=ANALYST)
    store = ["--data-dir", str(settings.data_dir), "--database-url", settings.resolved_database_url]
    evaluated = cli.invoke(app, ["evaluate", "--from-store", "--model", str(MODEL), *store])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["documents"] == 3
    corpus = tmp_path / "small"
    corpus.mkdir()
    for name in ("国土资源", "劳动和社会保障", "城乡建设"):
        lines = (PROJECT_ROOT / "training" / "corpus" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:20]
        (corpus / f"{name}.jsonl").write_text("\n".join(lines), encoding="utf-8")
    trained = cli.invoke(app, ["train", "--from-store", "--data", str(corpus), "--out", str(tmp_path / "m"), *store])
    assert trained.exit_code == 0, trained.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["data"]["documents"] == 63


def test_alerts_feed_shows_one_alert_per_cluster(served):
    client, _ = served
    for i in range(3):
        client.post("/v1/triage", json={"case_id": f"v-{i}", "content": f"钟郢村村民反映征地补偿款没有发放（{i}）",
                                        "received_at": "2026-06-02T10:00:00+08:00", "petitioner": {"id": f"v{i}"}},
                    headers=INTAKE)
    alerts = client.get("/v1/alerts", headers=ANALYST).json()
    assert len(alerts) == 1 and "钟郢村" in alerts[0]["reason"]


def test_feedback_names_only_real_departments_and_echoes_nothing(served):
    client, _ = served
    answer = client.post("/v1/cases/c-3/feedback", json={"by": "h", "department": "火星局"}, headers=ANALYST)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "department"]
    assert "火星局" not in answer.text
    department = client.get("/v1/taxonomy").json()["departments"][0]
    assert client.post("/v1/cases/c-3/feedback", json={"by": "h", "department": department}, headers=ANALYST).status_code == 201


@pytest.mark.parametrize("case_id", ["no-such-case-99", "13812345678", "a b"])
def test_an_unknown_or_invalid_case_id_is_not_echoed(served, case_id):
    client, _ = served
    answer = client.get(f"/v1/cases/{case_id}", headers=ANALYST)
    assert answer.status_code in (404, 422) and case_id not in answer.text
