"""kill -9 in the middle of a load: every case that was answered 200 is in the store afterwards."""

from __future__ import annotations

import importlib.util

from service.config import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("crash_test", PROJECT_ROOT / "scripts" / "crash_test.py")
crash_test = importlib.util.module_from_spec(spec)
spec.loader.exec_module(crash_test)


def test_every_answered_case_survives_a_kill_9(database_url, tmp_path):
    result = crash_test.run(requests=600, kill_after=250, data_dir=tmp_path / "data", database_url=database_url)
    assert result["killed"] and result["answered_200"] >= 250
    assert result["missing"] == [] and result["changed"] == []
    assert result["stored"] >= result["answered_200"]
