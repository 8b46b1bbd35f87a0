"""Property-based tests of every API operation against its own OpenAPI document (schemathesis).

Not collected by itself (the name does not start with test_): tests/api/test_schema.py runs it in
a fresh interpreter, because late in a long session CPython 3.11.7 fails compiling schemathesis's
lazily imported modules ("AST constructor recursion depth mismatch", fixed in 3.11.8).

Authenticated as alice, with her own jobs in the database, so that the generated requests reach
the real code paths (404 for random ids, 200 for hers), not just the 401 of the auth layer.
"""

from __future__ import annotations

import pytest
import schemathesis

# Imported here, at the top of the stack, not lazily deep inside hypothesis: compiling a module
# there trips CPython 3.11.7's "AST constructor recursion depth mismatch" (fixed in 3.11.8).
import schemathesis.generation.dictionaries
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis.internal import lambda_sources
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from config.wsgi import application
from tests.api.conftest import bearer
from tests.factories import add_clip, finished_job


def _describe_lambda(f, *args, **kwargs):
    """Hypothesis's lambda describer, which ast.parses source to name a filter in a repr.

    Deep in a draw CPython 3.11.7 fails that parse with "SystemError: AST constructor recursion
    depth mismatch" (gh-106905, fixed in 3.11.8), and the draw fails with it. The description is
    only for messages, so a lambda that cannot be parsed is described as unknown, as hypothesis
    does for any source it cannot read.
    """
    try:
        return _lambda_description(f, *args, **kwargs)
    except SystemError:
        return "lambda *args: <unknown>"


_lambda_description = lambda_sources._lambda_description
lambda_sources._lambda_description = _describe_lambda

# Django's test client stops requests from closing the database connection at their start and
# end (the test's transaction lives on it); schemathesis calls the WSGI app directly, so do the same.
signals.request_started.disconnect(close_old_connections)
signals.request_finished.disconnect(close_old_connections)

# Loaded from the app itself, so the test always checks the document that is served.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples every run: a failure here is reproducible
)
def test_the_api_conforms_to_its_schema(case, alice, alice_key, django_settings_for_api):
    job = finished_job(alice, "lecture.mp4", texts=("Hello.", "World."))
    add_clip(job, 0, b"clip", b"jpeg")
    # A create request that fits the schema can still be refused for its content: the link is
    # checked against DNS and the SSRF rules, and a body needs a file or a url, not both.
    # Reads ignore query parameters they do not know (the web's convention), which schemathesis
    # would count as accepting a request that violates the schema.
    excluded = [positive_data_acceptance] if case.method == "POST" else [negative_data_rejection]
    case.call_and_validate(headers=bearer(alice_key), excluded_checks=excluded)


@pytest.fixture
def django_settings_for_api(settings):
    settings.LECTERN_API_RATE_PER_MINUTE = 100_000
    settings.LECTERN_API_USER_RATE_PER_MINUTE = 100_000
    settings.URL_ALLOWLIST = []
