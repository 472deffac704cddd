"""GET /v1/cases, /v1/cases/{id}, POST /v1/cases/{id}/feedback and GET /v1/alerts: the store, for analysts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from service.api.deps import NOT_FOUND, PROTECTED_RESPONSES, AnalystRole, PipelineDep, unprocessable
from service.api.schemas import (
    AlertView,
    CasePage,
    CaseView,
    FeedbackRequest,
    FeedbackView,
    TriageResponse,
)
from service.domain import CaseId, IntakeTime, RiskLevel
from service.pipeline.triage import TriagePipeline
from service.privacy import redact
from service.rulebook.taxonomy import TaxonomyError
from service.store.records import decision_of
from service.store.tables import CaseRecord

router = APIRouter(tags=["cases"], dependencies=[AnalystRole], responses=PROTECTED_RESPONSES)
MAX_OFFSET = 10_000_000  # deeper than any store pages; narrow by since/until instead
CasePath = Annotated[CaseId, Path(description="The case's case_id")]


def _store(pipeline: TriagePipeline):
    if pipeline.store is None:
        raise HTTPException(503, "this service runs without a case store")
    return pipeline.store


def _view(record: CaseRecord) -> CaseView:
    area = {"county": record.area_county, "township": record.area_township, "village": record.area_village}
    return CaseView(
        case_id=record.case_id,
        received_at=record.received_at,
        title=redact(record.title) if record.title else None,
        content=redact(record.content),
        channel=record.channel,
        area={k: v for k, v in area.items() if v},
        petitioner=record.petitioner_masked,
        copy_cluster=record.copy_cluster,
        decision=TriageResponse.of(decision_of(record.decision)),
    )


@router.get("/v1/cases/{case_id}", response_model=CaseView, responses=NOT_FOUND)
def get_case(case_id: CasePath, pipeline: PipelineDep) -> CaseView:
    record = _store(pipeline).record(case_id)
    if record is None:
        raise HTTPException(404, "no case with this case_id")
    return _view(record)


@router.get("/v1/cases", response_model=CasePage)
def search_cases(
    pipeline: PipelineDep,
    since: Annotated[IntakeTime | None, Query(description="Received at or after (ISO-8601; Asia/Shanghai without offset)")] = None,
    until: Annotated[IntakeTime | None, Query(description="Received before (ISO-8601; Asia/Shanghai without offset)")] = None,
    region: Annotated[str | None, Query(max_length=64, description="Region code prefix, or a township/village name")] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    level: Annotated[RiskLevel | None, Query()] = None,
    flag: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$", description="A flag code, e.g. collective")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CasePage:
    """Stored cases, newest first, filtered by time, region, category, level and flag; paginated."""
    total, records = _store(pipeline).search(since=since, until=until, region=region, category=category, level=level,
                                             flag=flag, limit=limit, offset=offset)
    return CasePage(total=total, limit=limit, offset=offset, cases=[_view(r) for r in records])


@router.post("/v1/cases/{case_id}/feedback", response_model=FeedbackView, status_code=201, responses=NOT_FOUND)
def add_feedback(case_id: CasePath, feedback: FeedbackRequest, pipeline: PipelineDep) -> FeedbackView:
    """A handler corrects the category, subcategory, type, department or flags; kept with who and when.

    Old subcategory names are stored as their place in the standard taxonomy.
    """
    corrections = feedback.model_dump(exclude={"by", "note"}, exclude_none=True)
    if not corrections:
        raise unprocessable(None, "give at least one of category, subcategory, type, department, flags")
    rulebook = pipeline.runner.rulebook
    if feedback.category and feedback.category not in pipeline.classifier.labels:
        raise unprocessable("category", f"not a label of the served model ({', '.join(pipeline.classifier.labels)})")
    if feedback.type and not feedback.subcategory:
        raise unprocessable("type", "a type needs its subcategory")
    if feedback.subcategory:
        corrections.update(_standard_place(pipeline, case_id, feedback))
    if feedback.department and feedback.department not in rulebook.departments():
        raise unprocessable("department", "not a department the rules route to (GET /v1/taxonomy lists them)")
    unknown = [code for code in feedback.flags or [] if code not in rulebook.flags]
    if unknown:
        raise unprocessable("flags", f"{len(unknown)} unknown flag code(s); known: {', '.join(rulebook.flags)}")
    note = redact(feedback.note) if feedback.note else None
    record = _store(pipeline).add_feedback(case_id, redact(feedback.by), note=note, **corrections)
    if record is None:
        raise HTTPException(404, "no case with this case_id")
    return FeedbackView.model_validate(record, from_attributes=True)


def _standard_place(pipeline: TriagePipeline, case_id: str, feedback: FeedbackRequest) -> dict[str, str]:
    """category/subcategory/type of a correction, old names read as their standard place."""
    category = feedback.category
    if category is None:
        decided = _store(pipeline).get(case_id)
        if decided is None:
            raise HTTPException(404, "no case with this case_id")
        category = decided.category.label
    taxonomy = pipeline.runner.rulebook.taxonomy
    if category not in taxonomy:
        return {}  # a model trained on an office's own labels: its names are its own
    try:
        place = taxonomy.resolve(category, feedback.subcategory, feedback.type)
    except TaxonomyError as exc:
        raise unprocessable("type" if feedback.type else "subcategory", f"{exc} (GET /v1/taxonomy lists them)") from exc
    return {k: v for k, v in (("category", place.category), ("subcategory", place.subcategory), ("type", place.type)) if v}


@router.get("/v1/alerts", response_model=list[AlertView])
def alerts(pipeline: PipelineDep) -> list[AlertView]:
    """Cluster alerts (emerging collective visits, copied letters), oldest first; one per cluster."""
    return [AlertView.model_validate(a, from_attributes=True) for a in _store(pipeline).alerts()]
