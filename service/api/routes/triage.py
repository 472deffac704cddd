"""POST /v1/triage and /v1/triage/batch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from service.api.deps import PROTECTED_RESPONSES, IntakeRole, PipelineDep, error_response
from service.api.schemas import (
    BatchItemError,
    BatchResponse,
    TriageRequest,
    TriageResponse,
)
from service.domain import CaseId
from service.errors import CaseConflict, TriageError
from service.store.engine import StoreUnavailable

router = APIRouter(prefix="/v1/triage", tags=["triage"], dependencies=[IntakeRole], responses=PROTECTED_RESPONSES)
MAX_BATCH = 1000
CHUNK = 50  # cases committed together, between two checks that the client is still there
_request = TypeAdapter(TriageRequest)
_case_id = TypeAdapter(CaseId)


@router.post("", response_model=TriageResponse, responses={409: error_response(
    "The case_id is already stored with a different request; the body gives both fingerprints "
    "(stored_hash, sent_hash) and nothing was stored")})
def triage(request: TriageRequest, pipeline: PipelineDep) -> TriageResponse:
    """Classify, route and risk-flag one case. The same `case_id` with the same request returns the stored
    decision (a safe retry); with a different request it answers 409 and stores nothing."""
    return TriageResponse.of(pipeline.triage(request))


@router.post("/batch", response_model=BatchResponse)
async def triage_batch(
    http: Request,
    pipeline: PipelineDep,
    cases: list[dict[str, Any]] = Body(..., max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} cases"),
) -> BatchResponse:
    """One answer per case, in order; a case that is invalid, conflicts with a stored case_id or could not be
    stored gets its own error (`code`: invalid, conflict, store_unavailable) and does not fail the others.
    Cases are decided in order, each with the history of those before it, and stored a chunk of 50 at
    a time: a store failure fails its whole chunk (nothing of it is stored). Work stops when the client
    disconnects; the chunks decided until then are stored."""
    valid, errors = [], []
    for index, raw in enumerate(cases):
        try:
            valid.append((index, _request.validate_python(raw)))
        except ValidationError as exc:
            errors.append(BatchItemError(
                index=index, code="invalid", case_id=_valid_case_id(raw.get("case_id")),
                errors=[{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]))
    results: list[TriageResponse | None] = [None] * len(cases)
    for start in range(0, len(valid), CHUNK):
        if await http.is_disconnected():
            break
        chunk = valid[start : start + CHUNK]
        decided = await run_in_threadpool(pipeline.triage_many, [r for _, r in chunk])
        for (index, request), result in zip(chunk, decided):
            if isinstance(result, TriageError):
                errors.append(_item_error(index, request, result))
            else:
                results[index] = TriageResponse.of(result)
    errors.sort(key=lambda e: e.index)
    accepted = sum(r is not None for r in results)
    return BatchResponse(results=results, errors=errors, accepted=accepted, rejected=len(errors))


def _valid_case_id(value: Any) -> str | None:
    """An invalid case's case_id, named in its error only when the case_id itself is valid (never echo input)."""
    try:
        return _case_id.validate_python(value)
    except ValidationError:
        return None


def _item_error(index: int, request: TriageRequest, error: TriageError) -> BatchItemError:
    if isinstance(error, CaseConflict):
        return BatchItemError(index=index, code="conflict", case_id=request.case_id, errors=[
            {"msg": str(error), "stored_hash": error.stored_hash, "sent_hash": error.sent_hash}])
    code = "store_unavailable" if isinstance(error, StoreUnavailable) else "not_decided"
    return BatchItemError(index=index, code=code, case_id=request.case_id,
                          errors=[{"msg": f"{error}; nothing was stored; retry this case"}])
