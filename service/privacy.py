"""Personal data: keyed hashes for linking, masks for display, redaction for logs.

Names, 身份证号 and phone numbers never reach logs, feeds or exports; the store
keeps only a keyed hash (to link a petitioner's cases) and a masked form, and
the texts it keeps are redacted.

Masks keep just enough for a reader to see what kind of value stood there:
mobile 138****5678, landline 010-****5678 (an extension becomes -**), a bare
number after 电话/座机 ****5678, ID 420***********1234 (15-digit: 420********1234),
name 张** (the surname as written, always two stars; see chinese_names). A
surname alone (刘女士, 王老师, 张某) is left as it is: it is all a mask shows.
An ID number needs a region code and a birth date that exists, so order
numbers and amounts stay; 400/800 hotlines and 12345 are not personal.

Detection reads a folded copy of the text (NFKC, so full-width digits count,
and traditional → simplified) and masks the same spans in the original, so
everything else keeps its own characters. All patterns have bounded
repetition only, so the time is linear in the text's length.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata
from pathlib import Path
from typing import NamedTuple

from service.chinese_names import find_names
from service.pipeline.normalize import to_simplified

_SEP = r"[ \-·・–—]"
_MOBILE = rf"(?:\(?(?:\+|00)?86\)?{_SEP}?)?1[3-9]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}"
# 010, 02x and 0[3-9]xx are the area codes; local numbers start with 2-9. Written
# from abroad (+86 10 …) the 0 goes; 400/800 are company hotlines, not personal.
_AREA = r"(?:10|2\d|(?!400|800)[3-9]\d\d)"
_LOCAL = rf"[2-9]\d{{2,3}}{_SEP}?\d{{4}}"
_LANDLINE = (rf"(?P<intl>(?:\+|00)86{_SEP}?)?[(（]?(?P<area>(?(intl)0?|0){_AREA})[)）]?{_SEP}?"
             rf"(?P<number>{_LOCAL})(?P<ext>(?:-|转|ext\.?|x)\d{{1,5}})?")
_CUE = r"(?:电话|座机|固话|手机|(?i:tel)|联系方式)(?:号码|号)?(?:是|为)?[:：]?[ ]{0,2}"
PHONE = re.compile(rf"(?<!\d)(?:(?P<mobile>{_MOBILE})|{_LANDLINE})(?!\d)|{_CUE}(?P<local>{_LOCAL})(?!\d)")

_REGION = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])\d{4}"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = rf"{_REGION}(?:18|19|20)\d\d{_MONTH_DAY}\d{{3}}[\dXx]"
_ID15 = rf"{_REGION}\d\d{_MONTH_DAY}\d{{3}}"
# Written in groups (6-8-4, 6-4-4-4, 4-4-4-4-2, 15 as 6-6-3): the digits are checked once the spaces are gone.
_SPACED = r"\d{6} \d{8} \d{3}[\dXx]|\d{6} \d{4} \d{4} \d{3}[\dXx]|\d{4} \d{4} \d{4} \d{4} \d[\dXx]|\d{6} \d{6} \d{3}"
ID_NUMBER = re.compile(rf"(?<![0-9A-Za-z])(?:{_ID18}|{_ID15}|{_SPACED})(?!\d)")
_ID_DIGITS = re.compile(rf"{_ID18}|{_ID15}")


def mask_phone(phone: str) -> str:
    """A phone number field, masked as `redact` masks one in a text."""
    folded = unicodedata.normalize("NFKC", phone).strip()
    match = PHONE.fullmatch(folded)
    if match and match.group("local") is None:
        return _phone_span(match)[2]
    digits = _digits(folded)
    return f"****{digits[-4:]}" if len(digits) >= 7 else "****"


def mask_identifier(value: str) -> str:
    """A caller's petitioner id, shown only by its ends: P2026****17."""
    value = value.strip()
    return f"{value[:max(1, len(value) // 4)]}****{value[-2:]}" if len(value) > 4 else "****"


