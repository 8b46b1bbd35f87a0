"""Sign-in bursts, what sign-up tells, and rate limits that hold across web processes."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from jobs.api import keys

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_refuses_even_the_right_password_after_a_burst_of_wrong_ones(client, alice, password):
    answers = [_log_in(client, "alice", f"guess-{i}").status_code for i in range(30)]
    assert answers == [200] * 30  # the form again, never a way in
    response = _log_in(client, "alice", password)
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in response.content.decode()
    # Another account from another address is not locked out by Alice's attacker.
    get_user_model().objects.create_user("carol", "carol@example.com", password)
    assert _log_in(client, "carol", password, address="198.51.100.8").status_code == 302


def test_it_throttles_one_address_trying_many_accounts(client, alice, password, settings):
    settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS = 10
    for i in range(10):
        _log_in(client, f"user{i}", "wrong", address="203.0.113.9")
    response = _log_in(client, "alice", password, address="203.0.113.9")
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in response.content.decode()
    assert _log_in(client, "alice", password, address="203.0.113.10").status_code == 302


def test_it_lets_the_owner_in_below_the_limit(client, alice, password):
    for i in range(4):
        _log_in(client, "alice", f"typo-{i}")
    assert _log_in(client, "alice", password).status_code == 302


def test_it_throttles_the_admin_login_too(client, staff, password):
    for i in range(5):
        client.post("/admin/login/", {"username": "root", "password": f"x{i}"})
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": password})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("alice", "new@example.com"),
        ("newcomer", "alice@example.com"),
        ("alice", "alice@example.com"),
    ],
)
def test_it_gives_one_neutral_answer_for_a_taken_name_or_email(
    client, alice, settings, username, email
):
    settings.SIGNUP_ENABLED = True
    fresh = client.post(
        reverse("accounts:signup"),
        {"username": "nobody", "email": "nobody@example.com",
         "password1": "x", "password2": "y"},
    ).content.decode()  # fmt: skip
    taken = client.post(
        reverse("accounts:signup"),
        {"username": username, "email": email,
         "password1": "a long, unusual passphrase", "password2": "a long, unusual passphrase"},
    )  # fmt: skip
    page = taken.content.decode()
    assert taken.status_code == 400
    assert "An account cannot be created with this username and email" in page
    for telling in ("already exists", "with this email exists", "A user with that username"):
        assert telling not in page and telling not in fresh


def _wait_away_from_a_minute_boundary(margin: float = 8) -> None:
    """Fixed one-minute windows: start where the whole burst fits in one of them."""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 0.5)


def test_it_keeps_the_api_rate_limit_across_two_web_processes(alice, web_process):
    env = {"LECTERN_API_RATE_PER_MINUTE": "10", "LECTERN_API_USER_RATE_PER_MINUTE": "100"}
    first, second = web_process(**env), web_process(**env)
    token = keys.api_key_create(user=alice, name="tests").token
    _wait_away_from_a_minute_boundary()
    statuses = []
    for i in range(20):  # alternating: each process sees 10 requests
        web = (first, second)[i % 2]
        request = urllib.request.Request(
            f"{web.base_url}/api/v1/jobs", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    assert statuses.count(200) == 10  # not 10 per process
    assert statuses.count(429) == 10
