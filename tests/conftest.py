"""Shared fixtures: the shipped rules and model, a fresh SQLite store per test."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy
import sqlalchemy.exc
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.domain import SHANGHAI, Case
from service.config import PROJECT_ROOT, Settings
from service.engine.durable_adapter import DurableEngine
from service.pipeline.casefacts import decide_rules
from service.pipeline.classifier import Prediction
from service.rulebook.loader import load_rulebook
from service.rulebook.runner import RuleOutcome, RuleRunner

RULES = PROJECT_ROOT / "rules"
MODEL = PROJECT_ROOT / "models" / "default"


@pytest.fixture(scope="session")
def rulebook():
    return load_rulebook(RULES)


@pytest.fixture(scope="session")
def runner(rulebook):
    return RuleRunner(rulebook, DurableEngine())


@pytest.fixture(scope="session")
def decide(runner):
    """Run the shipped rules on a text with a given category: no model involved.

    Subcategories may be given by their old names; they are read as their standard place, as the API reads them.
    """

    def run(text: str, category: str = "城乡建设", subcategory: str = "", *, received: dt.date | None = None,
            kind: str | None = None, **fields) -> RuleOutcome:
        request = Case(
            content=text,
            channel=fields.get("channel"),
            headcount=fields.get("headcount"),
            visited_level=fields.get("visited_level"),
            petitioner={"age": fields["age"]} if fields.get("age") else None,
            received_at=dt.datetime.combine(received or dt.date(2026, 6, 10), dt.time(10), SHANGHAI),
        )
        place = runner.rulebook.taxonomy.resolve(category, subcategory or None, kind)
        prediction = Prediction(place.category, place.subcategory or "", 0.9, (), False, None, place.type)
        return decide_rules(runner, request, prediction, request.received_at)

    return run


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A copy of the shipped rules directory that a test may edit."""
    return Path(shutil.copytree(RULES, tmp_path / "rules"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=RULES)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


POSTGRES_ADMIN_URL = os.environ.get("TRIAGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server, or a skip that says how to configure one."""
    engine = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sqlalchemy.exc.OperationalError:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}; set TRIAGE_TEST_POSTGRES_URL to run these tests on it")
    finally:
        engine.dispose()
    return POSTGRES_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh, empty database on each backend: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'triage.sqlite3'}"
        return
    admin_url = request.getfixturevalue("postgres_server")
    name = f"triage_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
