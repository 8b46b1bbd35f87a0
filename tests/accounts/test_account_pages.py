"""The account pages: sign-up (and turning it off), password reset by email, this month's usage."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_q.conf import Conf

from jobs.models import Job
from tests.factories import finished_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_keeps_sign_up_closed_unless_a_setting_opens_it(client, settings):
    from config.settings import SIGNUP_ENABLED

    assert SIGNUP_ENABLED is False  # the default, with LECTERN_SIGNUP unset
    assert client.get(reverse("accounts:signup")).status_code == 404
    assert "Create an account" not in client.get(reverse("login")).content.decode()


def test_it_signs_up_and_can_be_turned_off(client, settings):
    settings.SIGNUP_ENABLED = True
    assert "Create an account" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("accounts:signup"), {"username": "carol", "email": "carol@example.com",
                                                    "password1": "a-long-pass-phrase-42",
                                                    "password2": "a-long-pass-phrase-42"})  # fmt: skip
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # logged in straight away

    settings.SIGNUP_ENABLED = False
    client.logout()
    assert client.get(reverse("accounts:signup")).status_code == 404
    assert "Create an account" not in client.get(reverse("login")).content.decode()


def test_it_resets_a_password_by_email(client, alice, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # the email is sent by a task: run it at once
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "a-new-pass-phrase-77",
                                                    "new_password2": "a-new-pass-phrase-77"})  # fmt: skip
    assert done.status_code == 302
    assert client.login(username="alice", password="a-new-pass-phrase-77")


def test_it_shows_this_months_usage_on_the_profile(client, alice):
    finished_job(alice, "a.mp4", ["x"])  # 30 s
    Job.objects.create(owner=alice, status=Job.Status.SUCCEEDED, duration=90, backend="openai")
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "<dd>2</dd>" in page  # jobs
    assert "<dd>2.0</dd>" in page  # minutes
    assert "1.5 of 600" in page  # metered minutes of the quota: shown, used this month


def test_it_shows_the_openai_minutes_only_where_openai_is_configured(client, alice, settings):
    settings.OPENAI_API_KEY = ""
    client.force_login(alice)
    assert "OpenAI minutes" not in client.get(reverse("accounts:profile")).content.decode()
    settings.OPENAI_API_KEY = "sk-test"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "OpenAI minutes" in page and "0.0 of 600" in page


def test_it_changes_the_notification_address_with_the_password(client, alice, bob, password):
    client.force_login(alice)
    url = reverse("accounts:email-update")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'action="{url}"' in page

    wrong = client.post(url, {"email": "new@example.com", "password": "not it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    taken = client.post(url, {"email": "BOB@example.com", "password": password})
    assert taken.status_code == 400 and "cannot be used" in taken.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"

    changed = client.post(url, {"email": "Alice.New@Example.com", "password": password})
    assert changed.status_code == 302 and changed["Location"] == reverse("accounts:profile")
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert "Job notifications now go to alice.new@example.com" in (
        client.get(changed["Location"]).content.decode()
    )
