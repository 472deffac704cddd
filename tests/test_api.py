"""API contract v1, as intake systems rely on it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app

ACCEPTANCE = (
    "我们是钟郢村的村民，移民拆迁补偿款一直没发到位。现在村里二十多人商量好了，"
    "每户集资三百元，准备下个月一起去北京反映。"
)


def test_acceptance_letter_is_red_with_collective_organized_skip_level(client):
    body = client.post("/v1/triage", json={"content": ACCEPTANCE}).json()
    codes = {flag["code"] for flag in body["risk"]["flags"]}
    assert {"collective", "organized", "skip_level"} <= codes
    assert body["risk"]["level"] == "red"
    reasons = " ".join(flag["reason"] for flag in body["risk"]["flags"])
    assert "二十多人" in reasons and "去北京" in reasons


def test_traffic_light_suggestion_is_blue_without_flags(client):
    body = client.post(
        "/v1/triage",
        json={"title": "建议增设红绿灯", "content": "建议在人民路与解放路交叉口增设红绿灯，早晚高峰行人过马路很危险。"},
    ).json()
    assert body["risk"] == {"level": "blue", "score": 0, "flags": []}
    assert body["request_kind"] == "建议" and body["routing"]["procedure"] == "answer"
    # The standard files a street's traffic signal under 城乡建设 (城市公共设施) or 政法 (交通安全管理), not 交通运输.
    assert body["category"]["label"] in ("城乡建设", "政法")


def test_answer_has_every_contract_field(client):
    body = client.post(
        "/v1/triage",
        json={
            "content": "小区物业乱收费，停车费一年涨了三次，业主们意见很大。",
            "channel": "online",
            "received_at": "2026-11-02T09:30:00",
            "region": {"province": "安徽省", "county": "舒城县"},
            "petitioner": {"id": "P-1", "age": 45, "phone": "13812345678"},
        },
    ).json()
    assert set(body) == {"case_id", "received_at", "category", "request_kind", "routing", "risk", "rules_fired", "versions",
                         "warnings"}
    assert body["received_at"].endswith("+08:00")
    assert len(body["category"]["top"]) == 3
    assert 0 <= body["category"]["confidence"] <= 1
    assert body["routing"]["tier"] in {"village", "township", "county", "city", "province"}
    assert body["routing"]["accept_by"] >= "2026-11-17" and body["routing"]["resolve_by"] >= "2027-01-01"
    assert body["versions"]["rules"] and body["versions"]["model"]
    assert body["rules_fired"]


def test_a_retry_with_the_same_case_id_and_request_returns_the_stored_decision(client):
    case = {"case_id": "A-001", "content": "噪音扰民，晚上施工到两点。", "received_at": "2026-11-02T22:00:00"}
    first = client.post("/v1/triage", json=case).json()
    retry = client.post("/v1/triage", json={**case, "received_at": "2026-11-02T22:05:00"})  # the client's clock moved
    assert retry.status_code == 200 and retry.json() == first


def test_a_different_petition_under_a_used_case_id_is_refused_not_dropped(client):
    """It used to answer 200 with the old decision and drop the new petition silently."""
    first = client.post("/v1/triage", json={"case_id": "A-002", "content": "噪音扰民，晚上施工到两点。"}).json()
    clash = client.post("/v1/triage", json={"case_id": "A-002", "content": "小区门口的路灯坏了一个月没人修。"})
    assert clash.status_code == 409
    body = clash.json()
    assert len(body["stored_hash"]) == len(body["sent_hash"]) == 64 and body["stored_hash"] != body["sent_hash"]
    assert "risk" not in body and "小区" not in clash.text  # neither decision nor text comes back
    assert client.get("/v1/cases/A-002").json()["decision"] == first


def test_an_intake_key_cannot_read_a_stored_decision_by_guessing_its_case_id(settings):
    keyed = settings.model_copy(update={"api_keys": {"in": "intake", "an": "analyst"}})
    with TestClient(create_app(keyed)) as client:
        stored = client.post("/v1/triage", headers={"X-API-Key": "an"},
                             json={"case_id": "X-9", "content": "我们村四十多人的征地补偿款被村干部截留，准备去北京上访。"})
        probe = client.post("/v1/triage", headers={"X-API-Key": "in"}, json={"case_id": "X-9", "content": "查询"})
    assert stored.status_code == 200 and probe.status_code == 409
    assert set(probe.json()) == {"detail", "stored_hash", "sent_hash"}  # no decision


def test_invalid_input_names_the_field(client):
    cases = [
        ({}, ["body", "content"]),
        ({"content": ""}, ["body", "content"]),
        ({"content": "字" * 20001}, ["body", "content"]),
        ({"content": "投诉", "channel": "fax"}, ["body", "channel"]),
        ({"content": "投诉", "headcount": 0}, ["body", "headcount"]),
        ({"content": "投诉", "received_at": "昨天"}, ["body", "received_at"]),
        ({"content": "投诉", "petitioner": {"id_number": "12345"}}, ["body", "petitioner", "id_number"]),
        ({"content": "投诉", "colour": "red"}, ["body", "colour"]),
    ]
    for payload, location in cases:
        response = client.post("/v1/triage", json=payload)
        assert response.status_code == 422, payload
        assert location in [e["loc"] for e in response.json()["detail"]], response.json()


def test_invalid_input_is_not_echoed_back(client):
    response = client.post("/v1/triage", json={"content": "投诉", "petitioner": {"id_number": "11010519491231002"}})
    assert response.status_code == 422
    assert "11010519491231002" not in response.text


def test_batch_answers_each_case_and_isolates_bad_ones(client):
    body = client.post(
        "/v1/triage/batch",
        json=[
            {"case_id": "B-1", "content": "学校强制学生购买教辅资料，家长们很有意见。"},
            {"case_id": "B-2", "content": ""},
            {"case_id": "B-3", "content": "公司拖欠我们二十多名工人工资共计三十余万元。"},
        ],
    ).json()
    assert body["accepted"] == 2 and body["rejected"] == 1
    assert [r and r["case_id"] for r in body["results"]] == ["B-1", None, "B-3"]
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["errors"][0]["loc"] == ["content"]


def test_batch_refuses_more_than_a_thousand(client):
    response = client.post("/v1/triage/batch", json=[{"content": "投诉"}] * 1001)
    assert response.status_code == 422


@pytest.mark.parametrize("content", ["hello, my water pipe is broken", "。。。", "13812345678", "ＡＢＣ！！", "😡😡😡"])
def test_text_without_chinese_is_refused_not_routed(client, content):
    """It was routed to a department at random (县卫生健康委员会 for an English sentence)."""
    answer = client.post("/v1/triage", json={"content": content})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "content"] and "Chinese" in answer.json()["detail"][0]["msg"]
    assert content not in answer.text


def test_text_with_too_little_chinese_goes_to_review(client):
    body = client.post("/v1/triage", json={"content": "help! water pipe broken in building 3, 谢谢"}).json()
    assert body["category"]["needs_review"] is True and "Chinese" in body["category"]["review_reason"]


def test_health_and_taxonomy(client):
    assert client.get("/healthz").json()["status"] == "ok"
    taxonomy = client.get("/v1/taxonomy").json()
    assert len(taxonomy["labels"]) == 15 and "劳动和社会保障" in taxonomy["labels"]
    assert "县人力资源和社会保障局" in taxonomy["departments"]
    assert "工资福利" in taxonomy["subcategories"]["劳动和社会保障"]
    assert "工资发放" in taxonomy["standard"]["劳动和社会保障"]["工资福利"]
    assert taxonomy["renamed"]["劳动和社会保障/拖欠工资"] == "劳动和社会保障/工资福利/工资发放"


def test_openapi_documents_the_contract(client):
    spec = client.get("/openapi.json").json()
    assert "/v1/triage" in spec["paths"] and "/v1/triage/batch" in spec["paths"]
    assert "TriageRequest" in spec["components"]["schemas"]


def test_decision_is_stored_before_answering(client, settings):
    from sqlalchemy import create_engine, text

    case = client.post("/v1/triage", json={"case_id": "S-1", "content": "村里的路坏了好几年没人修。",
                                          "petitioner": {"phone": "13812345678"}}).json()
    with create_engine(settings.resolved_database_url).connect() as connection:
        row = connection.execute(text("select case_id, petitioner_masked, petitioner_key from cases")).one()
    assert row[0] == case["case_id"]
    assert "13812345678" not in str(row[1]) and "138****5678" in str(row[1])
    assert row[2] and "13812345678" not in row[2]


def test_the_docs_page_loads_without_a_network(client):
    """Swagger UI came from a CDN: blank in an office without internet."""
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    scripts = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", page.text)
    assert scripts and all(client.get(url).status_code == 200 for url in scripts)


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    huge = b'[' + b'{"content": "' + "拖欠工资".encode() * 1_500_000 + b'"}]'
    answer = client.post("/v1/triage/batch", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "MB" in answer.json()["detail"]
    streamed = client.post("/v1/triage/batch", content=iter([huge[:1 << 20]] * 17), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.get("/healthz").status_code == 200


def test_a_consultation_is_answered_directly_and_a_complaint_is_not(client):
    consult = client.post("/v1/triage", json={"title": "咨询公积金贷款额度", "content": "想问一下二套房公积金贷款最多能贷多少？",
                                              "received_at": "2026-06-10T09:00:00+08:00"}).json()
    assert consult["request_kind"] == "咨询" and consult["routing"]["procedure"] == "answer"
    assert consult["routing"]["resolve_by"] == "2026-06-17"  # answered in 7 days, not 60
    complaint = client.post("/v1/triage", json={"content": "物业把消防通道划成收费车位，救护车都开不进来，请问这合理吗？",
                                                "received_at": "2026-06-10T09:00:00+08:00"}).json()
    assert complaint["request_kind"] == "投诉" and complaint["routing"]["procedure"] == "petition"
