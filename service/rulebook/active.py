"""The active rule set, and swapping in a new one without risk.

A reload validates the candidate directory, then hands it to a child process
(`service.rulebook.isolated`) that registers it with its own engine and runs
the rule tests and sample cases under a timeout: a rule that hangs or crashes
durable-rules kills the child, not the service. Only then is the candidate
registered here and swapped in, as one reference assignment. A case holds a
lease on the rules it started with, so in-flight cases finish on the old rules;
the old rulesets are unregistered when their last lease ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from service.engine.durable_adapter import DurableEngine
from service.rulebook.loader import load_rulebook
from service.rulebook.runner import RuleRunner

Pretest = Callable[[Path], None]  # raises TriageError when the candidate must not be activated


@dataclass(frozen=True)
class RuleFile:
    path: str
    sha256: str


@dataclass(frozen=True)
class ActiveRuleSet:
    runner: RuleRunner
    directory: Path
    loaded_at: dt.datetime
    loaded_by: str
    files: tuple[RuleFile, ...]

    @property
    def version(self) -> str:
        return self.runner.rulebook.version


def _files(directory: Path, names: tuple[str, ...]) -> tuple[RuleFile, ...]:
    return tuple(RuleFile(name, hashlib.sha256((directory / name).read_bytes()).hexdigest()) for name in names)


class ActiveRules:
    def __init__(self, directory: Path, engine: DurableEngine, *, pretest: Pretest | None = None, loaded_by: str = "startup"):
        self._engine = engine
        self._pretest = pretest
        self._lock = threading.Lock()  # guards the swap and the lease counts
        self._reload_lock = threading.Lock()  # one reload at a time
        self._leases: dict[str, int] = {}
        self._retired: dict[str, RuleRunner] = {}
        self._active = self._load(Path(directory), loaded_by)

    @property
    def current(self) -> ActiveRuleSet:
        return self._active

    def _load(self, directory: Path, loaded_by: str) -> ActiveRuleSet:
        book = load_rulebook(directory)
        return ActiveRuleSet(RuleRunner(book, self._engine), directory, dt.datetime.now(dt.UTC), loaded_by,
                             _files(directory, book.files))

    @contextmanager
    def lease(self) -> Iterator[RuleRunner]:
        """The active rules, kept registered until the caller is done with them."""
        with self._lock:
            active = self._active
            self._leases[active.version] = self._leases.get(active.version, 0) + 1
        try:
            yield active.runner
        finally:
            with self._lock:
                self._leases[active.version] -= 1
                self._free_unused()

    def reload(self, directory: Path | None = None, *, by: str) -> ActiveRuleSet:
        """Validate, pre-test in a child process, then activate; on any error the current rules stay."""
        directory = Path(directory or self._active.directory)
        with self._reload_lock:
            load_rulebook(directory)  # fail fast, with file:line problems, before starting a process
            if self._pretest is not None:
                self._pretest(directory)
            candidate = self._load(directory, by)
            with self._lock:
                previous, self._active = self._active, candidate
                if previous.version != candidate.version:
                    self._retired[previous.version] = previous.runner
                self._free_unused()
            return candidate

    def _free_unused(self) -> None:
        """Unregister retired versions no case is using (caller holds the lock)."""
        for version in list(self._retired):
            if version == self._active.version:
                del self._retired[version]  # reactivated: its rulesets are in use again
            elif not self._leases.get(version):
                self._retired.pop(version).unregister()
                self._leases.pop(version, None)
