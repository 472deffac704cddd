"""Names, 身份证号 and phone numbers sent in any field never come back out: not in a log line, a GET answer,
a CLI output or the bytes of the database file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.cli import app
from service.config import Settings
from tests.conftest import MODEL, RULES

NAME, OFFICIAL = "张建国", "刘德胜"
ID_18, ID_15 = "420683198001011234", "420683800101123"
MOBILE, LANDLINE = "13812345678", "0710-6234567"
RAW = (NAME, OFFICIAL, ID_18, ID_15, MOBILE, "6234567", "+8613987654321", "13987654321")

LETTER = (f"尊敬的领导：我叫{NAME}，身份证号{ID_18}，是K8县城关镇柳湾村村民。村支书{OFFICIAL}私自把村里的集体土地租给外地老板，"
          f"租金去向不明，我们多次反映没人理。联系电话{MOBILE}，座机{LANDLINE}，也可打+8613987654321找我。"
          f"我父亲的老身份证号是{ID_15}。此致 敬礼 信访人：{NAME}")
CASES = [
    {"case_id": "pii-1", "content": LETTER, "title": f"{NAME}反映村支书{OFFICIAL}违规出租土地，电话{MOBILE}",
     "channel": "letter", "region": {"county": "K8县", "township": "城关镇", "village": f"柳湾村（联系人{NAME}）"},
     "petitioner": {"id": f"P-{MOBILE}", "phone": MOBILE, "id_number": ID_18, "age": 46}},
    {"case_id": "pii-2", "content": f"来电人{NAME}反映：村支书{OFFICIAL}打人，来电号码{MOBILE}，身份证{ID_15}。",
     "channel": "hotline", "petitioner": {"id": ID_18, "phone": "+8613987654321"}},
]


def leaks(text: str) -> list[str]:
    return [value for value in RAW if value in text]


@pytest.fixture
def loaded(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=RULES)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/triage", json=CASES[0]).status_code == 200
        assert client.post("/v1/triage/batch", json=CASES[1:]).json()["accepted"] == 1
        feedback = {"category": "城乡建设", "note": f"已联系{NAME}，电话{MOBILE}，村支书{OFFICIAL}否认", "by": "handler-07"}
        assert client.post("/v1/cases/pii-1/feedback", json=feedback).status_code == 201
        assert client.post("/v1/triage", json={**CASES[0], "content": LETTER + "补充"}).status_code == 409
        yield client, settings


def test_no_get_answer_carries_personal_data(loaded):
    client, _ = loaded
    paths = ["/healthz", "/v1/taxonomy", "/v1/rules", "/v1/alerts", "/v1/cases", "/v1/cases?limit=100",
             "/v1/cases/pii-1", "/v1/cases/pii-2"]
    answers = {path: client.get(path) for path in paths}
    assert all(answer.status_code == 200 for answer in answers.values())
    assert {path: leaks(answer.text) for path, answer in answers.items() if leaks(answer.text)} == {}
    assert "张**" in answers["/v1/cases/pii-1"].text and "138****5678" in answers["/v1/cases/pii-1"].text


def test_no_log_line_carries_personal_data(loaded, caplog):
    assert [record.getMessage() for record in caplog.records if leaks(record.getMessage())] == []


def test_the_database_file_holds_no_personal_data(loaded):
    _, settings = loaded
    files = [path for path in Path(settings.data_dir).rglob("*") if path.is_file() and path.name != "petitioner.key"]
    raw = {path.name: leaks(path.read_bytes().decode("utf-8", "replace")) for path in files}
    assert any(name.endswith(".sqlite3") for name in raw) and {k: v for k, v in raw.items() if v} == {}


def test_cli_outputs_carry_no_personal_data(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(case, ensure_ascii=False) for case in CASES) + "\n", encoding="utf-8")
    common = ["--model-dir", str(MODEL), "--rules-dir", str(RULES)]
    runner = CliRunner()
    batch = runner.invoke(app, ["batch", "-i", str(cases), "-o", str(tmp_path / "out.jsonl"), "--data-dir",
                                str(tmp_path / "data"), *common])
    assert batch.exit_code == 0, batch.output
    explain = runner.invoke(app, ["explain", LETTER, *common])
    backtest = runner.invoke(app, ["rules", "backtest", "--cases", str(cases), "--rules", str(RULES), "--active", str(RULES),
                                   "--model-dir", str(MODEL)])
    outputs = {"batch": batch.output, "batch file": (tmp_path / "out.jsonl").read_text(encoding="utf-8"),
               "explain": explain.output, "backtest": backtest.output}
    assert explain.exit_code == 0 and backtest.exit_code == 0, explain.output + backtest.output
    assert {name: leaks(text) for name, text in outputs.items() if leaks(text)} == {}
