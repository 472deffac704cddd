"""Where a case comes from: county from the intake region or else the text; township and village from the text.

Province/city/county names and codes come from cpca (a maintained library with
the national division table). A text names many places that are not where the
matter is (「去北京上访」「在北京打工」「到枣阳市信访局」), and cpca matches any
substring that is a division name (a lone 县 is 重庆's 500200, 安康 in
「身体安康」 is a city), so a match only counts when the words around it say it
is home and it is unmistakable on its own. Townships (镇/乡/街道) and villages
or communities (村/社区/小区) are below what any such table lists reliably; they
are read from the words just before the suffix, and they are what lets single
petitions from one place form a cluster even when the caller sent bare text.

Every pattern here is a literal alternation, a character class or a bounded
look-around, so scanning is linear in the text whatever it holds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

from service.domain import Area
from service.pipeline.tokenize import get_tokenizer

READ_CHARS = 300  # the place is stated near the start; the division lookup reads this much of the text

# Clauses; a place is judged by the words of its own clause.
_CLAUSE = re.compile(r"[^\s,.;:!?，。；：！？、()（）\[\]【】\"“”《》]+")
# Pieces are cut before these words so that each piece holds at most one chain of names
# (cpca reads one chain per string): 「我在北京打工老家河南省周口市郸城县」 → …|在北京打工|老家河南省周口市郸城县.
# Only words that no division name holds (隆回县 and 回族 hold 回, 上饶 holds 上).
_CUT = re.compile(r"去|到|赴|在|是|系|家住|住在|现住|老家|户籍|籍贯|原籍|来自|位于")
# A place right after one of these is where someone goes, not where they are from; 受到/得到/… are not going.
# 回 is not among them: 「回到老家枣阳」「返回郸城县」 name the home.
_GOING = re.compile(r"(?:(?<![受得遇找收看感直做想听提达报迟周一等拿接])到|去|赴|进|(?<![早晚马网路以加向线])上|来|前往|奔赴|赶赴)"
                    r"(?:了|过|达|往|趟|一趟)?$")
# 「在北京打工」: somewhere the petitioner works or studies, a weaker sign than home.
_WORKING = re.compile(r"打工|务工|工作|上班|做工|干活|经商|做生意|读书|上学|求学|出差|旅游")
# Names that stand for no one place without a province or city before them.
_GENERIC_COUNTIES = frozenset({"县", "市辖区", "老城区", "新城区", "城区", "郊区", "矿区"})
_SUFFIX = re.compile(r"(?:自治县|自治旗|自治州|地区|新区|林区|县|区|市|旗|盟|州)$")

INTAKE, PLACE, WORK = 0, 1, 2  # how sure a county is: lower wins


@lru_cache(maxsize=1)
def _cpca():
    import cpca  # loads its division table (~0.2 s) on first use

    return cpca


@lru_cache(maxsize=1)
def _ambiguous() -> frozenset[str]:
    """Division names held by more than one place (朝阳区, 鼓楼区): cpca's pick among them is arbitrary."""
    seen: dict[str, int] = {}
    for info in _cpca().ad_2_addr_dict.values():
        seen[info.name] = seen.get(info.name, 0) + 1
    return frozenset(name for name, count in seen.items() if count > 1)


@lru_cache(maxsize=1)
def _division_names() -> frozenset[str]:
    """Every division name as cpca matches it, whole and shortened (枣阳市, 枣阳): it ends a township's name."""
    cpca = _cpca()
    names = {info.name for info in cpca.ad_2_addr_dict.values()}
    short = {cpca.Matcher.special_abbre.get(name) or re.sub(r"(?:[省市]|特别行政区|自治区)$", "", name) for name in names}
    return frozenset(names | short)


@lru_cache(maxsize=1)
def _pos_tokenizer():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(get_tokenizer())


def _pieces(text: str) -> list[tuple[str, int, int]]:
    """(clause, start, end) of each piece of the text's start; a piece runs from one cut word to the next."""
    pieces = []
    for clause in _CLAUSE.findall(text[:READ_CHARS]):
        cuts = [0] + [m.start() for m in _CUT.finditer(clause) if m.start() > 0] + [len(clause)]
        pieces.extend((clause, a, b) for a, b in zip(cuts, cuts[1:]) if b - a >= 2)
    return pieces


def _is_going(before: str) -> bool:
    """Whether the words just before a place send someone there (pass the last few characters only)."""
    return bool(_GOING.search(before[-4:]))


def _starts_word(text: str, start: int) -> bool:
    """Whether a word begins at start (「沿海城市」 holds 海城市 but no word begins there)."""
    offset = max(0, start - 4)
    at = offset
    for word in get_tokenizer().cut(text[offset:start + 4], HMM=False):
        if at >= start:
            return at == start
        at += len(word)
    return at == start


