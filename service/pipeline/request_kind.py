"""What the writer asks for (诉求类型): 咨询, 建议, 投诉, 求助, 举报 or 表扬, from the words they open with.

A message states its kind in its subject line or its first sentence (「咨询公积金贷款政策」,
「我想举报……」, 「建议在……增设」). Further down the same words mean something else: a
complaint ends 「请问这合理吗？」 or 「建议有关部门尽快处理」, and neither makes it a question or a
suggestion. So a cue counts only in the opening (the title and the first characters of the
body, after the greeting), except the cues a kind lists under `anywhere` (「我要实名举报」 is
a report wherever it stands). Without a cue the kind is the lexicon's default (投诉: most
petitions are complaints). The kinds, their cues and the default live in
`rules/lexicons/signals.yaml` under `request_kinds`; the rules route and set deadlines by kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service.pipeline.signals import Evidence, Negation, Signal

# 尊敬的领导：您好！ / X书记您好， / 各位领导好： — skipped before the opening is measured.
GREETING = re.compile(r"^\s*(?:(?:尊敬的|敬爱的|亲爱的)?[^，,。！!：:\n]{0,12}?(?:领导|书记|市长|县长|区长|镇长|局长|主任|同志|工作人员|信访局|信访办)"
                      r"[^，,。！!：:\n]{0,4}[，,：:！!\s]*(?:您好|你们好|好)?[，,。！!：:\s]*)")


@dataclass(frozen=True)
class RequestKind:
    kind: str
    evidence: Evidence | None  # None: no cue, the default kind


class RequestKinds:
    def __init__(self, spec: dict[str, Any], negation: Negation):
        self.default: str = spec["default"]
        self.opening_chars: int = spec["opening_chars"]
        self.kinds: tuple[str, ...] = tuple(spec["kinds"])
        self._opening = {kind: Signal(kind, {"terms": body.get("terms", []), "patterns": body.get("patterns", [])}, negation,
                                      body.get("exclude_after", []))
                         for kind, body in spec["kinds"].items()}
        self._anywhere = {kind: Signal(kind, {"terms": body["anywhere"]}, negation)
                          for kind, body in spec["kinds"].items() if body.get("anywhere")}

    def read(self, title: str, body: str) -> RequestKind:
        """The kind whose cue comes first in the opening; else one stated anywhere; else the default.

        Two cues at the same place: the kind listed first wins (举报 before 投诉 in 「投诉举报」).
        """
        greeting = GREETING.match(body)
        text = f"{title}。{body}" if title else body
        opening = text[: len(text) - len(body) + (greeting.end() if greeting else 0) + self.opening_chars]
        found = [(evidence.start, order, kind, evidence) for order, (kind, signal) in enumerate(self._opening.items())
                 for evidence in signal.find_all(opening)[:1]]
        if not found:
            found = [(evidence.start, order, kind, evidence) for order, (kind, signal) in enumerate(self._anywhere.items())
                     for evidence in signal.find_all(text)[:1]]
        if not found:
            return RequestKind(self.default, None)
        _, _, kind, evidence = min(found, key=lambda item: item[:2])
        return RequestKind(kind, evidence)
