"""GET /healthz and /v1/taxonomy."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import PipelineDep
from service.api.schemas import Health, Taxonomy, Versions

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(pipeline: PipelineDep) -> Health:
    return Health(status="ok", versions=Versions(model=pipeline.classifier.version, rules=pipeline.runner.rulebook.version))


@router.get("/v1/taxonomy", response_model=Taxonomy)
def taxonomy(pipeline: PipelineDep) -> Taxonomy:
    """The served model's labels and subcategories, and every department the rules route to."""
    rulebook = pipeline.runner.rulebook
    departments = sorted(
        {rulebook.department_for(tier, agency) for agency in rulebook.agencies for tier in rulebook.tiers}
        | {str(v) for rule in rulebook.rules() for k, v in rule.actions.set.items() if k == "department"}
    )
    return Taxonomy(
        labels=pipeline.classifier.labels,
        subcategories=pipeline.classifier.subcategories,
        departments=departments,
        flags=dict(rulebook.flags),
    )
