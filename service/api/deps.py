"""Dependencies routes declare; the pipeline is built once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from service.pipeline.triage import TriagePipeline


def get_pipeline(request: Request) -> TriagePipeline:
    return request.app.state.pipeline


PipelineDep = Annotated[TriagePipeline, Depends(get_pipeline)]


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A key from TRIAGE_API_KEYS")


def require(*roles: str):
    """A dependency admitting callers whose API key has one of `roles` (admin always); open without keys."""

    def check(request: Request, key: str | None = Security(_api_key)) -> str:
        keys = request.app.state.settings.api_keys
        if not keys:
            return "admin"
        role = keys.get(key or "")
        if role is None:
            raise HTTPException(401, "missing or unknown X-API-Key", headers={"WWW-Authenticate": "APIKey"})
        if role != "admin" and role not in roles:
            raise HTTPException(403, f"the role {role!r} may not do this; it needs one of: {', '.join(roles)}")
        return role

    return check


IntakeRole = Depends(require("intake", "analyst"))
AnalystRole = Depends(require("analyst"))


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {}}, "required": ["detail"]}}}}


# Error answers every protected route may give, documented in OpenAPI.
PROTECTED_RESPONSES = {
    401: error_response("Missing or unknown X-API-Key"),
    403: error_response("The key's role may not do this"),
    413: error_response("The request body is too large"),
    503: error_response("The case store is unavailable; nothing was stored; retry after Retry-After seconds"),
}
NOT_FOUND = {404: error_response("No such case")}


def unprocessable(field: str | None, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, so clients parse one format for every 422."""
    return HTTPException(422, [{"loc": ["body", field] if field else ["body"], "msg": message, "type": "value_error"}])
