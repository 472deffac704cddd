"""Every timestamp leaves the API with its offset, and time filters mean the instant they name, on both backends."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.config import Settings
from tests.conftest import MODEL, RULES

OFFSET = re.compile(r"(?:[+-]\d\d:\d\d|Z)$")


@pytest.fixture
def served(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES)
    with TestClient(create_app(settings)) as client:
        # 09:00 in Shanghai is 01:00 UTC: the case a client reading local time expects at 09:00.
        client.post("/v1/triage", json={"case_id": "t-1", "content": "村里的路灯坏了一个月没人修。",
                                        "received_at": "2026-06-01T01:00:00Z"})
        client.post("/v1/triage", json={"case_id": "t-2", "content": "小区垃圾三天没人清运。",
                                        "received_at": "2026-06-01T12:00:00"})  # no offset: Shanghai
        yield client


def test_a_stored_case_comes_back_in_shanghai_time_with_its_offset(served):
    """On SQLite it came back as naive UTC: 8 hours off for a client that reads it as Shanghai time."""
    case = served.get("/v1/cases/t-1").json()
    assert case["received_at"] == "2026-06-01T09:00:00+08:00"
    assert case["decision"]["received_at"] == "2026-06-01T09:00:00+08:00"
    assert served.get("/v1/cases/t-2").json()["received_at"] == "2026-06-01T12:00:00+08:00"


@pytest.mark.parametrize(("since", "until", "expected"), [
    ("2026-06-01T01:30:00Z", None, ["t-2"]),
    ("2026-06-01T08:59:59+08:00", None, ["t-2", "t-1"]),
    ("2026-06-01T09:00:01", None, ["t-2"]),  # naive: Shanghai, like received_at
    (None, "2026-06-01T04:00:00Z", ["t-1"]),  # 04:00 UTC is t-2's 12:00 Shanghai, and `until` is exclusive
    (None, "2026-06-01T04:00:01Z", ["t-2", "t-1"]),
])
def test_since_and_until_mean_the_instant_they_name(served, since, until, expected):
    params = {k: v for k, v in {"since": since, "until": until}.items() if v}
    found = [c["case_id"] for c in served.get("/v1/cases", params=params).json()["cases"]]
    assert found == expected


def test_every_timestamp_of_every_endpoint_has_an_offset(served):
    served.post("/v1/cases/t-1/feedback", json={"by": "handler-7", "category": "城乡建设"})
    bodies = [served.get("/v1/cases/t-1").json(), served.get("/v1/cases").json(), served.get("/v1/rules").json(),
              served.post("/v1/cases/t-2/feedback", json={"by": "handler-7", "category": "城乡建设"}).json(),
              served.post("/v1/triage", json={"content": "噪音扰民，晚上施工到两点。"}).json()]
    stamps = []

    def collect(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
            stamps.append((key, value))

    for body in bodies:
        collect(body)
    assert {key for key, _ in stamps} >= {"received_at", "loaded_at", "created_at"}
    assert all(OFFSET.search(value) and value.endswith("+08:00") for _, value in stamps), stamps
    assert all(dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(hours=8) for _, value in stamps)
