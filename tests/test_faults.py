"""Faults and mistakes answer clear errors, lose nothing already accepted, and the service recovers by itself."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy import event

from service.api.main import create_app
from service.config import Settings
from tests.conftest import MODEL, RULES

LETTER = "尊敬的领导：我们小区的电梯三个月坏了四次，物业一直推脱，老人上下楼很困难，请尽快督促维修。"


@pytest.fixture
def served(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("received_at", ["1899-12-31T23:00:00+08:00", "2099-01-01T00:00:00", "0001-01-01T00:00:00-23:59",
                                         "9999-12-31T23:59:59+14:00"])
def test_a_time_outside_the_calendars_is_a_clear_error(client, received_at):
    answer = client.post("/v1/triage", json={"content": LETTER, "received_at": received_at})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "received_at"] and "1900 and 2098" in answer.text


def test_one_bad_time_in_a_batch_fails_only_its_own_case(client):
    """It made the whole batch 500 after part of it was stored."""
    cases = [{"case_id": f"b-{i}", "content": f"{LETTER}（第{i}栋）"} for i in range(3)]
    cases[1]["received_at"] = "2150-01-01T00:00:00"
    answer = client.post("/v1/triage/batch", json=cases)
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == 2 and [(e["index"], e["code"], e["case_id"]) for e in body["errors"]] == [(1, "invalid", "b-1")]
    assert client.get("/v1/cases/b-0").status_code == client.get("/v1/cases/b-2").status_code == 200


@pytest.mark.parametrize(("field", "value"), [("content", "拖欠工资\\u0000三个月"), ("title", "讨薪\\u0000"),
                                              ("content", "拖欠工资\\ud800三个月")])
def test_a_nul_byte_or_broken_unicode_is_refused_on_every_backend(served, field, value):
    """PostgreSQL refuses NUL in text: it was a 500 with the content in the log. Sent as raw JSON escapes,
    as a careless client writes them (a lone surrogate cannot even be encoded by a well-behaved one)."""
    body = '{"content": "拖欠工资三个月", "%s": "%s"}' % (field, value)
    answer = served.post("/v1/triage", content=body.encode(), headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", field]


def test_control_characters_from_office_software_are_read_as_spaces(client):
    answer = client.post("/v1/triage", json={"case_id": "ctl-1", "content": "拖欠工资\x0b三个月\x0c，老板跑了"})
    assert answer.status_code == 200
    assert client.get("/v1/cases/ctl-1").json()["content"] == "拖欠工资 三个月 ,老板跑了".replace(",", "，")


@pytest.mark.parametrize("params", [{"offset": 10**20}, {"offset": -1}, {"limit": 10**6}, {"since": "2026-13-01"},
                                    {"since": "3000-01-01T00:00:00"}])
def test_paging_and_filter_mistakes_are_422_not_500(served, params):
    assert served.get("/v1/cases", params=params).status_code == 422


def test_a_batch_conflict_is_reported_for_its_case_only(client):
    client.post("/v1/triage", json={"case_id": "dup-1", "content": LETTER})
    answer = client.post("/v1/triage/batch", json=[{"case_id": "dup-1", "content": "另一件事：路灯坏了。"},
                                                   {"case_id": "dup-2", "content": LETTER}]).json()
    assert [(e["index"], e["code"]) for e in answer["errors"]] == [(0, "conflict")]
    assert answer["errors"][0]["errors"][0]["stored_hash"] != answer["errors"][0]["errors"][0]["sent_hash"]
    assert answer["results"][1]["case_id"] == "dup-2"


def test_a_full_disk_answers_503_keeps_reads_and_recovers_without_restart(tmp_path):
    """After one failed write every request stayed 500 until restart: every transaction began BEGIN IMMEDIATE
    on a connection left inside a failed transaction."""
    settings = Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=RULES)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/triage", json={"case_id": "ok-1", "content": LETTER}).status_code == 200
        engine = client.app.state.pipeline.store._engine
        # Pages on the free list are room too: a migration that rebuilds a table (SQLite's ALTER) leaves some.
        with sqlite3.connect(tmp_path / "data" / "triage.sqlite3") as raw:
            raw.execute("VACUUM")

        disk = {"full": True}

        def disk_state(connection, _record, _proxy):
            """Every connection sees the disk as it is now: no page beyond the current ones while it is full."""
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages if disk['full'] else 1_073_741_823}")

        event.listen(engine, "checkout", disk_state)
        long_letter = LETTER * 60
        failed = client.post("/v1/triage", json={"case_id": "full-1", "content": long_letter})
        assert failed.status_code == 503 and int(failed.headers["Retry-After"]) > 0
        assert "nothing was stored" in failed.json()["detail"] and long_letter[:20] not in failed.text
        assert client.get("/v1/cases/ok-1").status_code == 200  # reads go on while writes fail
        # A batch is committed whole: the short case that would fit fails with the long one, and is not stored.
        batch = client.post("/v1/triage/batch", json=[{"case_id": "full-2", "content": LETTER},
                                                       {"case_id": "full-3", "content": long_letter}]).json()
        assert [e["code"] for e in batch["errors"]] == ["store_unavailable"] * 2 and batch["accepted"] == 0
        disk["full"] = False  # room again: the same process recovers
        assert client.post("/v1/triage", json={"case_id": "full-1", "content": long_letter}).status_code == 200
        assert client.get("/v1/cases", params={"limit": 10}).json()["total"] == 2


def test_dropped_database_connections_are_replaced_by_themselves(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("dropping server connections is a PostgreSQL fault")
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/triage", json={"case_id": "pg-1", "content": LETTER}).status_code == 200
        database = database_url.rsplit("/", 1)[1]
        admin = sqlalchemy.create_engine(database_url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            killed = connection.execute(sqlalchemy.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": database}).scalar()
        admin.dispose()
        assert killed >= 1
        assert client.post("/v1/triage", json={"case_id": "pg-2", "content": LETTER + "又坏了"}).status_code == 200
        assert client.get("/v1/cases/pg-1").status_code == 200
