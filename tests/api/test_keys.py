from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from jobs.api import keys
from jobs.models import ApiKey
from tests.api.conftest import bearer
from tests.factories import finished_job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("lec_not-a-real-key"), bearer(""), {"Authorization": "Basic YWxpY2U6eA=="}],
)
def test_it_answers_401_in_json_without_a_valid_key(client, alice, headers):
    response = client.get("/api/v1/jobs", headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "API key" in response.json()["detail"]


def test_it_stores_only_a_hash_and_refuses_a_revoked_key(client, alice):
    created = keys.api_key_create(user=alice, name="script")
    key = ApiKey.objects.get()
    assert created.token not in (key.hashed_key, key.prefix) and created.token.startswith(
        key.prefix
    )
    assert key.last_used_at is None

    assert client.get("/api/v1/jobs", headers=bearer(created.token)).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None

    assert keys.api_key_revoke(user=alice, key_id=key.pk)
    assert client.get("/api/v1/jobs", headers=bearer(created.token)).status_code == 401


def test_the_command_prints_a_working_key_once(client, alice):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "alice", "--name", "cron", stdout=out, stderr=err)

    token = out.getvalue().strip()
    assert ApiKey.objects.get().name == "cron" and token not in err.getvalue()
    assert client.get("/api/v1/jobs", headers=bearer(token)).status_code == 200


def test_a_key_sees_only_its_users_jobs(client, alice, bob, bob_key):
    finished_job(alice, "alice.mp4")
    assert client.get("/api/v1/jobs", headers=bearer(bob_key)).json()["count"] == 0


def test_the_profile_creates_shows_once_and_revokes_keys(client, alice, bob):
    client.force_login(alice)
    created = client.post(reverse("accounts:api-key-create"), {"name": "laptop"})
    # Redirect after POST: reloading the page that shows the key makes no second key.
    assert created.status_code == 302 and created["Location"].endswith("/profile/#api-keys")
    shown = client.get(created["Location"])
    assert "no-store" in shown["Cache-Control"]
    page = shown.content.decode()
    assert client.get(created["Location"]).status_code == 200  # the reload
    key = ApiKey.objects.get(user=alice)
    token = page.split('id="new-api-key">', 1)[1].split("<", 1)[0]
    assert token.startswith(key.prefix) and keys.hash_token(token) == key.hashed_key
    assert "laptop" in page

    listing = client.get(reverse("accounts:profile")).content.decode()
    assert key.prefix in listing and token not in listing

    # Someone else's key cannot be revoked (and is not found); one's own can.
    client.force_login(bob)
    assert client.post(reverse("accounts:api-key-revoke", args=[key.pk])).status_code == 404
    client.force_login(alice)
    assert client.post(reverse("accounts:api-key-revoke", args=[key.pk])).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client.get("/api/v1/jobs", headers=bearer(token)).status_code == 401
    assert client.get(reverse("accounts:api-key-revoke", args=[key.pk])).status_code == 405
