"""POST /v1/triage and /v1/triage/batch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import TypeAdapter, ValidationError

from service.api.deps import IntakeRole, PipelineDep
from service.api.schemas import (
    BatchItemError,
    BatchResponse,
    TriageRequest,
    TriageResponse,
)

router = APIRouter(prefix="/v1/triage", tags=["triage"], dependencies=[IntakeRole])
MAX_BATCH = 1000
_request = TypeAdapter(TriageRequest)


@router.post("", response_model=TriageResponse)
def triage(request: TriageRequest, pipeline: PipelineDep) -> TriageResponse:
    """Classify, route and risk-flag one case; the same `case_id` twice returns the same decision."""
    return pipeline.triage(request)


@router.post("/batch", response_model=BatchResponse)
def triage_batch(
    pipeline: PipelineDep,
    cases: list[dict[str, Any]] = Body(..., max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} cases"),
) -> BatchResponse:
    """One answer per case, in order; an invalid case gets its own error and does not fail the others."""
    valid, errors = [], []
    for index, raw in enumerate(cases):
        try:
            valid.append((index, _request.validate_python(raw)))
        except ValidationError as exc:
            errors.append(
                BatchItemError(
                    index=index,
                    case_id=raw.get("case_id") if isinstance(raw.get("case_id"), str) else None,
                    errors=[{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()],
                )
            )
    results: list[TriageResponse | None] = [None] * len(cases)
    for (index, _), decision in zip(valid, pipeline.triage_many([r for _, r in valid])):
        results[index] = decision
    return BatchResponse(results=results, errors=errors, accepted=len(valid), rejected=len(errors))
