"""Regular expressions that analysts write (lexicon patterns, `text matches` in rules), compiled with RE2.

Python's `re` backtracks: a pattern such as `(a+)+$` takes exponential time on a
35-character case, and the case is decided while the store's write lock is
held, so one such rule would stall every intake. RE2 runs in time linear in the
text whatever the pattern, at the price of lookaround and backreferences, which
it refuses: a refused pattern is a located error in `rules check`, never a
slow case. The lexicon's `not_preceded_by` does what a negative lookbehind did.
"""

from __future__ import annotations

import re2

from service.errors import TriageError

SYNTAX_HINT = ("patterns use RE2 syntax: no lookaround ((?=, (?!, (?<=, (?<!) and no backreferences; "
               "use not_preceded_by / exclude_after in the lexicon instead")


class PatternError(TriageError):
    """A pattern RE2 cannot compile; the message says why and what to use instead."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = 8 << 20  # a pattern whose automaton needs more is refused, not built
    return options


_OPTIONS = _options()


def compile_pattern(pattern: str) -> re2._Regexp:
    """The pattern compiled for linear-time matching; PatternError if RE2 refuses it."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"{reason}; {SYNTAX_HINT}") from exc
