"""The evaluation figure: confusion matrix and reliability curve, with Chinese labels.

Labels are Chinese, and a machine's system fonts rarely cover them, so the figure
uses the Noto Sans CJK SC font shipped inside the `mplfonts` package (a
dependency), registered with matplotlib by file path.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

CJK_FONT = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"


def cjk_font_family() -> str:
    """Register the bundled CJK font with matplotlib and return its family name."""
    path = str(CJK_FONT)
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def plot_evaluation(report: dict[str, Any], out: Path) -> Path:
    """Write the confusion matrix (row-normalised, with counts) and the reliability curve to a PNG."""
    matrix = np.array(report["confusion_matrix"]["matrix"], dtype=float)
    labels = report["confusion_matrix"]["labels"]
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(6.0, 0.55 * len(labels) + 2)
    with plt.rc_context({"font.family": cjk_font_family(), "axes.unicode_minus": False}):
        figure, (left, right) = plt.subplots(1, 2, figsize=(size + 6, size), gridspec_kw={"width_ratios": [size, 6]})
        left.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        left.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
        left.set_yticks(range(len(labels)), labels)
        left.set_xlabel("预测类别 (predicted)")
        left.set_ylabel("真实类别 (true)")
        left.set_title(f"混淆矩阵 accuracy {report['accuracy']:.3f} · macro-F1 {report['macro_f1']:.3f}")
        for (row, column), count in np.ndenumerate(matrix):
            if count:
                left.text(column, row, int(count), ha="center", va="center", fontsize=7,
                          color="white" if shares[row, column] > 0.5 else "black")

        bins = report["calibration"]["bins"]
        right.plot([0, 1], [0, 1], linestyle="--", color="grey", label="完美校准 (perfect)")
        right.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label="模型 (model)")
        right.axvline(report["review"]["threshold"], color="tab:red", linestyle=":", label="人工复核阈值 (review threshold)")
        right.set_xlim(0, 1)
        right.set_ylim(0, 1)
        right.set_xlabel("置信度 (confidence)")
        right.set_ylabel("准确率 (accuracy)")
        ece = report["calibration"]["expected_calibration_error"]
        right.set_title(f"可靠性曲线 ECE {ece:.3f}")
        right.legend(loc="upper left")
        figure.tight_layout()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=110, bbox_inches="tight")
        plt.close(figure)
    return out
