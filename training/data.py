"""Read a labelled file (CSV or JSONL) with any column names and any label set."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from service.errors import ModelError, TriageError
from service.textfiles import read_office_text

MIN_PER_LABEL = 5  # calibration splits each label five ways


@dataclass(frozen=True)
class Columns:
    text: str = "text"
    title: str | None = "title"
    label: str = "label"
    subcategory: str | None = "subcategory"
    type: str | None = "type"
    form: str | None = "form"  # board | hotline | letter | visit: lets training hold a form out


@dataclass(frozen=True)
class Texts:
    """Texts without labels: an office's own history, for `triage train --unlabeled`."""

    titles: list[str]
    texts: list[str]


def read_unlabeled(path: Path, columns: Columns = Columns()) -> Texts:
    """The non-empty texts of a file or directory (any label column is ignored)."""
    rows = read_rows(path)
    present = set().union(*(row.keys() for row in rows)) if rows else set()
    if columns.text not in present:
        raise ModelError(f"{path}: no '{columns.text}' column for the text; columns are: {', '.join(sorted(present))}")
    kept = [row for row in rows if str(row.get(columns.text) or "").strip()]
    if not kept:
        raise ModelError(f"{path}: no row has text in '{columns.text}'")
    title = columns.title if columns.title in present else None
    return Texts([str(row.get(title) or "").strip() if title else "" for row in kept],
                 [str(row[columns.text]).strip() for row in kept])


@dataclass(frozen=True)
class LabelledData:
    titles: list[str]
    texts: list[str]
    labels: list[str]
    subcategories: list[str] | None
    types: list[str] | None
    sha256: str
    skipped: int = 0  # rows without text or label
    forms: list[str] | None = None

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))


def _office_text(path: Path) -> str:
    try:
        return read_office_text(path)
    except TriageError as exc:
        raise ModelError(str(exc)) from exc


def _rows(path: Path) -> list[dict]:
    if path.suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(_office_text(path).splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ModelError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
        return rows
    if path.suffix.lower() in (".csv", ".tsv"):
        text = _office_text(path)
        return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    raise ModelError(f"{path}: unsupported file type; use .csv, .tsv or .jsonl")


def read_rows(path: Path) -> list[dict]:
    """The rows of a file, or of a directory's .jsonl/.csv/.tsv files in name order."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such file or directory")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".jsonl", ".csv", ".tsv")) if path.is_dir() else [path]
    return [row for file in files for row in _rows(file)]


def corrected_rows(store) -> list[dict]:
    """Cases a handler re-labelled (`POST /v1/cases/{id}/feedback`), as training rows with the corrected label."""
    return [{"title": case.title or "", "text": case.content, "label": feedback.category,
             "subcategory": feedback.subcategory or "", "type": feedback.type or ""} for case, feedback in store.corrected()]


def read_labelled(path: Path, columns: Columns = Columns(), *, require_labels: int = 2) -> LabelledData:
    """Rows with non-empty text and label; a clear error for anything unusable.

    `path` is a file, or a directory whose .jsonl/.csv/.tsv files are read in name order.
    """
    return labelled(read_rows(path), Path(path), columns, require_labels=require_labels)


def labelled(rows: list[dict], path: Path | str, columns: Columns = Columns(), *, require_labels: int = 2) -> LabelledData:
    """LabelledData from rows already read; `path` names their source in error messages."""
    if not rows:
        raise ModelError(f"{path}: the file has no rows")
    present = set().union(*(row.keys() for row in rows))
    for role, name in (("text", columns.text), ("label", columns.label)):
        if name not in present:
            raise ModelError(f"{path}: no '{name}' column for the {role}; columns are: {', '.join(sorted(present))}"
                             f"; choose one with --{role}-column")
    title_col = columns.title if columns.title in present else None
    sub_col = columns.subcategory if columns.subcategory in present else None
    type_col = columns.type if columns.type in present and sub_col else None
    form_col = columns.form if columns.form in present else None
    titles, texts, labels, subs, types, forms = [], [], [], [], [], []
    empty = 0
    for row in rows:
        text = str(row.get(columns.text) or "").strip()
        label = str(row.get(columns.label) or "").strip()
        if not text or not label:
            empty += 1
            continue
        titles.append(str(row.get(title_col) or "").strip() if title_col else "")
        texts.append(text)
        labels.append(label)
        subs.append(str(row.get(sub_col) or "").strip() if sub_col else "")
        types.append(str(row.get(type_col) or "").strip() if type_col else "")
        forms.append(str(row.get(form_col) or "").strip() if form_col else "")
    if not texts:
        raise ModelError(f"{path}: all {len(rows)} rows have an empty '{columns.text}' or '{columns.label}'")
    counts = Counter(labels)
    if len(counts) < require_labels:
        raise ModelError(f"{path}: only one label ({next(iter(counts))!r}); a classifier needs at least two")
    if require_labels > 1:
        rare = {k: v for k, v in counts.items() if v < MIN_PER_LABEL}
        if rare:
            listed = ", ".join(f"{k!r} ({v})" for k, v in sorted(rare.items()))
            raise ModelError(f"{path}: labels with fewer than {MIN_PER_LABEL} examples: {listed}; add examples or merge them")
    digest = hashlib.sha256(json.dumps([titles, texts, labels, subs, types], ensure_ascii=False).encode()).hexdigest()
    return LabelledData(titles, texts, labels, subs if sub_col and any(subs) else None,
                        types if type_col and any(types) else None, digest, empty, forms if any(forms) else None)
