"""Flag benchmark: precision and recall of each risk flag on labelled posts, notes and letters.

`training/flag_benchmark/` holds, in two files written at different times, realistic message-board posts, 12345 hotline notes,
letters and visit records, each labelled with the flags a petition-office clerk would give it:
positives for every flag, and look-alike negatives that carry a flag's trigger words or numbers
without carrying the flag (万家丽路 is a road, 「全体业主」 in one owner's complaint, 被打 is what
others did, 去北京打工). Each post runs through the service's own decision path (classifier, text
facts, the rule set) with no case history, and the flag codes of the decision are compared with
the labels. Only the text flags are scored: sensitive_period depends on the date and long_term
on history, so both are left out.

The set is kept out of training and tuning on purpose: no training code may read
`training/flag_benchmark/`, or these numbers stop measuring anything.

    python scripts/bench_flags.py [--data PATH] [--rules DIR] [--model DIR] [--errors] [--json]
    python scripts/bench_flags.py --stream [PATH]

`--stream` measures the other side: on a stream of ordinary posts (by default the message-board
posts of the category corpus, written without regard to flags), the share flagged per flag; the
acceptance bound is collective or organized on at most 5% of a real stream.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.domain import SHANGHAI, Case  # noqa: E402
from service.config import Settings  # noqa: E402
from service.runtime import build_pipeline  # noqa: E402

FLAGS = ("collective", "organized", "extreme", "skip_level", "repeat", "vulnerable")
CHANNEL = {"board": "online", "hotline": "hotline", "letter": "letter", "visit": "visit"}
# An ordinary working day outside every sensitive period, so that runs are comparable.
RECEIVED = dt.datetime(2026, 6, 16, 10, 0, tzinfo=SHANGHAI)


def load(path: Path) -> list[dict]:
    """Posts of a .jsonl file or of a directory's .jsonl files (a corpus row's `text` is its content)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    posts = [json.loads(line) for file in files for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**post, "content": post.get("content") or post.get("text", "")} for post in posts]


def predict(posts: list[dict], rules: Path, model: Path) -> list[dict[str, str]]:
    """Flag code → reason for each post, as the service decides it without history."""
    with tempfile.TemporaryDirectory() as data_dir:
        pipeline = build_pipeline(Settings(data_dir=Path(data_dir), model_dir=model, rules_dir=rules), with_store=False)
        out = []
        for post in posts:
            request = Case(content=post["content"], title=post.get("title") or None,
                                    channel=CHANNEL.get(post.get("form")), received_at=RECEIVED)
            flags = pipeline.explain(request).decision.risk.flags
            out.append({f.code: f"{f.rule}: {f.reason}" for f in flags if f.code in FLAGS})
        return out


def score(posts: list[dict], predicted: list[dict[str, str]]) -> dict:
    per_flag, errors = {}, []
    for code in FLAGS:
        tp = fp = fn = 0
        for post, got in zip(posts, predicted):
            want, have = code in post["flags"], code in got
            tp += want and have
            fp += have and not want
            fn += want and not have
            if want != have:
                errors.append({"id": post["id"], "flag": code, "kind": "FP" if have else "FN",
                               "reason": got.get(code, ""), "note": post.get("note", ""),
                               "text": (post.get("title") or "") + " | " + post["content"][:80].replace("\n", " ")})
        per_flag[code] = {"support": tp + fn, "predicted": tp + fp, "tp": tp, "fp": fp, "fn": fn,
                          "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                          "recall": round(tp / (tp + fn), 3) if tp + fn else None}
    n = len(posts)
    group = sum(1 for got in predicted if "collective" in got or "organized" in got)
    group_true = sum(1 for p in posts if {"collective", "organized"} & set(p["flags"]))
    return {"posts": n, "flags": per_flag, "share_collective_or_organized": round(group / n, 3) if n else None,
            "share_collective_or_organized_labelled": round(group_true / n, 3) if n else None, "errors": errors}


def stream_shares(posts: list[dict], predicted: list[dict[str, str]]) -> dict:
    n = len(posts)
    shares = {code: round(sum(code in got for got in predicted) / n, 4) for code in FLAGS}
    shares["collective_or_organized"] = round(sum(bool({"collective", "organized"} & set(got)) for got in predicted) / n, 4)
    return {"posts": n, "share_flagged": shares}


def _ratio(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.3f}"


def show(report: dict, with_errors: bool) -> None:
    print(f"{report['posts']} posts\n")
    print(f"{'flag':<12} {'support':>7} {'pred':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}")
    for code, m in report["flags"].items():
        print(f"{code:<12} {m['support']:>7} {m['predicted']:>5} {m['tp']:>4} {m['fp']:>4} {m['fn']:>4} "
              f"{_ratio(m['precision'])} {_ratio(m['recall'])}")
    print(f"\nflagged collective or organized: {report['share_collective_or_organized']:.1%} of posts "
          f"(labelled: {report['share_collective_or_organized_labelled']:.1%})")
    if with_errors:
        for e in sorted(report["errors"], key=lambda e: (e["flag"], e["kind"], e["id"])):
            print(f"\n{e['kind']} {e['flag']:<11} {e['id']}  {e['reason'] or '(no flag)'}\n"
                  f"   label: {e['note']}\n   text:  {e['text']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "training" / "flag_benchmark",
                        help="a .jsonl file of labelled posts, or a directory: one report per file")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--errors", action="store_true", help="list false positives and negatives with the reason")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--stream", nargs="?", type=Path, const=ROOT / "training" / "corpus", default=None,
                        help="share of ordinary posts flagged (default: the corpus's message-board posts)")
    args = parser.parse_args()
    if args.stream:
        posts = [p for p in load(args.stream) if p.get("form", "board") == "board"]
        report = stream_shares(posts, predict(posts, args.rules, args.model))
        print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else
              f"{report['posts']} posts\n" + "\n".join(f"{k:<24} {v:6.1%}" for k, v in report["share_flagged"].items()))
        return 0
    files = sorted(args.data.glob("*.jsonl")) if args.data.is_dir() else [args.data]
    reports = {}
    for file in files:
        posts = load(file)
        reports[file.name] = score(posts, predict(posts, args.rules, args.model))
        if not args.errors:
            reports[file.name].pop("errors")
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for name, report in reports.items():
            print(f"== {name}: ", end="")
            show(report, args.errors)
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
