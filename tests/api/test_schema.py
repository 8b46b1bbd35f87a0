"""Runs the schemathesis check (tests/api/schema_check.py) in its own interpreter; see there why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_api_conforms_to_its_schema():
    completed = subprocess.run(
        # --tb=native: pytest's own traceback pretty-printer parses source with ast, which is what
        # trips over the CPython bug; the native one does not.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=native",
         "-W", "ignore::pytest.PytestUnraisableExceptionWarning",
         str(Path(__file__).with_name("schema_check.py"))],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    output = completed.stdout[:6000] + completed.stderr[-2000:]
    assert completed.returncode == 0, output
    assert " passed" in completed.stdout and " failed" not in completed.stdout, output
