"""An installed wheel works outside the checkout: the shipped rules, schemas and corpus travel with it."""

from __future__ import annotations

import subprocess
import sys

from service.config import PROJECT_ROOT

CHECK = """
import sys
from pathlib import Path
import service
from service.cli import app
from service.config import Settings
assert Path(service.__file__).is_relative_to(sys.argv[1]), service.__file__  # the wheel's copy, not the checkout's
assert Settings().rules_dir.resolve().is_relative_to(sys.argv[1]), Settings().rules_dir
app(["rules", "check"])
"""


def test_a_wheel_installed_elsewhere_loads_its_rules_and_passes_its_rule_tests(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(PROJECT_ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next(wheels.glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-c", CHECK, str(target.resolve())], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok: ") and "rule tests" in result.stdout
