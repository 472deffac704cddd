"""Every error the service raises on purpose derives from TriageError.

User mistakes (a bad rule file, a bad training file) carry a list of located
problems so the CLI and the API can report all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass


class TriageError(Exception):
    """Base of all errors the service raises deliberately."""


@dataclass(frozen=True)
class Problem:
    """One located user error: `file:line:col: message`."""

    file: str
    line: int
    message: str
    col: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.col}" if self.col else "")
        return f"{where}: {self.message}"


class RulebookError(TriageError):
    """The rule files are invalid; nothing of them reached the engine."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the rules:\n" + "\n".join(map(str, problems)))


class EngineError(TriageError):
    """The rules engine failed while evaluating a case."""


class ModelError(TriageError):
    """A model artifact is missing, incompatible, or a training file is unusable."""


class CaseConflict(TriageError):
    """A case_id already stored with a different request: the new petition was not stored."""

    def __init__(self, stored_hash: str, sent_hash: str):
        self.stored_hash, self.sent_hash = stored_hash, sent_hash
        super().__init__("this case_id is already stored with a different request; nothing was stored")
