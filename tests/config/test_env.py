from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_it_reads_booleans_and_names_a_bad_one(monkeypatch):
    monkeypatch.setenv("LECTERN_X", "yes")
    assert env.boolean("LECTERN_X") is True
    monkeypatch.setenv("LECTERN_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="LECTERN_X"):
        env.boolean("LECTERN_X")


def test_it_reads_integers_with_bounds(monkeypatch):
    monkeypatch.setenv("LECTERN_N", "12")
    assert env.integer("LECTERN_N", 1) == 12
    monkeypatch.setenv("LECTERN_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="LECTERN_N must be an integer"):
        env.integer("LECTERN_N", 1)
    monkeypatch.setenv("LECTERN_N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.integer("LECTERN_N", 5, minimum=1)


def test_it_reads_secrets_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("SOME_KEY_FILE", str(secret))
    assert env.string("SOME_KEY") == "s3cret"


def test_it_parses_email_urls():
    import os

    os.environ["EMAIL_URL_TEST"] = (
        "smtp+tls://me%40x.org:p%40ss@mail.example.org:2525?from=hi@x.org"
    )
    try:
        parsed = env.email_settings("EMAIL_URL_TEST")
    finally:
        del os.environ["EMAIL_URL_TEST"]
    assert parsed["EMAIL_HOST"] == "mail.example.org" and parsed["EMAIL_PORT"] == 2525
    assert parsed["EMAIL_HOST_USER"] == "me@x.org" and parsed["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert parsed["EMAIL_USE_TLS"] is True and parsed["DEFAULT_FROM_EMAIL"] == "hi@x.org"
    assert env.email_settings("EMAIL_URL_UNSET")["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_it_refuses_an_unknown_email_scheme(monkeypatch):
    monkeypatch.setenv("EMAIL_URL_TEST", "carrier-pigeon://coop")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL_TEST"):
        env.email_settings("EMAIL_URL_TEST")
