"""Runs the schemathesis check (tests/api/schema_check.py) in its own interpreter; see there why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_api_conforms_to_its_schema():
    completed = subprocess.run(
        # CPython 3.11.7's ast.parse fails spuriously deep in a stack (gh-106905, fixed in
        # 3.11.8). Besides hypothesis's own use (patched in schema_check.py), pytest calls it to
        # rewrite the asserts of every module it imports from a plugin's distribution (all of
        # schemathesis and hypothesis, imported lazily mid-test) and to pretty-print tracebacks:
        # --assert=plain and --tb=native turn both off. The check has no bare assert to rewrite.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=native",
         "--assert=plain",
         "-W", "ignore::pytest.PytestUnraisableExceptionWarning",
         str(Path(__file__).with_name("schema_check.py"))],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    output = completed.stdout[:6000] + completed.stderr[-2000:]
    assert completed.returncode == 0, output
    assert " passed" in completed.stdout and " failed" not in completed.stdout, output


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/v1/openapi.json"])
def test_it_writes_no_key_twice_in_the_openapi_documents(client, path):
    """Python's JSON reader keeps the last of two equal keys; Swagger UI refuses the document."""

    def unique(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get(path).content, object_pairs_hook=unique)
