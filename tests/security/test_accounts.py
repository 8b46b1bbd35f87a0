"""Sign-in bursts, what sign-up tells, and rate limits that hold across web processes."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django_q.conf import Conf

from jobs.accounts import throttle
from jobs.api import keys

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client) -> bool:
    signed_in = "_auth_user_id" in client.session
    client.logout()
    return signed_in


def test_it_locks_the_attackers_address_out_of_the_account_but_not_its_owner(
    client, alice, password
):
    assert _log_in(client, "alice", password, address="192.0.2.20").status_code == 302  # home
    client.logout()
    answers = [_log_in(client, "alice", f"guess-{i}").status_code for i in range(30)]
    assert answers == [200] * 30  # the form again, never a way in
    # Even the right password, from the attacker's address:
    response = _log_in(client, "alice", password)
    assert not _signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()
    # Alice at home, where she signed in before, is not kept out by the attacker elsewhere.
    assert _log_in(client, "alice", password, address="192.0.2.20").status_code == 302
    assert _signed_in(client)
    # Another account from another address is not touched either.
    get_user_model().objects.create_user("carol", "carol@example.com", password)
    assert _log_in(client, "carol", password, address="198.51.100.8").status_code == 302


def test_it_backs_the_account_off_exponentially_for_addresses_it_does_not_know(
    client, alice, password, settings
):
    settings.LECTERN_LOGIN_BACKOFF_SECONDS = 0.5
    settings.LECTERN_LOGIN_BACKOFF_MAX_SECONDS = 300
    assert [throttle.backoff_seconds(n) for n in range(4, 10)] == [0, 0.5, 1, 2, 4, 8]
    assert throttle.backoff_seconds(10_000) == 300
    # Five failures from five addresses: no address reaches its own limit, the account does.
    for i in range(5):
        _log_in(client, "alice", "wrong", address=f"203.0.113.{i}")
    response = _log_in(client, "alice", password, address="198.51.100.99")
    assert not _signed_in(client)
    assert "Too many failed sign-ins. Try again in 1 second" in response.content.decode()
    time.sleep(0.6)  # the back-off, not a lock: once it has passed, the right password works
    assert _log_in(client, "alice", password, address="198.51.100.99").status_code == 302


def test_it_counts_failures_per_address_without_refusing_another_accounts_password(
    client, alice, password, settings
):
    """A campus behind one NAT address: someone there sprays passwords over many accounts."""
    settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS = 10
    carol = get_user_model().objects.create_user("carol", "carol@example.com", password)
    for i in range(9):
        _log_in(client, f"user{i}", "wrong", address="203.0.113.9")
    _log_in(client, carol.username, "wrong", address="203.0.113.9")
    # Past the address's limit: accounts it failed on are closed to it, even with the password...
    response = _log_in(client, "carol", password, address="203.0.113.9")
    assert not _signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()
    # ...but Alice, behind the same address and never tried from it, signs in.
    assert _log_in(client, "alice", password, address="203.0.113.9").status_code == 302
    assert _signed_in(client)
    assert _log_in(client, "carol", password, address="203.0.113.10").status_code == 302


def test_it_tells_staff_about_bursts_at_most_so_often(
    client, alice, staff, password, settings, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task at once, in this thread
    settings.LECTERN_LOGIN_ALERTS_PER_HOUR = 1
    settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS = 8
    for i in range(5):
        _log_in(client, "alice", f"guess-{i}", address=f"203.0.113.{i}")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["root@example.com"]
    assert "5 failed sign-ins for the username 'alice'" in mail.outbox[0].body
    for i in range(8):  # an address's burst: logged, but the hour's one email went out
        _log_in(client, f"user{i}", "wrong", address="198.51.100.50")
    assert len(mail.outbox) == 1


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
