"""Dependencies routes declare; the pipeline is built once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.pipeline.triage import TriagePipeline


def get_pipeline(request: Request) -> TriagePipeline:
    return request.app.state.pipeline


PipelineDep = Annotated[TriagePipeline, Depends(get_pipeline)]
