"""The domain: a case as it arrives, the decision made on it, and what a decision can raise.

Every layer speaks these types: the pipeline decides a `Case` into a `Decision`,
rule tests and backtests build `Case`s from their files, the store keeps both in
its own versioned record (`store/records.py`). The HTTP models in
`api/schemas.py` map to them, so a new API version never changes a stored case or
a rule test. All are frozen: a stage that needs a changed case makes a copy.

Validation lives here because a case is read from several places (HTTP, JSONL
files for `triage batch`, rule tests) and must mean the same from each.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.privacy import ID_NUMBER, PHONE

SHANGHAI = ZoneInfo("Asia/Shanghai")
Channel = Literal["letter", "visit", "online", "phone", "hotline"]
Level = Literal["village", "township", "county", "city", "province", "national"]
Tier = Literal["village", "township", "county", "city", "province"]
# answer: a consultation, suggestion or praise is answered directly, with no petition procedure.
Procedure = Literal["petition", "litigation", "discipline", "mediation", "administrative_review", "arbitration", "answer"]
RiskLevel = Literal["blue", "yellow", "orange", "red"]
FIRST_YEAR, LAST_YEAR = 1900, 2098  # the lunar and holiday calendars cover these years
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _clean_text(value: str) -> str:
    """Text as it may be stored anywhere: no NUL (PostgreSQL refuses it), no lone surrogates, controls as spaces."""
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\x00), which is not text; check the client's encoding")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("contains an unpaired UTF-16 surrogate, which is not text; check the client's encoding")
    return _CONTROL.sub(" ", value)


def _intake_time(value: dt.datetime) -> dt.datetime:
    """A time from a client: Asia/Shanghai when it has no offset, within the years the calendars know."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def _shanghai_time(value: dt.datetime) -> dt.datetime:
    """Every time leaves with its offset, in Asia/Shanghai (+08:00); a naive one is UTC from the store."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(SHANGHAI)


def _not_personal(value: str) -> str:
    if PHONE.search(value) or ID_NUMBER.search(value):
        raise ValueError("looks like a phone or ID number; use the intake system's own case number")
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
IntakeTime = Annotated[dt.datetime, AfterValidator(_intake_time)]
Timestamp = Annotated[dt.datetime, AfterValidator(_shanghai_time)]
CaseId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$"), AfterValidator(_not_personal)]


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str | None = Field(default=None, max_length=12, pattern=r"^\d{2,12}$", description="行政区划代码")
    province: Text | None = Field(default=None, max_length=30)
    city: Text | None = Field(default=None, max_length=30)
    county: Text | None = Field(default=None, max_length=30)
    township: Text | None = Field(default=None, max_length=30)
    village: Text | None = Field(default=None, max_length=30)


class Petitioner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Text | None = Field(default=None, max_length=64, description="The caller's petitioner id")
    age: int | None = Field(default=None, ge=0, le=130)
    phone: Text | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dXx]$", description="身份证号 (18 characters)")


class Case(BaseModel):
    """One petition as it arrives: its text and the intake's fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    content: Text = Field(min_length=1, max_length=20_000, description="The petition text, in Chinese")
    case_id: CaseId | None = Field(default=None, description="The intake system's case number: sending it again "
                                   "with the same request returns the stored decision; with a different one, 409")
    title: Text | None = Field(default=None, max_length=200)
    channel: Channel | None = None
    received_at: IntakeTime | None = Field(default=None, description=f"ISO-8601, years {FIRST_YEAR}–{LAST_YEAR}; "
                                           "Asia/Shanghai when no offset; now when absent")
    headcount: int | None = Field(default=None, ge=1, le=100_000, description="People in a visit")
    visited_level: Level | None = Field(default=None, description="Where the case was lodged")
    region: Region | None = None
    petitioner: Petitioner | None = None

    @field_validator("content")
    @classmethod
    def _chinese(cls, value: str) -> str:
        if not _HAN.search(value):
            raise ValueError("has no Chinese characters; this service reads Chinese petitions (send other text to a person)")
        return value

    def intake_fields(self) -> dict:
        """Headcount, visited level and age: the intake fields a replay needs, kept with the case."""
        age = self.petitioner.age if self.petitioner else None
        fields = {"headcount": self.headcount, "visited_level": self.visited_level, "age": age}
        return {k: v for k, v in fields.items() if v is not None}


class TopLabel(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: str
    probability: float


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: str = Field(description="First level of the standard taxonomy (GET /v1/taxonomy)")
    subcategory: str | None = Field(description="Second level of the standard taxonomy. Until 2026-12 this field used the "
                                    "service's own names; rules/taxonomy.yaml `renamed` maps each old name to its new place")
    type: str | None = Field(default=None, description="Third level of the standard taxonomy, within the subcategory")
    confidence: float = Field(ge=0, le=1)
    top: list[TopLabel]
    needs_review: bool
    review_reason: str | None = None


class Routing(BaseModel):
    model_config = ConfigDict(frozen=True)
    tier: Tier
    department: str
    procedure: Procedure
    accept_by: dt.date
    resolve_by: dt.date


class Flag(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str = Field(description="collective | skip_level | repeat | organized | extreme | sensitive_period | vulnerable, or a flag the rulebook adds")
    reason: str
    rule: str


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True)
    level: RiskLevel
    score: int = Field(ge=0, le=100)
    flags: list[Flag]


class Versions(BaseModel):
    model_config = ConfigDict(frozen=True)
    model: str
    rules: str


class Decision(BaseModel):
    """What the service decided for one case."""

    model_config = ConfigDict(frozen=True)
    case_id: str
    received_at: Timestamp
    category: Category
    request_kind: str = Field(default="投诉", description="诉求类型 from the text: 咨询, 建议, 投诉, 求助, 举报 or 表扬 (the kinds "
                              "in rules/lexicons/signals.yaml); 投诉 when the text states none")
    routing: Routing
    risk: Risk
    rules_fired: list[str]
    versions: Versions
    warnings: list[str] = Field(default=[], description="What the caller should know about this decision, e.g. a deadline "
                                "counted without an official holiday schedule")


@dataclass(frozen=True)
class RaisedAlert:
    """A rule's request for a cluster alert: the store keeps one per cluster (scope "area" or "copies")."""

    rule: str
    scope: str
    reason: str


@dataclass(frozen=True)
class Area:
    """Where a case comes from, as far as the intake and the text tell."""

    county: str = ""  # adcode when known ("420683"), else a county name
    township: str = ""
    village: str = ""
