"""GET /v1/rules, POST /v1/rules/reload and /v1/rules/simulate: the analysts' side of the API."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from service.api.deps import PROTECTED_RESPONSES, AnalystRole, PipelineDep, unprocessable
from service.api.schemas import (
    ReloadRequest,
    RuleFileInfo,
    RuleProblem,
    RulesRejection,
    InvalidRequest,
    RulesInfo,
    SimulatedDecision,
    SimulateRequest,
    SimulateResponse,
)
from service.domain import Flag
from service.errors import Problem, RulebookError
from service.rulebook.active import ActiveRuleSet
from service.rulebook.isolated import RulesRejected, run_isolated

router = APIRouter(prefix="/v1/rules", tags=["rules"], dependencies=[AnalystRole], responses=PROTECTED_RESPONSES)
RULE_FILE_SUFFIXES = (".yaml", ".yml")


def rules_info(active: ActiveRuleSet) -> RulesInfo:
    return RulesInfo(
        version=active.version,
        directory=str(active.directory),
        loaded_at=active.loaded_at,
        loaded_by=active.loaded_by,
        files=[RuleFileInfo(path=f.path, sha256=f.sha256) for f in active.files],
    )


def rejection(exc: RulebookError | RulesRejected, root: Path | None = None) -> JSONResponse:
    """422 with every problem located in the analyst's own file names (not a temporary copy's)."""

    def relative(problem: Problem) -> RuleProblem:
        name = problem.file
        if root is not None and name.startswith(str(root)):
            name = name[len(str(root)) :].lstrip("/")
        return RuleProblem(file=name, line=problem.line, col=problem.col, message=problem.message)

    body = RulesRejection(detail=str(exc).splitlines()[0], problems=[relative(p) for p in exc.problems],
                          failed_tests=exc.failures if isinstance(exc, RulesRejected) else [])
    return JSONResponse(status_code=422, content=body.model_dump(mode="json"))


@router.get("", response_model=RulesInfo)
def active_rules(pipeline: PipelineDep) -> RulesInfo:
    """The active rule set: version (content hash), when and by whom it was loaded, and its files."""
    return rules_info(pipeline.rules.current)


@router.post("/reload", response_model=RulesInfo, responses={422: {"model": RulesRejection | InvalidRequest, "description": "Rejected; the active rules stay"}})
def reload_rules(pipeline: PipelineDep, request: ReloadRequest = Body(default_factory=ReloadRequest)):
    """Re-read the rules directory, validate it, run its rule tests in a child process, then swap it in.

    Cases in flight finish on the rules they started with. On any problem the active rules stay
    and the answer lists the problems (file, line, message) and failed rule tests.
    """
    try:
        return rules_info(pipeline.rules.reload(by=request.by))
    except (RulebookError, RulesRejected) as exc:
        return rejection(exc)


@router.post("/simulate", response_model=SimulateResponse, responses={422: {"model": RulesRejection | InvalidRequest, "description": "The rule files are invalid"}})
def simulate(request: SimulateRequest, pipeline: PipelineDep):
    """Decide the given cases with the active rules overlaid by the given files; nothing is activated or stored."""
    with tempfile.TemporaryDirectory(prefix="triage-simulate-") as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(pipeline.rules.current.directory, root)
        for name, content in request.files.items():
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or path.suffix not in RULE_FILE_SUFFIXES:
                raise unprocessable("files", "every file name must be a relative .yaml or .yml path inside the rules directory")
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(content, encoding="utf-8")
        predictions = pipeline.classifier.predict([c.title or "" for c in request.cases], [c.content for c in request.cases])
        cases = [{"request": case.model_dump(mode="json", exclude_none=True),
                  "prediction": {"label": p.label, "subcategory": p.subcategory, "type": p.type, "confidence": p.confidence,
                                 "needs_review": p.needs_review}}
                 for case, p in zip(request.cases, predictions)]
        try:
            report = run_isolated(root, cases)
        except (RulebookError, RulesRejected) as exc:
            return rejection(exc, root)
    decisions = [
        SimulatedDecision(case_id=case.case_id, category=p.label, tier=d["tier"], department=d["department"],
                          procedure=d["procedure"], level=d["level"], score=d["score"],
                          flags=[Flag(**f) for f in d["flags"]], rules_fired=d["rules_fired"])
        for case, p, d in zip(request.cases, predictions, report["decisions"])
    ]
    return SimulateResponse(version=report["version"], tests_passed=report["tests"]["passed"],
                            tests_failed=report["tests"]["failed"], decisions=decisions)
