"""Build the pipeline from settings: model, rules, engine and store, loaded once."""

from __future__ import annotations

import functools

from service.config import Settings
from service.engine.durable_adapter import DurableEngine
from service.pipeline.classifier import Classifier
from service.pipeline.tokenize import use_cache_dir
from service.pipeline.triage import TriagePipeline
from service.privacy import load_key
from service.rulebook.active import ActiveRules
from service.rulebook.isolated import pretest
from service.store.engine import make_engine
from service.store.repo import CaseRepository


def build_pipeline(settings: Settings, *, with_store: bool = True) -> TriagePipeline:
    use_cache_dir(settings.cache_dir)
    classifier = Classifier.load(settings.model_dir, settings.review_threshold)
    rules = ActiveRules(settings.rules_dir, DurableEngine(),
                        pretest=functools.partial(pretest, timeout=settings.rules_pretest_timeout))
    store = open_store(settings) if with_store else None
    return TriagePipeline(classifier, rules, store)


def open_store(settings: Settings) -> CaseRepository:
    """The case store the settings name, migrated to the newest schema."""
    return CaseRepository(make_engine(settings.resolved_database_url), load_key(settings.data_dir))
