"""API contract v1: request and response models (intake systems code against these).

The request and the decision are the domain's (`service/domain.py`) under their
HTTP names; everything else here exists only for HTTP.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.domain import Case, Decision, Flag, Procedure, Text, Tier, Timestamp, Versions


class TriageRequest(Case):
    """One petition as an intake system sends it (v1 sends the domain case's fields as they are)."""


class TriageResponse(Decision):
    """The decision on one case (v1 answers the domain decision's fields as they are)."""

    @classmethod
    def of(cls, decision: Decision) -> TriageResponse:
        return cls.model_validate(decision, from_attributes=True)


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
