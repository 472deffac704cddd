"""Near-copies of a text (joint letters sent by many, copy-pasted complaints): MinHash signatures and LSH bands.

A text's character 5-grams are summarised by a 64-value MinHash (datasketch).
Cut into 16 bands of 4 values, two texts share a band with probability
1-(1-J⁴)¹⁶: 0.89 at Jaccard 0.6, 0.999 at 0.8. The bands are stored with each
case, so any worker finds candidate copies with one indexed query; candidates
are then confirmed on the exact Jaccard of their 5-gram sets.
"""

from __future__ import annotations

import hashlib
import re

from datasketch import MinHash

SHINGLE = 5
PERMUTATIONS = 64
BANDS, ROWS = 16, 4
COPY_JACCARD = 0.5  # a one-line edit of a 200-character letter keeps ~0.8; unrelated letters stay under 0.15
_SPACE_AND_PUNCTUATION = re.compile(r"[\s\W_]+")


def shingles(text: str) -> set[str]:
    compact = _SPACE_AND_PUNCTUATION.sub("", text)
    return {compact[i : i + SHINGLE] for i in range(max(1, len(compact) - SHINGLE + 1))}


def bands(grams: set[str]) -> list[str]:
    """The LSH band keys of a shingle set: 'band index:hash of its rows'."""
    signature = MinHash(num_perm=PERMUTATIONS, seed=1)
    signature.update_batch([g.encode("utf-8") for g in grams])
    values = signature.hashvalues
    return [f"{b}:{hashlib.blake2b(values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=12).hexdigest()}"
            for b in range(BANDS)]


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
