"""Production settings pass Django's deploy checks, and every page carries the security headers."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "LECTERN_"))  # only what the test sets
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", LECTERN_DATA_DIR=str(tmp_path))
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_checks_in_production(tmp_path):
    result = _check_deploy(
        tmp_path,
        DJANGO_DEBUG="0",
        LECTERN_HTTPS="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="lectern.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced: security.W021, HSTS preload, an opt-in (LECTERN_HSTS_PRELOAD).
    assert "System check identified no issues (1 silenced)." in result.stdout


def _hsts_header(tmp_path: Path, **env: str) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "LECTERN_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", LECTERN_DATA_DIR=str(tmp_path),
        DJANGO_ALLOWED_HOSTS="testserver", LECTERN_HTTPS="1", **env,
    )  # fmt: skip
    script = (
        "from django.test import Client; "
        "print(Client().get('/favicon.ico', secure=True)['Strict-Transport-Security'])"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=BASE_DIR, env=environment,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def test_it_sends_hsts_preload_only_when_asked(tmp_path):
    assert _hsts_header(tmp_path) == "max-age=31536000; includeSubDomains"
    assert _hsts_header(tmp_path, LECTERN_HSTS_PRELOAD="1") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    opted_in = _check_deploy(
        tmp_path, DJANGO_DEBUG="0", LECTERN_HTTPS="1", LECTERN_HSTS_PRELOAD="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS="lectern.example.org",
    )  # fmt: skip
    assert "System check identified no issues (0 silenced)." in opted_in.stdout


def test_the_deploy_check_would_notice_plain_http(tmp_path):
    # The check above is only worth something if it can fail: without HTTPS it must.
    result = _check_deploy(
        tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS="example.org"
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client, alice, password):
    client.login(username=alice.username, password=password)
    for url in ("/", "/accounts/login/", "/no-such-page/", "/healthz"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, url
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]


COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on* event handler"),
    (re.compile(r"\shx-on", re.I), "hx-on (evaluated as inline script)"),
    (re.compile(r"(?:href|src)\s*=\s*[\"']javascript:", re.I), "a javascript: URL"),
]


def test_no_page_template_needs_unsafe_inline():
    """The policy allows only same-origin scripts and styles; inline ones would silently break."""
    problems = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")):
        if "emails" in template.parts:  # emails are read in mail clients, not under our CSP
            continue
        # Template comments are not sent; blank them out, keeping the line numbers.
        text = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), template.read_text())
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{template.relative_to(BASE_DIR)}:{line}: {what}")
    assert not problems, "\n".join(problems)