def mask_id_number(id_number: str) -> str:
    value = re.sub(r"\s", "", id_number)
    return f"{value[:3]}{'*' * max(len(value) - 7, 0)}{value[-4:]}" if len(value) > 7 else "****"


def _phone_span(match: re.Match) -> tuple[int, int, str]:
    """The span to mask and its mask; after a cue only the number is masked."""
    if match.group("mobile"):
        mobile = match.group("mobile")
        return match.start(), match.end(), f"{_digits(mobile)[-11:-8]}****{mobile[-4:]}"
    if match.group("local"):
        return match.start("local"), match.end("local"), f"****{match.group('local')[-4:]}"
    area = match.group("area")
    area = area if area.startswith("0") else f"0{area}"
    return match.start(), match.end(), f"{area}-****{match.group('number')[-4:]}{'-**' if match.group('ext') else ''}"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_id_number(candidate: str) -> bool:
    """Region and date parts that an ID number can have; a birth date that exists and is past."""
    digits = re.sub(r"\s", "", candidate)
    if not _ID_DIGITS.fullmatch(digits):
        return False
    year = int(digits[6:10]) if len(digits) == 18 else 1900 + int(digits[6:8])
    birth = digits[10:14] if len(digits) == 18 else digits[8:12]
    try:
        return dt.date(year, int(birth[:2]), int(birth[2:])) <= dt.date.today()
    except ValueError:
        return False


def _fold(text: str) -> tuple[str, list[int] | None]:
    """NFKC and simplified characters for detection, and each folded character's index in `text`.

    None for the index means one to one. OpenCC converts a few phrases to a
    different length; then it folds character by character instead.
    """
    index = None
    folded = text
    if not unicodedata.is_normalized("NFKC", text):
        parts, index = [], []
        for i, ch in enumerate(text):
            part = unicodedata.normalize("NFKC", ch)
            parts.append(part)
            index.extend([i] * len(part))
        folded = "".join(parts)
    if folded.isascii():
        return folded, index
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):
        simplified = "".join(s if len(s := to_simplified(ch)) == 1 else ch for ch in folded)
    return simplified, index


class Finding(NamedTuple):
    """A span of personal data in the original text, its kind (id_number, phone, name) and its mask."""

    start: int
    end: int
    kind: str
    mask: str


def _number_spans(folded: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, mask) of ID and phone numbers in the folded text."""
    spans = [(m.start(), m.end(), "id_number", mask_id_number(m.group(0))) for m in ID_NUMBER.finditer(folded)
             if _is_id_number(m.group(0))]
    for m in PHONE.finditer(folded):
        start, end, mask = _phone_span(m)
        spans.append((start, end, "phone", mask))
    return spans


def personal_data(text: str) -> list[Finding]:
    """Phone numbers, ID numbers and personal names in `text`, in order, not overlapping."""
    folded, index = _fold(text)
    if index is None:
        index = range(len(text))
    found = [Finding(index[s], index[e - 1] + 1, kind, mask) for s, e, kind, mask in _number_spans(folded)]
    for name in find_names(folded):
        start, surname_end = index[name.start], index[name.surname_end - 1] + 1
        found.append(Finding(start, index[name.end - 1] + 1, "name", f"{text[start:surname_end]}**"))
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -f.end)):
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
        elif finding.end - finding.start > kept[-1].end - kept[-1].start:
            kept[-1] = finding  # of two overlapping numbers (a spaced ID read as a phone) the longer
    return kept


def redact(text: str) -> str:
    """Text with phone numbers, ID numbers and personal names masked, for anything that leaves the service."""
    out, at = [], 0
    for finding in personal_data(text):
        out += [text[at:finding.start], finding.mask]
        at = finding.end
    out.append(text[at:])
    return "".join(out)


def load_key(data_dir: Path) -> bytes:
    """The linking key: created once per installation, kept beside the database."""
    path = data_dir / "petitioner.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
