from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"signup_enabled": settings.SIGNUP_ENABLED}
