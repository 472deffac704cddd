"""`triage train` and `triage evaluate` on an office's own data: its columns, its labels, its encoding."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from matplotlib.ft2font import FT2Font
from typer.testing import CliRunner

from service.api.main import create_app
from service.cli import app
from service.config import PROJECT_ROOT, Settings
from service.pipeline.classifier import Classifier, model_inputs
from service.pipeline.tokenize import read_word_list
from training.data import Columns, read_labelled
from training.features import build_features, set_block_weights
from training.plots import CJK_FONT
from training.selection import CANDIDATES, Protocol, block_weights, weighted
from training.train import DOMAIN_DICTIONARY, choose_threshold

runner = CliRunner()
CORPUS = PROJECT_ROOT / "training" / "corpus"
# An office that files by its own short names, exports 留言主题/留言详情/一级标签 columns, in GBK.
OFFICE_LABELS = {"交通运输": "交通", "教育文体": "教育", "环境保护": "环保"}
PER_LABEL = 40


def office_rows(offset: int = 0) -> list[dict[str, str]]:
    rows = []
    for category, office_label in OFFICE_LABELS.items():
        lines = (CORPUS / f"{category}.jsonl").read_text(encoding="utf-8").splitlines()
        for line in lines[offset : offset + PER_LABEL]:
            row = json.loads(line)
            rows.append({"留言主题": row["title"], "留言详情": row["text"], "一级标签": office_label})
    return rows


def write_gbk_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return path


OFFICE_COLUMNS = ["--text-column", "留言详情", "--title-column", "留言主题", "--label-column", "一级标签"]


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("office")
    train_file = write_gbk_csv(root / "train.csv", office_rows())
    test_file = write_gbk_csv(root / "test.csv", office_rows(offset=PER_LABEL))
    model = root / "model"
    result = runner.invoke(app, ["train", "--data", str(train_file), "--out", str(model), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    return {"train": train_file, "test": test_file, "model": model, "root": root}


def test_train_learns_the_office_labels_and_writes_a_model_card(office):
    card = json.loads((office["model"] / "model_card.json").read_text(encoding="utf-8"))
    assert card["data"]["label_counts"] == {"交通": PER_LABEL, "教育": PER_LABEL, "环保": PER_LABEL}
    assert len(card["data"]["sha256"]) == 64 and card["libraries"]["scikit-learn"]
    assert {row["name"] for row in card["selection"]} >= {"svm", "svm-chars", "complement-nb", "sgd-huber", "ensemble"}
    assert card["selected_on"] == "5-fold cross-validation"  # the office's file says nothing of forms
    assert card["model"].startswith(next(r["model"] for r in card["selection"] if r["name"] == card["selection"][0]["name"]))
    assert 0 < card["review"]["threshold"] <= 1 and card["review"]["auto_error"] <= 0.05
    assert "Model selection" in (office["model"] / "MODEL_CARD.md").read_text(encoding="utf-8")
    # The flags' sentence classifiers come from the bundled sentences, whatever the office's labels.
    assert set(card["flag_context"]["flags"]) == {"collective", "organized", "repeat", "extreme", "skip_level", "vulnerable"}
    assert "## Flag context" in (office["model"] / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert Classifier.load(office["model"]).flag_context.flags == tuple(sorted(card["flag_context"]["flags"]))
    assert Classifier.load(office["model"]).labels == ["交通", "教育", "环保"]


def test_training_is_deterministic(office, tmp_path):
    again = tmp_path / "again"
    result = runner.invoke(app, ["train", "--data", str(office["train"]), "--out", str(again), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    first, second = Classifier.load(office["model"]), Classifier.load(again)
    texts = ["公交车司机开车打电话，太危险了", "学校强制订购教辅资料", "工厂夜里偷排废水，河里鱼都死了"]
    assert first.version.rsplit("-", 1)[1] == second.version.rsplit("-", 1)[1]  # named after the directory, hashed by data
    assert [p.top for p in first.predict([""] * 3, texts)] == [p.top for p in second.predict([""] * 3, texts)]


def test_evaluate_prints_the_report_on_held_out_rows(office):
    result = runner.invoke(app, ["evaluate", "--model", str(office["model"]), "--data", str(office["test"]), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["documents"] == 3 * PER_LABEL
    assert set(report["per_label"]) == {"交通", "教育", "环保"}
    assert all(set(v) == {"precision", "recall", "f1", "support"} for v in report["per_label"].values())
    matrix = np.array(report["confusion_matrix"]["matrix"])
    assert matrix.sum() == 3 * PER_LABEL
    assert report["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
    assert report["macro_f1"] == pytest.approx(np.mean([v["f1"] for v in report["per_label"].values()]), abs=1e-3)
    assert report["accuracy"] > 0.8  # three well-separated topics, 40 examples each


def test_evaluate_scores_a_richer_model_only_on_the_labels_the_data_has(tmp_path):
    rows = [json.loads(line) for line in (CORPUS / "环境保护.jsonl").read_text(encoding="utf-8").splitlines()[:30]]
    data = tmp_path / "env.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", str(PROJECT_ROOT / "models" / "default"), "--data", str(data)])
    report = json.loads(result.stdout)
    assert list(report["per_label"]) == ["环境保护"]
    assert report["predicted_outside_data_labels"] == int(30 - np.array(report["confusion_matrix"]["matrix"]).trace())


def test_evaluate_plot_has_glyphs_for_every_label(office, tmp_path):
    png = tmp_path / "report.png"
    result = runner.invoke(app, ["evaluate", "--model", str(office["model"]), "--data", str(office["test"]),
                                 "--plot", str(png), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    font = FT2Font(str(CJK_FONT))
    assert all(font.get_char_index(ord(ch)) for ch in "交通教育环保混淆矩阵可靠性曲线预测类别真实置信度准确率")


def test_switching_the_served_model_changes_the_taxonomy(office, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", model_dir=office["model"], rules_dir=PROJECT_ROOT / "rules")
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/taxonomy").json()["labels"] == ["交通", "教育", "环保"]
        decided = client.post("/v1/triage", json={"case_id": "office-1", "content": "小区门口公交站被取消了，老人出行很不方便"})
        assert decided.status_code == 200 and decided.json()["category"]["label"] == "交通"


def test_train_rejects_a_file_whose_texts_are_all_empty(tmp_path):
    data = write_gbk_csv(tmp_path / "empty.csv", [{"留言详情": " ", "一级标签": "交通"}] * 10)
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"), *OFFICE_COLUMNS])
    assert result.exit_code == 1 and "empty '留言详情'" in result.output


def test_threshold_keeps_auto_routed_errors_at_five_percent():
    confidence = np.linspace(1.0, 0.01, 100)
    correct = np.ones(100, dtype=bool)
    correct[[10, 30, 50, 60, 70, 80, 90]] = False  # errors grow denser as confidence falls
    threshold = choose_threshold(confidence, correct)
    kept = confidence >= threshold
    assert 1 - correct[kept].mean() <= 0.05 + 1e-9
    assert not (1 - correct[confidence >= confidence[~kept].max()].mean() <= 0.05)  # one step lower breaks the bar


def test_reweighted_features_match_the_matrix_candidates_were_compared_on(office):
    data = read_labelled(office["train"], Columns("留言详情", "留言主题", "一级标签", None))
    inputs = model_inputs(data.titles, data.texts)
    features = build_features(read_word_list(DOMAIN_DICTIONARY)).fit(inputs)
    blocks = {name: transformer.transform(inputs[:, column]) for name, transformer, column in features.transformers_}
    for candidate in CANDIDATES:
        served = set_block_weights(features, block_weights(candidate)).transform(inputs)
        assert abs(served - weighted(blocks, candidate)).max() < 1e-6


def formed_rows(per_form: int = 12) -> list[dict]:
    """Rows of three categories with their forms, as the bundled corpus has them."""
    rows = []
    for category in OFFICE_LABELS:
        lines = [json.loads(line) for line in (CORPUS / f"{category}.jsonl").read_text(encoding="utf-8").splitlines()]
        for form in ("board", "hotline", "letter", "visit"):
            rows += [row for row in lines if row["form"] == form][: per_form * (3 if form == "board" else 1)]
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_with_forms_the_model_is_chosen_and_calibrated_on_the_held_out_board_posts(tmp_path):
    rows = formed_rows()
    data = write_jsonl(tmp_path / "formed.jsonl", rows)
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["selected_on"] == "held-out form 'board'"
    assert card["evaluation"]["documents"] == sum(row["form"] == "board" for row in rows)
    assert 0 <= card["evaluation"]["expected_calibration_error"] <= 1
    assert card["selection"] == sorted(card["selection"], key=lambda r: (-r["macro_f1"], -r["accuracy"]))


def test_unlabeled_history_adapts_the_vocabulary_and_reports_what_self_training_gained(tmp_path):
    rows = formed_rows()
    board = [row for row in rows if row["form"] == "board"]
    labelled = write_jsonl(tmp_path / "labelled.jsonl", [row for row in rows if row not in board[::2]])
    history = write_jsonl(tmp_path / "history.jsonl", [{"title": row["title"], "text": row["text"]} for row in board[::2]])
    result = runner.invoke(app, ["train", "--data", str(labelled), "--out", str(tmp_path / "m"), "--unlabeled", str(history)])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["data"]["unlabeled_documents"] == len(board[::2])
    tried = card["self_training"]
    assert tried["unlabeled"] == len(board[::2]) and 0 <= tried["pseudo_labelled"] <= tried["unlabeled"]
    assert tried["kept"] == (tried["macro_f1_gain"] > 0)
    assert "unlabeled documents" in (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_without_a_held_out_form_self_training_is_not_tried(office, tmp_path):
    history = write_jsonl(tmp_path / "history.jsonl", [{"留言详情": row["留言详情"]} for row in office_rows(offset=PER_LABEL)])
    result = runner.invoke(app, ["train", "--data", str(office["train"]), "--out", str(tmp_path / "m"),
                                 "--unlabeled", str(history), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["self_training"]["kept"] is False and "no held-out form" in card["self_training"]["why"]
    assert card["data"]["unlabeled_documents"] == 3 * PER_LABEL


def test_a_label_missing_from_the_other_forms_falls_back_to_cross_validation():
    labels = np.array(["甲"] * 60 + ["乙"] * 60 + ["丙"] * 60)
    forms = ["board"] * 30 + ["letter"] * 30 + ["board"] * 30 + ["letter"] * 30 + ["board"] * 60
    assert Protocol.choose(labels, forms, "board").train_rows is None
    forms[-1] = "letter"
    assert Protocol.choose(labels, forms, "board").train_rows is not None


def test_an_office_with_two_labels_trains_and_serves(tmp_path):
    """A binary linear model scores one column; calibration at training and at serving must read the same two."""
    rows = [row for row in office_rows() if row["一级标签"] != "环保"]
    data = write_gbk_csv(tmp_path / "two.csv", rows)
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"), *OFFICE_COLUMNS])
    assert result.exit_code == 0, result.output
    predicted = Classifier.load(tmp_path / "m").predict([""], ["学校强制学生订购教辅资料，每人收费两百元"])[0]
    assert predicted.label == "教育" and abs(sum(p for _, p in predicted.top) - 1) < 1e-6
