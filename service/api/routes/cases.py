"""GET /v1/cases, /v1/cases/{id}, POST /v1/cases/{id}/feedback and GET /v1/alerts: the store, for analysts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from service.api.deps import AnalystRole, PipelineDep
from service.api.schemas import (
    AlertView,
    CasePage,
    CaseView,
    FeedbackRequest,
    FeedbackView,
    RiskLevel,
    TriageResponse,
)
from service.pipeline.triage import TriagePipeline
from service.privacy import redact
from service.store.tables import CaseRecord

router = APIRouter(tags=["cases"], dependencies=[AnalystRole])


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
        decision=TriageResponse.model_validate(record.decision),
    )


@router.get("/v1/cases/{case_id}", response_model=CaseView)
def get_case(case_id: str, pipeline: PipelineDep) -> CaseView:
    record = _store(pipeline).record(case_id)
    if record is None:
        raise HTTPException(404, f"no case {case_id!r}")
    return _view(record)


@router.get("/v1/cases", response_model=CasePage)
def search_cases(
    pipeline: PipelineDep,
    since: Annotated[dt.datetime | None, Query(description="Received at or after (ISO-8601)")] = None,
    until: Annotated[dt.datetime | None, Query(description="Received before (ISO-8601)")] = None,
    region: Annotated[str | None, Query(max_length=64, description="Region code prefix, or a township/village name")] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    level: Annotated[RiskLevel | None, Query()] = None,
    flag: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$", description="A flag code, e.g. collective")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """Stored cases, newest first, filtered by time, region, category, level and flag; paginated."""
    total, records = _store(pipeline).search(since=since, until=until, region=region, category=category, level=level,
                                             flag=flag, limit=limit, offset=offset)
    return CasePage(total=total, limit=limit, offset=offset, cases=[_view(r) for r in records])


@router.post("/v1/cases/{case_id}/feedback", response_model=FeedbackView, status_code=201)
def add_feedback(case_id: str, feedback: FeedbackRequest, pipeline: PipelineDep) -> FeedbackView:
    """A handler corrects the category, subcategory, department or flags; kept with who and when."""
    corrections = feedback.model_dump(exclude={"by", "note"}, exclude_none=True)
    if not corrections:
        raise HTTPException(422, "give at least one of category, subcategory, department, flags")
    if feedback.category and feedback.category not in pipeline.classifier.labels:
        raise HTTPException(422, f"category: {feedback.category!r} is not a label of the served model "
                                 f"({', '.join(pipeline.classifier.labels)})")
    unknown = [code for code in feedback.flags or [] if code not in pipeline.runner.rulebook.flags]
    if unknown:
        raise HTTPException(422, f"flags: unknown flag codes {unknown}")
    record = _store(pipeline).add_feedback(case_id, feedback.by, note=feedback.note, **corrections)
    if record is None:
        raise HTTPException(404, f"no case {case_id!r}")
    return FeedbackView.model_validate(record, from_attributes=True)


@router.get("/v1/alerts", response_model=list[AlertView])
def alerts(pipeline: PipelineDep) -> list[AlertView]:
    """Cluster alerts (emerging collective visits, copied letters), oldest first; one per cluster."""
    return [AlertView.model_validate(a, from_attributes=True) for a in _store(pipeline).alerts()]
