from __future__ import annotations

import pytest

from jobs.api import keys, ratelimit
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_it_answers_429_with_retry_after_past_the_per_key_limit(client, alice_key, settings):
    settings.LECTERN_API_RATE_PER_MINUTE = 3
    statuses = [client.get("/api/v1/jobs", headers=bearer(alice_key)).status_code for _ in range(3)]
    refused = client.get("/api/v1/jobs", headers=bearer(alice_key))

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests" in refused.json()["detail"]


def test_the_user_limit_covers_all_of_a_users_keys(client, alice, bob_key, settings):
    settings.LECTERN_API_RATE_PER_MINUTE = 100
    settings.LECTERN_API_USER_RATE_PER_MINUTE = 4
    first = keys.api_key_create(user=alice).token
    second = keys.api_key_create(user=alice).token

    answers = [
        client.get("/api/v1/jobs", headers=bearer(key)).status_code
        for key in [first, second, first, second, first]
    ]

    assert answers == [200, 200, 200, 200, 429]
    # Another user is not affected.
    assert client.get("/api/v1/jobs", headers=bearer(bob_key)).status_code == 200


def test_the_window_resets():
    for _ in range(2):
        assert ratelimit.hit("t", limit=2, window=60, now=1000.0).allowed
    refused = ratelimit.hit("t", limit=2, window=60, now=1019.5)
    assert not refused.allowed and refused.retry_after == 1

    assert ratelimit.hit("t", limit=2, window=60, now=1020.0).allowed
