"""GET /healthz and /v1/taxonomy."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from service.api.deps import PipelineDep
from service.api.schemas import Health, Taxonomy
from service.domain import SHANGHAI, Versions

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(pipeline: PipelineDep) -> Health:
    """Alive, which versions serve, and what the operator should fix (the warnings never make it unhealthy)."""
    rulebook = pipeline.runner.rulebook
    return Health(status="ok", versions=Versions(model=pipeline.classifier.version, rules=rulebook.version),
                  warnings=rulebook.warnings(dt.datetime.now(SHANGHAI).date()))


@router.get("/v1/taxonomy", response_model=Taxonomy)
def taxonomy(pipeline: PipelineDep) -> Taxonomy:
    """The served model's labels, subcategories and types, the rules' standard taxonomy with its old names,
    and every department the rules route to."""
    rulebook = pipeline.runner.rulebook
    return Taxonomy(
        labels=pipeline.classifier.labels,
        subcategories=pipeline.classifier.subcategories,
        types=pipeline.classifier.types,
        standard={label: {sub: list(types) for sub, types in subs.items()} for label, subs in rulebook.taxonomy.categories.items()},
        renamed={old: str(new) for old, new in rulebook.taxonomy.renamed.items()},
        departments=rulebook.departments(),
        flags=dict(rulebook.flags),
    )
