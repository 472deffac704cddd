"""The only module that imports durable-rules; it makes the engine's known
crash and hang paths unreachable (see ../shared/DURABLE_RULES_NOTES.md):

- no timer threads: `_QuietHost._run` does nothing (the default Host's timers
  race with callers and segfaulted under thread stress);
- a unique sid per evaluation and `delete_state` afterwards, always, so the
  1,024-live-sid cap is never reached and no case sees another's state;
- a catch-all rule on the `_case` marker in every ruleset, so every message is
  handled (no MessageNotHandledException) and `delete_state` never runs on a
  sid where no action ran (which segfaults);
- `assert_fact`, not `post`, so every matching rule fires, not only the first;
- actions write nothing into the state (conditions could re-fire on it); they
  append the rule key to a Python-side list;
- a deep copy of every definition (the engine deletes `run` keys from it);
- versioned ruleset names, because a name can be registered only once; a
  replaced version is unregistered (and its C memory freed) once no case is
  using it, so reloading rules again and again does not grow the process;
- one lock around each evaluation (the C core holds the GIL anyway);
- an exception raised in an action, which durable hides in the state, is
  raised again as EngineError.

Facts arrive typed and short (validated by FactSchema; no raw text), which
keeps loose type coercion, the 64 KB regex bug and the property limits away.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Mapping
from typing import Any

import durable_rules_engine
from durable.engine import Host

from service.errors import EngineError

CATCH_ALL_KEY = "_catch_all"
CATCH_ALL_PRIORITY = 65000


class _QuietHost(Host):
    def _run(self) -> None:  # no timer threads
        return None


class DurableEngine:
    """Registers compiled rulesets and evaluates one fact dictionary at a time."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._fired: dict[str, list[str]] = {}
        self._registered: set[str] = set()

    def register(self, name: str, rules: Mapping[str, dict[str, Any]]) -> None:
        """Register a ruleset under a unique (versioned) name."""
        if name in self._registered:
            return
        definition = copy.deepcopy(dict(rules))
        for key, rule in definition.items():
            rule["run"] = self._recorder(key)
        definition[CATCH_ALL_KEY] = {
            "pri": CATCH_ALL_PRIORITY,
            "all": [{"m": {"_case": 1}}],
            "run": self._recorder(CATCH_ALL_KEY),
        }
        with self._lock:
            try:
                self._host.set_rulesets({name: definition})
            except Exception as exc:  # durable raises bare errors with a numeric code only
                raise EngineError(f"the engine refused ruleset '{name}': {exc}") from exc
            self._registered.add(name)

    def unregister(self, name: str) -> None:
        """Drop a ruleset and free its engine memory. durable has no public call for this;
        it is the inverse of what `Host.register_rulesets` does."""
        with self._lock:
            if name not in self._registered:
                return
            ruleset = self._host._ruleset_directory.pop(name)
            self._host._ruleset_list.remove(ruleset)
            durable_rules_engine.delete_ruleset(ruleset._handle)
            self._registered.discard(name)

    @property
    def registered(self) -> frozenset[str]:
        return frozenset(self._registered)

    def _recorder(self, key: str):
        def run(c) -> None:
            self._fired[c.s.sid].append(key)

        return run

    def evaluate(self, name: str, facts: Mapping[str, Any]) -> list[str]:
        """Keys of the rules that fired, in firing order, each once."""
        if name not in self._registered:
            raise EngineError(f"ruleset '{name}' is not registered")
        sid = f"s{next(self._sids)}"
        message = {**facts, "sid": sid, "_case": 1}
        with self._lock:
            self._fired[sid] = []
            try:
                state = self._host.assert_fact(name, message)
            except Exception as exc:
                raise EngineError(f"the engine failed on ruleset '{name}': {exc}") from exc
            finally:
                fired = self._fired.pop(sid, [])
                self._delete(name, sid, fired)
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed in '{name}': {state['exception']}")
        return [key for key in dict.fromkeys(fired) if key != CATCH_ALL_KEY]

    def _delete(self, name: str, sid: str, fired: list[str]) -> None:
        if fired:  # delete_state where no action ran segfaults; the catch-all makes this always true
            self._host.delete_state(name, sid)
