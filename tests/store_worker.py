"""A worker process for the multi-process store test: triage the JSON list of cases on stdin, one at a time."""

import json
import sys

from service.domain import Case
from service.config import Settings
from service.runtime import build_pipeline

pipeline = build_pipeline(Settings())
for case in json.loads(sys.stdin.read()):
    pipeline.triage(Case(**case))