def _county_of(record: dict, piece: str, trusted: bool) -> tuple[str, int, int] | None:
    """(code, 2 for a county or 1 for a city, where its chain starts) of cpca's match in the piece, or None
    when it is not a sure place.

    A bare province is not a county. Without a province or city named before it, a name counts only
    when it is written whole (枣阳市, not 枣阳), is not a word of its own (县, 城区), has at least two
    characters before its suffix (滑县 needs 河南/安阳 before it), belongs to one place only, and
    starts a word.
    """
    code = record.get("adcode")
    if not isinstance(code, str):
        return None  # cpca gives NaN when it finds nothing
    for level, column in ((2, "区"), (1, "市")):
        name, start = record.get(column), record.get(f"{column}_pos", -1)
        if isinstance(name, str) and start >= 0:
            break
    else:
        return None
    if name in ("县", "市辖区"):  # the table's headings for a municipality's counties: no place, even from the intake
        return None
    chain = min(p for p in (record.get(f"{c}_pos", -1) for c in ("省", "市", "区")) if p >= 0)
    if trusted:
        return code, level, chain
    if chain == start:  # nothing named before it
        end = start + len(name)
        if (piece[start:end] != name or name in _GENERIC_COUNTIES or name in _ambiguous()
                or len(_SUFFIX.sub("", name)) < 2 or piece[end:end + 1] in ("场", "域")
                or not _starts_word(piece, start)):
            return None
    return code, level, chain


def _counties(cases: list[tuple[str, str | None, str | None]]) -> dict[int, str]:
    """County codes of the cases that sent none, from their intake names and text pieces in one division lookup.

    The intake's names win, then a place the text states, then a workplace; a destination never counts.
    Among equals the most specific (county before city), then the earliest.
    """
    lookups: list[tuple[int, int, str, int, int]] = []  # (case, rank, clause, piece start, piece end)
    for i, (text, code, name) in enumerate(cases):
        if code:
            continue
        if name:
            lookups.append((i, INTAKE, name, 0, len(name)))
        lookups.extend((i, PLACE, clause, a, b) for clause, a, b in _pieces(text))
    if not lookups:
        return {}
    records = _cpca().transform([clause[a:b] for _, _, clause, a, b in lookups], pos_sensitive=True).to_dict("records")
    best: dict[int, tuple[tuple[int, int, int], str]] = {}
    for n, ((i, rank, clause, a, b), record) in enumerate(zip(lookups, records)):
        found = _county_of(record, clause[a:b], trusted=rank == INTAKE)
        if found is None:
            continue
        code, level, start = found
        if rank == PLACE:
            before = clause[:a + start]  # a clause is at most READ_CHARS long
            if _is_going(before):
                continue
            if before.endswith("在") and _WORKING.search(clause, a + start):
                rank = WORK
        key = (rank, -level, n)
        if i not in best or key < best[i][0]:
            best[i] = (key, code)
    return {i: code for i, (_, code) in best.items()}


# Township and village names: the words just before the suffix, back to the previous division
# name or a word that cannot be part of a name (a verb, pronoun, preposition, number…), so
# 「实名举报柳湾村」 is 柳湾村 and 「湖北省枣阳市吴店镇钟郢村」 gives 吴店镇 and 钟郢村.
_NAMED = re.compile(r"街道|社区|小区|镇|乡|村")
_TOWNSHIPS = ("街道", "镇", "乡")
# After the suffix: it begins another word (乡村, 乡下, 镇压, 村镇, 村子, 街道上), so there is no name.
_NOT_AFTER = {"乡": ("村", "下", "里", "亲", "镇", "土", "愁", "音", "邻", "情", "贤", "间", "野", "民"),
              "镇": ("压", "静", "定", "痛", "守"), "村": ("镇", "落", "庄", "子"), "街道": ("上", "边", "旁", "两")}
