"""Deadlines skip the official holidays, from the library or from the rules' own schedules, and say when they cannot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.cli import app
from service.config import Settings
from service.pipeline.calendar import Workdays
from service.rulebook.loader import load_rulebook
from tests.conftest import MODEL

LETTER = "尊敬的领导：我是K8县城关镇居民，小区门口的路灯坏了一个多月，晚上老人孩子出门很危险，多次打电话没人管，请尽快派人修理。"

# A schedule for a year no library knows, written for this test only (the shape of a State Council notice).
SCHEDULE_2031 = """
holidays:
  - year: 2031
    source: 测试用安排（非真实通知）
    rest:
      - {name: 劳动节, from: 2031-05-01, to: 2031-05-05}
    work: [2031-05-10]
"""


def with_schedule(rules: Path, schedule: str) -> Path:
    calendar = rules / "calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8").replace("holidays: []\n", schedule.lstrip("\n")),
                        encoding="utf-8")
    return rules


def test_deadlines_move_off_the_library_holidays():
    workdays = Workdays([])
    assert workdays.deadline(dt.date(2026, 9, 20), 15) == dt.date(2026, 10, 8)  # 10-05 falls in 国庆 (10-01…10-08)
    assert workdays.deadline(dt.date(2026, 11, 2), 15) == dt.date(2026, 11, 17)  # an ordinary Tuesday
    assert workdays.deadline(dt.date(2031, 6, 1), 5) == dt.date(2031, 6, 6)  # unknown year: a Friday stays


def test_a_schedule_in_the_rules_moves_deadlines_and_counts_make_up_days(rules_copy):
    workdays = load_rulebook(with_schedule(rules_copy, SCHEDULE_2031)).workdays
    assert workdays.deadline(dt.date(2031, 4, 16), 15) == dt.date(2031, 5, 6)  # 05-01 is a rest day now
    assert workdays.is_workday(dt.date(2031, 5, 10))  # a Saturday made a workday (调休)
    assert not workdays.is_workday(dt.date(2031, 5, 11))  # an ordinary Sunday of a scheduled year
    assert workdays.missing_years([2030, 2031]) == [2030]


def test_a_decision_warns_when_its_deadline_year_has_no_schedule(client):
    unknown = client.post("/v1/triage", json={"content": LETTER, "received_at": "2031-06-02T10:00:00"}).json()
    assert any("2031" in warning and "holidays" in warning for warning in unknown["warnings"])
    known = client.post("/v1/triage", json={"content": LETTER, "received_at": "2026-06-02T10:00:00"}).json()
    assert known["warnings"] == []


def test_a_decision_reaching_into_an_unscheduled_year_warns_too(client):
    """A December case's 60-day deadline lands in January: the warning is about that year."""
    late = client.post("/v1/triage", json={"content": LETTER, "received_at": "2030-12-28T10:00:00"}).json()
    years = [year for year in (2030, 2031) if not _library_knows(year)]
    assert all(str(year) in late["warnings"][0] for year in years) and late["warnings"]


def test_an_entered_schedule_silences_the_warning(rules_copy, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=with_schedule(rules_copy, SCHEDULE_2031))
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/triage", json={"content": LETTER, "received_at": "2031-04-16T10:00:00"}).json()
    assert answer["warnings"] == []
    assert answer["routing"]["accept_by"] == "2031-05-06"  # 15 days: 05-01, a Thursday, is a rest day there


def test_healthz_warns_about_this_and_next_year_the_library_does_not_know(client):
    today = dt.date.today()
    missing = [year for year in (today.year, today.year + 1) if not _library_knows(year)]
    warnings = client.get("/healthz").json()["warnings"]
    assert client.get("/healthz").json()["status"] == "ok"
    assert bool(warnings) == bool(missing) and all(str(year) in warnings[0] for year in missing)


def test_rules_check_warns_but_passes(rules_copy):
    result = CliRunner().invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 0
    today = dt.date.today()
    if not all(_library_knows(year) for year in (today.year, today.year + 1)):
        assert "warning: no official holiday schedule" in result.output


@pytest.mark.parametrize(("schedule", "line", "message"), [
    ("  - {year: 2031, source: x, rest: [{name: a, from: 2031-05-05, to: 2031-05-01}]}\n", 0, "'to' is before 'from'"),
    ("  - {year: 2031, source: x, rest: [{name: a, from: 2033-05-01, to: 2033-05-02}]}\n", 0, "lies outside 2031"),
    ("  - {year: 2031, source: x, rest: [], work: [2031-02-30]}\n", 0, "YYYY-MM-DD"),
    ("  - {year: 2031, source: x, rest: []}\n  - {year: 2031, source: y, rest: []}\n", 1, "2031 is listed twice"),
    ("  - {year: 2031, rest: []}\n", 0, "'source' is a required property"),
])
def test_schedule_mistakes_are_located(rules_copy, schedule, line, message):
    calendar = with_schedule(rules_copy, "holidays:\n" + schedule) / "calendar.yaml"
    expected_line = calendar.read_text(encoding="utf-8").splitlines().index("holidays:") + 2 + line
    with pytest.raises(Exception) as info:
        load_rulebook(rules_copy)
    problems = [str(p) for p in info.value.problems]
    assert any(f"calendar.yaml:{expected_line}" in p and message in p for p in problems), problems


def _library_knows(year: int) -> bool:
    """Whether the pinned chinese-calendar publishes `year`: its holiday table reaches it."""
    return year <= max(day.year for day in chinese_calendar.holidays)
