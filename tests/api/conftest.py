from __future__ import annotations

import pytest

from jobs.api import keys


@pytest.fixture
def alice_key(alice) -> str:
    return keys.api_key_create(user=alice, name="tests").token


@pytest.fixture
def bob_key(bob) -> str:
    return keys.api_key_create(user=bob, name="tests").token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
