"""Security headers Django 5.2 does not set itself (Django 6 has its own CSP support)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jobs.storage import objects

# Our pages load only same-origin scripts and styles (htmx is vendored into static/) and use no
# inline <script>, <style> or on* handlers; media plays from our own views. ``frame-ancestors``
# repeats X-Frame-Options: DENY for browsers that only honour CSP.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _policy() -> str:
    """With object storage, pictures, media and direct uploads come from the bucket's origin:
    the pages redirect to signed URLs there, and the upload form sends files there."""
    if not objects.on_bucket():
        return CONTENT_SECURITY_POLICY
    origin = objects.public_origin()
    return (
        CONTENT_SECURITY_POLICY.replace("img-src 'self'", f"img-src 'self' {origin}")
        .replace("media-src 'self'", f"media-src 'self' {origin}")
        .replace("connect-src 'self'", f"connect-src 'self' {origin}")
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that needs a different policy sets its own header; it is left alone.
        response.headers.setdefault("Content-Security-Policy", _policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
