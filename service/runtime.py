"""Build the pipeline from settings: model, rules, engine and store, loaded once."""

from __future__ import annotations

import functools

from service.config import Settings
from service.engine.durable_adapter import DurableEngine
from service.pipeline.classifier import Classifier
from service.pipeline.triage import TriagePipeline
from service.privacy import load_key
from service.rulebook.active import ActiveRules
from service.rulebook.isolated import pretest
from service.store.repo import CaseRepository, make_engine


def build_pipeline(settings: Settings, *, with_store: bool = True) -> TriagePipeline:
    classifier = Classifier.load(settings.model_dir, settings.review_threshold)
    rules = ActiveRules(settings.rules_dir, DurableEngine(),
                        pretest=functools.partial(pretest, timeout=settings.rules_pretest_timeout))
    store = None
    if with_store:
        store = CaseRepository(make_engine(settings.resolved_database_url), load_key(settings.data_dir))
    return TriagePipeline(classifier, rules, store)
