"""API contract v1: request and response models (intake systems code against these)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

SHANGHAI = ZoneInfo("Asia/Shanghai")
Channel = Literal["letter", "visit", "online", "phone", "hotline"]
Level = Literal["village", "township", "county", "city", "province", "national"]
Tier = Literal["village", "township", "county", "city", "province"]
Procedure = Literal["petition", "litigation", "discipline", "mediation", "administrative_review", "arbitration"]
RiskLevel = Literal["blue", "yellow", "orange", "red"]


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, max_length=12, pattern=r"^\d{2,12}$", description="行政区划代码")
    province: str | None = Field(default=None, max_length=30)
    city: str | None = Field(default=None, max_length=30)
    county: str | None = Field(default=None, max_length=30)
    township: str | None = Field(default=None, max_length=30)
    village: str | None = Field(default=None, max_length=30)


class Petitioner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=64, description="The caller's petitioner id")
    age: int | None = Field(default=None, ge=0, le=130)
    phone: str | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dXx]$", description="身份证号 (18 characters)")


class TriageRequest(BaseModel):
    """One petition as an intake system sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    content: str = Field(min_length=1, max_length=20_000, description="The petition text")
    case_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    title: str | None = Field(default=None, max_length=200)
    channel: Channel | None = None
    received_at: dt.datetime | None = Field(default=None, description="ISO-8601; Asia/Shanghai when no offset")
    headcount: int | None = Field(default=None, ge=1, le=100_000, description="People in a visit")
    visited_level: Level | None = Field(default=None, description="Where the case was lodged")
    region: Region | None = None
    petitioner: Petitioner | None = None

    @field_validator("received_at")
    @classmethod
    def _shanghai_by_default(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=SHANGHAI)
        return value


class TopLabel(BaseModel):
    label: str
    probability: float


class Category(BaseModel):
    label: str
    subcategory: str | None
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
    received_at: dt.datetime
    category: Category
    routing: Routing
    risk: Risk
    rules_fired: list[str]
    versions: Versions


class BatchItemError(BaseModel):
    index: int
    case_id: str | None
    errors: list[dict]


class BatchResponse(BaseModel):
    results: list[TriageResponse | None]
    errors: list[BatchItemError]
    accepted: int
    rejected: int


class Health(BaseModel):
    status: Literal["ok"]
    versions: Versions


class Taxonomy(BaseModel):
    labels: list[str]
    subcategories: dict[str, list[str]]
    departments: list[str]
    flags: dict[str, str]


class RuleFileInfo(BaseModel):
    path: str
    sha256: str


class RulesInfo(BaseModel):
    version: str
    directory: str
    loaded_at: dt.datetime
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
    received_at: dt.datetime
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
    """A handler's correction. Give at least one of category, subcategory, department, flags."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    by: str = Field(min_length=1, max_length=64, description="Who corrects (a handler's id, not a name)")
    category: str | None = Field(default=None, min_length=1, max_length=32)
    subcategory: str | None = Field(default=None, min_length=1, max_length=32)
    department: str | None = Field(default=None, min_length=1, max_length=64)
    flags: list[str] | None = Field(default=None, max_length=20, description="The flags the case should carry")
    note: str | None = Field(default=None, max_length=2000)


class FeedbackView(BaseModel):
    id: int
    case_id: str
    created_at: dt.datetime
    by: str
    category: str | None
    subcategory: str | None
    department: str | None
    flags: list[str] | None


class AlertView(BaseModel):
    id: int
    kind: str
    created_at: dt.datetime
    updated_at: dt.datetime
    area: str | None
    category: str | None
    reason: str
    case_ids: list[str]
