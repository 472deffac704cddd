"""API contract v1: request and response models (intake systems code against these)."""

from __future__ import annotations

import datetime as dt
import re
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
    """Every time leaves the API with its offset, in Asia/Shanghai (+08:00); a naive one is UTC from the store."""
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
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, max_length=12, pattern=r"^\d{2,12}$", description="行政区划代码")
    province: Text | None = Field(default=None, max_length=30)
    city: Text | None = Field(default=None, max_length=30)
    county: Text | None = Field(default=None, max_length=30)
    township: Text | None = Field(default=None, max_length=30)
    village: Text | None = Field(default=None, max_length=30)


class Petitioner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Text | None = Field(default=None, max_length=64, description="The caller's petitioner id")
    age: int | None = Field(default=None, ge=0, le=130)
    phone: Text | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dXx]$", description="身份证号 (18 characters)")


class TriageRequest(BaseModel):
    """One petition as an intake system sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
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


class TopLabel(BaseModel):
    label: str
    probability: float


class Category(BaseModel):
    label: str = Field(description="First level of the standard taxonomy (GET /v1/taxonomy)")
    subcategory: str | None = Field(description="Second level of the standard taxonomy. Until 2026-12 this field used the "
                                    "service's own names; rules/taxonomy.yaml `renamed` maps each old name to its new place")
    type: str | None = Field(default=None, description="Third level of the standard taxonomy, within the subcategory")
    confidence: float = Field(ge=0, le=1)
    top: list[TopLabel]
    needs_review: bool
    review_reason: str | None = None


class Routing(BaseModel):
    tier: Tier
    department: str
    procedure: Procedure
    accept_by: dt.date
    resolve_by: dt.date


class Flag(BaseModel):
    code: str = Field(description="collective | skip_level | repeat | organized | extreme | sensitive_period | vulnerable, or a flag the rulebook adds")
    reason: str
    rule: str


class Risk(BaseModel):
    level: RiskLevel
    score: int = Field(ge=0, le=100)
    flags: list[Flag]


class Versions(BaseModel):
    model: str
    rules: str


class TriageResponse(BaseModel):
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


class BatchItemError(BaseModel):
    index: int
    code: Literal["invalid", "conflict", "store_unavailable", "not_decided"]
    case_id: str | None = Field(description="The case's case_id, once it was valid")
    errors: list[dict]


class BatchResponse(BaseModel):
    results: list[TriageResponse | None]
    errors: list[BatchItemError]
    accepted: int
    rejected: int


class Health(BaseModel):
    status: Literal["ok"]
    versions: Versions
    warnings: list[str] = Field(default=[], description="Configuration the operator should fix, e.g. a missing holiday schedule")


class Taxonomy(BaseModel):
    labels: list[str] = Field(description="The served model's first-level labels")
    subcategories: dict[str, list[str]] = Field(description="Second-level types the served model predicts, per label")
    types: dict[str, list[str]] = Field(default={}, description="Third-level types it predicts, per 'label/subcategory'")
    standard: dict[str, dict[str, list[str]]] = Field(default={}, description="The rules' taxonomy: category → subcategory → types")
    renamed: dict[str, str] = Field(default={}, description="Old 'category/subcategory' names → their standard place")
    departments: list[str]
    flags: dict[str, str]


class RuleFileInfo(BaseModel):
    path: str
    sha256: str


class RulesInfo(BaseModel):
    version: str
    directory: str
    loaded_at: Timestamp
    loaded_by: str
    files: list[RuleFileInfo]


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field(default="api", min_length=1, max_length=64, description="Who asked for the reload (recorded)")


class RuleProblem(BaseModel):
    file: str
    line: int
    col: int = 0
    message: str


class RulesRejection(BaseModel):
    """Rule files refused: every problem located in the analyst's own file names; the active rules stay."""

    detail: str
    problems: list[RuleProblem]
    failed_tests: list[dict] = []


class ValidationProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """A request FastAPI's validation or a route's own checks refused (the default 422 shape)."""

    detail: list[ValidationProblem]


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: dict[str, str] = Field(
        default_factory=dict,
        description="Rule files to use instead of the active ones, by path relative to the rules directory "
        "(e.g. {\"risk.yaml\": \"...\"}); files not given are taken from the active rules",
    )
    cases: list[TriageRequest] = Field(min_length=1, max_length=1000)


class SimulatedDecision(BaseModel):
    case_id: str | None
    category: str
    tier: Tier
    department: str
    procedure: Procedure
    level: str
    score: int
    flags: list[Flag]
    rules_fired: list[str]


class SimulateResponse(BaseModel):
    version: str
    tests_passed: int
    tests_failed: int
    decisions: list[SimulatedDecision]


class CaseView(BaseModel):
    """A stored case as analysts see it: text with phone and ID numbers masked, petitioner masked."""

    case_id: str
    received_at: Timestamp
    title: str | None
    content: str
    channel: str | None
    area: dict[str, str]
    petitioner: dict | None
    copy_cluster: str | None
    decision: TriageResponse


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    cases: list[CaseView]


class FeedbackRequest(BaseModel):
    """A handler's correction. Give at least one of category, subcategory, type, department, flags.

    Subcategory names used before the standard taxonomy (e.g. 拖欠工资, 公共交通) are read as
    their standard place (工资福利/工资发放; 城乡建设/城市建设和市政管理/公共汽车); see rules/taxonomy.yaml.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    by: Text = Field(min_length=1, max_length=64, description="Who corrects (a handler's id, not a name)")
    category: Text | None = Field(default=None, min_length=1, max_length=32)
    subcategory: Text | None = Field(default=None, min_length=1, max_length=32)
    type: Text | None = Field(default=None, min_length=1, max_length=32, description="Third-level type; needs subcategory")
    department: Text | None = Field(default=None, min_length=1, max_length=64)
    flags: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=20,
                                                                    description="The flags the case should carry")
    note: Text | None = Field(default=None, max_length=2000, description="Kept with phone, ID numbers and names masked")


class FeedbackView(BaseModel):
    id: int
    case_id: str
    created_at: Timestamp
    by: str
    category: str | None
    subcategory: str | None
    type: str | None = None
    department: str | None
    flags: list[str] | None


class AlertView(BaseModel):
    id: int
    kind: str
    created_at: Timestamp
    updated_at: Timestamp
    area: str | None
    category: str | None
    reason: str
    case_ids: list[str]
