"""The `triage` command as an operator uses it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from service.cli import app
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
    assert "2 cases decided, 2 lines skipped" in result.output
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




def test_batch_reads_gb18030_exports_and_reports_conflicts_by_line(tmp_path):
    """Chinese Windows software exports GBK; a case_id resent with another letter is reported, not dropped silently."""
    cases = tmp_path / "cases.jsonl"
    lines = [{"case_id": "G-1", "content": "小區電梯壞了三個月沒人修，業主們多次反映。"},
             {"case_id": "G-1", "content": "另一封信：村里的路灯坏了。"},
             {"case_id": "G-2", "content": "老板拖欠我们十几个人的工资。"}]
    cases.write_bytes("\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode("gb18030"))
    out = tmp_path / "decisions.jsonl"
    result = runner.invoke(app, ["batch", "-i", str(cases), "-o", str(out), "--data-dir", str(tmp_path / "data"),
                                 "--model-dir", str(MODEL), "--rules-dir", str(RULES)])
    assert result.exit_code == 0, result.output
    assert f"{cases}:2: not decided" in result.output and "2 cases decided, 1 lines skipped" in result.output
    decided = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["case_id"] for d in decided] == ["G-1", "G-2"] and decided[0]["category"]["label"]


def test_batch_names_a_file_in_no_known_encoding(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b'{"content": "\xff\xfe\xfa"}\n')
    result = runner.invoke(app, ["batch", "-i", str(cases), "-o", str(tmp_path / "o.jsonl"), "--data-dir", str(tmp_path / "d"),
                                 "--model-dir", str(MODEL), "--rules-dir", str(RULES)])
    assert result.exit_code == 1 and "not readable as UTF-8 or GB18030" in result.output


def test_serve_refuses_an_open_bind_without_keys(monkeypatch):
    """With no keys every caller has every role: on 0.0.0.0 that is every case to anyone."""
    served = []
    monkeypatch.setattr("uvicorn.run", lambda app, host, port: served.append(host))
    monkeypatch.delenv("TRIAGE_API_KEYS", raising=False)
    common = ["--model-dir", str(MODEL), "--rules-dir", str(RULES)]
    refused = runner.invoke(app, ["serve", "--host", "0.0.0.0", *common])
    assert refused.exit_code == 1 and "TRIAGE_API_KEYS" in refused.output and served == []
    assert runner.invoke(app, ["serve", "--host", "0.0.0.0", "--allow-open", *common]).exit_code == 0
    assert runner.invoke(app, ["serve", "--host", "127.0.0.1", *common]).exit_code == 0
    assert served == ["0.0.0.0", "127.0.0.1"]