_LONGEST = 8  # characters looked at before a suffix
_MOST_SUFFIXES = 200  # a text names its place early; this bounds the work on a text made of suffixes
_UPPER = re.compile(r"[^\u4e00-\u9fff]|[省市县区旗]")  # ends a township's name from the left
_UPPER_OR_TOWNSHIP = re.compile(r"[^\u4e00-\u9fff]|[省市县区旗镇乡村道]")  # ends a village's name from the left
# A dictionary word with one of these tags is not part of a place name (pronouns, prepositions, particles,
# verbs, time words…); words jieba does not know (留固, 钟郢) and single characters (遇龙, 琚湾) may be.
_NOT_NAME_TAGS = ("r", "p", "c", "d", "u", "v", "q", "t", "y", "e", "o", "w", "x", "l", "i", "z")
_FUNCTION_CHARS = frozenset("是在住到去从向于给让被把对和与及了的地得着过我你他她它本该这那此每各其某名个位户说称系为叫有")
_LINKS = frozenset("的了是在住到去和与及我你他她们把被给向从对")  # words that join a name to what follows it
_ANONYMISED = re.compile(r"[A-Za-z][0-9]{0,3}[市县区]$")
_COUNTED = ("个", "位", "些", "名", "户", "种", "批")  # 「一位村民」「几个村」
_GENERIC_ENDINGS = ("农村", "城乡", "乡镇", "城中村", "小城镇", "下乡")  # 「农业农村局」「干部下乡」
_ROLES = ("干部", "人员", "领导", "书记", "主任", "工作组")  # 「干部下村」: people, never part of a place name
_NOT_NAME_START = ("某", "本", "该", "我", "这", "那", "此", "每", "各", "其")
_NOT_NAMES = frozenset({
    "农", "新农", "城中", "城乡", "美丽", "和谐", "文明", "示范", "贫困", "空心", "行政", "自然", "城郊", "周边", "附近",
    "周围", "隔壁", "邻近", "全体", "广大", "整个", "其他", "其它", "别的", "所在", "当地", "本地", "外地", "老旧", "新建",
    "住宅", "居民", "商品房", "高档", "拆迁", "安置", "回迁", "城市", "农村", "咱们", "大家", "村民", "特色", "中心",
    "重点", "建制", "时候", "现任", "前任", "一个", "几个", "多个", "两个", "这个", "那个"})


def _tail_name(window: str) -> str:
    """The last words of window that can be a place name: 「名举报柳湾」 → 柳湾, 「湖北枣阳吴店」 → 吴店."""
    tokenizer = _pos_tokenizer()
    name = ""
    for word in reversed(list(tokenizer.cut(window, HMM=False))):
        part = word.word
        if len(part) == 1:
            stop = part in _FUNCTION_CHARS
        else:
            stop = (word.flag.startswith(_NOT_NAME_TAGS) and bool(tokenizer.tokenizer.FREQ.get(part))
                    or len(name) >= 2 and part in _division_names())
        if stop or len(name) + len(part) > 6:
            break
        name = part + name
    return name


def _ends_with_division(text: str) -> bool:
    """Whether text ends with a division name (福鼎市) or an anonymised one (A2区)."""
    names = _division_names()
    return any(text[-n:] in names for n in range(2, 13)) or bool(_ANONYMISED.search(text[-5:]))


def _place_name(text: str, match: re.Match, township: bool) -> str:
    """The township or village name that ends with this suffix, or "" when there is none."""
    suffix, start = match.group(), match.start()
    if text.startswith(_NOT_AFTER.get(suffix, ()), match.end()):
        return ""
    begin = max(0, start - _LONGEST)
    window = text[begin:start]
    upper = _UPPER if township else _UPPER_OR_TOWNSHIP
    cut = max((m.end() for m in upper.finditer(window)), default=0)
    window = window[cut:]
    if len(window) < 2:
        return ""
    if cut and _ends_with_division(text[max(0, begin + cut - 12):begin + cut]) and not _LINKS.intersection(window):
        name = window  # 「福鼎市点头镇」: right after a county, the whole run is the name, words or not
    else:
        name = _tail_name(window)
    if (len(name) < 2 or (township and len(name) > 5) or name in _NOT_NAMES or name.startswith(_NOT_NAME_START)
            or name.endswith(_COUNTED) or (name + suffix).endswith(_GENERIC_ENDINGS) or any(r in name for r in _ROLES)):
        return ""
    return name + suffix


def _township_and_village(text: str) -> tuple[str, str]:
    """The first township and village the text names as its own; one named only as a destination is the fallback."""
    stated = {True: "", False: ""}  # township? → name
    going = {True: "", False: ""}
    for match in islice(_NAMED.finditer(text), _MOST_SUFFIXES):
        township = match.group() in _TOWNSHIPS
        if stated[township]:
            continue
        name = _place_name(text, match, township)
        if not name:
            continue
        at = match.end() - len(name)
        if _is_going(text[max(0, at - 4):at]):
            going[township] = going[township] or name
        else:
            stated[township] = name
            if stated[not township]:
                break
    return stated[True] or going[True], stated[False] or going[False]


def areas_of(cases: list[tuple[str, str | None, str | None]]) -> list[Area]:
    """Areas of several cases at once, each (normalised text, region code, region name): the intake region
    first (code, then names), then the text. One division lookup for all: it is the costly part."""
    counties = _counties(cases)
    areas = []
    for i, (text, code, _) in enumerate(cases):
        township, village = _township_and_village(text)
        areas.append(Area(county=code or counties.get(i, ""), township=township, village=village))
    return areas
