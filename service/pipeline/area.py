"""Where a case comes from: county from the intake region or, failing that, the text; township and village from the text.

Province/city/county names and codes come from cpca (a maintained library with
the national division table). Townships (镇/乡/街道) and villages or
communities (村/社区/小区) are below what any such table lists reliably, so they
are read with patterns; they are what lets single petitions from one place
form a cluster even when the caller sent bare text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A place name is a run of Han characters that are not themselves division suffixes or
# function words, so 「湖北省枣阳市吴店镇钟郢村」 yields 吴店镇 and 钟郢村.
_NAME = r"[^\W\da-zA-Z_省市县区旗镇乡村街道的是在我你他们和与及从到去向住于了]{2,5}"
TOWNSHIP = re.compile(rf"({_NAME}(?:街道|镇|乡))(?!长|政府|党委|干部|领导|派出所|卫生院|中学|小学)")
VILLAGE = re.compile(rf"({_NAME}(?:村|社区|小区))(?!民|委|干部|里|子|口|长|医)")
NOT_A_PLACE = ("我们", "你们", "他们", "本村", "该村", "全村", "农村", "城乡", "这个", "那个", "一个", "乡下", "城镇", "各镇",
               "同村", "邻村", "新农村", "整个", "附近", "周边", "各乡", "本镇", "该镇", "乡镇")


@dataclass(frozen=True)
class Area:
    county: str = ""  # adcode when known ("420683"), else a county name
    township: str = ""
    village: str = ""


@lru_cache(maxsize=1)
def _cpca():
    import cpca  # loads its division table (~0.2 s) on first use

    return cpca


def _named(text: str, pattern: re.Pattern) -> str:
    for match in pattern.finditer(text):
        name = match.group(1)
        if not any(name.startswith(word) or name == word for word in NOT_A_PLACE):
            return name
    return ""


def areas_of(cases: list[tuple[str, str | None, str | None]]) -> list[Area]:
    """Areas of several cases at once, each (text, region code, region name): the intake region first
    (code, then names), then the text. One division lookup for all: it is the costly part."""
    lookups = [(i, name or text[:300]) for i, (text, code, name) in enumerate(cases) if not code]
    found: dict[int, str] = {}
    if lookups:
        records = _cpca().transform([source for _, source in lookups]).to_dict("records")
        for (i, _), record in zip(lookups, records):
            code = record.get("adcode")
            found[i] = code if isinstance(code, str) else ""  # cpca gives NaN when it finds nothing
    return [Area(county=code or found.get(i, ""), township=_named(text, TOWNSHIP), village=_named(text, VILLAGE))
            for i, (text, code, _) in enumerate(cases)]

