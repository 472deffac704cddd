"""The `triage` command as an operator uses it."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from service.cli import app
from service.pipeline.calendar import deadline
from tests.conftest import MODEL, RULES

runner = CliRunner()


def test_batch_skips_bad_lines_with_their_number_and_keeps_going(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            [
                json.dumps({"case_id": "C-1", "content": "小区电梯坏了三个月没人修，业主们多次反映。"}, ensure_ascii=False),
                "{not json",
                json.dumps({"case_id": "C-3", "content": "", "channel": "letter"}),
                json.dumps({"case_id": "C-4", "content": "老板拖欠我们十几个人的工资，再不给就去市政府。"}, ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "decisions.jsonl"
    result = runner.invoke(
        app,
        ["batch", "--input", str(cases), "--output", str(out), "--data-dir", str(tmp_path / "data"),
         "--model-dir", str(MODEL), "--rules-dir", str(RULES)],
    )
    assert result.exit_code == 0, result.output
    assert f"{cases}:2: skipped" in result.output
    assert f"{cases}:3: skipped: content:" in result.output
    assert "2 cases decided, 2 bad lines skipped" in result.output
    decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["case_id"] for d in decisions] == ["C-1", "C-4"]
    assert "skip_level" in {f["code"] for f in decisions[1]["risk"]["flags"]}


def test_explain_prints_the_decision_and_the_facts():
    result = runner.invoke(app, ["explain", "我们二十多人准备去北京上访", "--model-dir", str(MODEL), "--rules-dir", str(RULES)])
    assert result.exit_code == 0, result.output
    assert '"code": "collective"' in result.output
    assert "headcount = 20" in result.output and "target_evidence = '去北京'" in result.output


def test_explain_reports_a_broken_rules_directory(tmp_path):
    (tmp_path / "rulebook.yaml").write_text("stages: [x]\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", "测试", "--model-dir", str(MODEL), "--rules-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'rulebook.yaml'}:1" in result.output


def test_train_refuses_a_file_with_one_label(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("text,label\n" + "\n".join(f"投诉内容{i},城乡建设" for i in range(10)), encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "only one label" in result.output


def test_train_names_a_missing_column(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("content,label\n投诉,城乡建设\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "no 'text' column" in result.output and "--text-column" in result.output


def test_deadlines_move_off_public_holidays():
    assert deadline(dt.date(2026, 9, 20), 15) == dt.date(2026, 10, 8)  # 10-05 falls in the 国庆 holiday (10-01…10-07)
    assert deadline(dt.date(2026, 11, 2), 15) == dt.date(2026, 11, 17)  # an ordinary Tuesday
    assert deadline(dt.date(2027, 6, 1), 5) == dt.date(2027, 6, 7)  # unpublished year: weekend only
