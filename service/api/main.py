"""The FastAPI application. The model and rules load in `lifespan`, not at import."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from service import __version__
from service.api.limits import BodyLimit
from service.api.routes import cases, meta, rules, triage
from service.config import Settings, settings_from
from service.errors import CaseConflict, TriageError
from service.privacy import redact
from service.runtime import build_pipeline
from service.store.engine import StoreUnavailable

RETRY_AFTER_SECONDS = 5

log = logging.getLogger("triage.api")


def _reload_on_sighup(pipeline) -> None:
    """`kill -HUP <pid>` reloads the rules directory, as POST /v1/rules/reload does."""
    try:
        active = pipeline.rules.reload(by="SIGHUP")
        log.warning("rules reloaded on SIGHUP: version %s", active.version)
    except TriageError as exc:
        log.error("rules reload on SIGHUP rejected; the active rules stay: %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_from()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pipeline = build_pipeline(settings)
        redact_access_log()
        if not settings.api_keys:
            log.warning("no TRIAGE_API_KEYS configured: every caller has every role")
        loop = asyncio.get_running_loop()
        # Signals reach only the main thread's loop (a server's); an in-process test client runs elsewhere.
        on_main_thread = threading.current_thread() is threading.main_thread()
        if on_main_thread:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, _reload_on_sighup, app.state.pipeline))
        yield
        if on_main_thread:
            loop.remove_signal_handler(signal.SIGHUP)
        if app.state.pipeline.store is not None:
            app.state.pipeline.store.close()
        del app.state.pipeline  # the app object may outlive its server (its docs routes close over it)

    app = FastAPIOffline(  # Swagger UI and ReDoc served from the package: /docs works offline
        title="Petition triage",
        version=__version__,
        description="Classifies Chinese petitions (信访) and citizen complaints, routes them to a tier and "
        "department, sets deadlines and flags risk, each flag with its reason.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(triage.router)
    app.include_router(meta.router)
    app.include_router(rules.router)
    app.include_router(cases.router)

    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The input is never echoed back: it may carry personal data.
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(CaseConflict)
    async def _conflict(request: Request, exc: CaseConflict) -> JSONResponse:
        return JSONResponse(status_code=409, content=conflict_body(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("%s", exc)
        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                            content={"detail": f"{exc}; nothing was stored; retry in {RETRY_AFTER_SECONDS} s"})

    @app.exception_handler(TriageError)
    async def _triage_error(request: Request, exc: TriageError) -> JSONResponse:
        log.error("triage failed: %s", type(exc).__name__)
        return JSONResponse(status_code=503, content={"detail": f"{type(exc).__name__}: the case was not decided"})

    return app


def conflict_body(exc: CaseConflict) -> dict:
    return {"detail": str(exc), "stored_hash": exc.stored_hash, "sent_hash": exc.sent_hash}


class RedactingFilter(logging.Filter):
    """Access-log lines carry paths and query strings: mask phone and ID numbers in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactingFilter) for f in access.filters):
        access.addFilter(RedactingFilter())
