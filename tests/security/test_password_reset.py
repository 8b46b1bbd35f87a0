"""Password reset: links from LECTERN_BASE_URL, requests bounded, and no telling who has an account.

Emails go to a real SMTP server on 127.0.0.1 (aiosmtpd, ``tests.servers.SMTPInbox``). The reset
email is sent by a django-q2 task; ``run_tasks_inline`` runs it in the request's thread, and the
timing test leaves it queued, as production does.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.urls import reverse
from django_q.conf import Conf
from django_q.models import OrmQ

from jobs.accounts import mail as account_mail
from tests.servers import SMTPInbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run_tasks_inline(monkeypatch) -> None:
    monkeypatch.setattr(Conf, "SYNC", True)


def _ask(client, email: str, address: str = "198.51.100.7", **extra):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address, **extra)


def test_it_builds_the_link_from_the_base_url_not_the_host_header(
    client, alice, settings, run_tasks_inline
):
    settings.ALLOWED_HOSTS = ["*"]  # a server that lets any Host through, as many proxies do
    settings.BASE_URL = "https://lectern.example.org"
    with SMTPInbox() as inbox:
        inbox.use_in(settings)
        response = _ask(client, "alice@example.com", HTTP_HOST="attacker.example")
    assert response.status_code == 302
    (message,) = inbox.messages
    body = message.get_content()
    assert message["To"] == "alice@example.com"
    assert "https://lectern.example.org/accounts/reset/" in body
    assert "attacker.example" not in body


def test_it_limits_reset_emails_per_account_and_requests_per_address(
    client, alice, settings, run_tasks_inline
):
    settings.LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ACCOUNT = 3
    settings.LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 10
    with SMTPInbox() as inbox:
        inbox.use_in(settings)
        # Fifteen in a row for Alice, from fifteen addresses: three emails, the same answer.
        answers = {_ask(client, "alice@example.com", f"203.0.113.{i}").status_code
                   for i in range(15)}  # fmt: skip
        assert answers == {302}
        assert len(inbox.messages) == 3
        # One address asking about many: refused past its limit, with Retry-After.
        statuses = [_ask(client, f"someone{i}@example.com", "198.51.100.1") for i in range(11)]
    assert [r.status_code for r in statuses[:10]] == [302] * 10
    assert statuses[10].status_code == 429 and int(statuses[10]["Retry-After"]) > 0
    assert "Too many reset requests" in statuses[10].content.decode()
    assert len(inbox.messages) == 3  # no account behind those addresses


def test_it_answers_known_and_unknown_addresses_alike_without_waiting_for_the_mail(
    client, alice, settings
):
    settings.LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ACCOUNT = 100
    with SMTPInbox(delay=0.5) as inbox:  # a slow mail server, as a distant one is
        inbox.use_in(settings)
        times: dict[str, list[float]] = {"alice@example.com": [], "nobody@example.com": []}
        answers = set()
        for _ in range(5):
            for email, spent in times.items():
                started = time.perf_counter()
                response = _ask(client, email)
                spent.append(time.perf_counter() - started)
                answers.add((response.status_code, response["Location"]))
        known = statistics.median(times["alice@example.com"])
        unknown = statistics.median(times["nobody@example.com"])
        assert len(answers) == 1  # the same answer
        assert known < unknown + 0.25, (known, unknown)  # the 0.5 s of SMTP is not in it
        # The same work for both: one queued task a request, the look-up left to the task.
        tasks = [task.task for task in OrmQ.objects.all()]
        assert len(tasks) == 10
        assert {t["func"] for t in tasks} == {"jobs.accounts.mail.send_password_reset"}
        for task in tasks:  # what the worker then does
            account_mail.send_password_reset(*task["args"])
    assert len(inbox.messages) == 5 and {m["To"] for m in inbox.messages} == {"alice@example.com"}
