"""A request's fingerprint: tells a retry of a case (same fingerprint) from a different petition under a used case_id.

Computed from what the intake sent, before redaction, except the petitioner's
identity, which enters only as its keyed hash; `received_at` is left out, so a
retry whose clock moved is still a retry. The migration that introduced it
computes it from stored rows with the same function.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def request_fingerprint(*, content: str, title: str | None, channel: str | None, region: dict | None,
                        intake: dict[str, Any] | None, petitioner_key: str | None) -> str:
    """sha256 of the canonical JSON of the case's fields (intake: headcount, visited level, age)."""
    fields = {"content": content, "title": title or None, "channel": channel, "region": region or None,
              "intake": intake or None, "petitioner": petitioner_key}
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
