"""Account pages: sign-up (when enabled) and the profile with this month's usage."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs import apikeys, intake
from jobs.models import Webhook
from transcripts.usage import usage_this_month


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="Email", help_text="We send a message here when a job is done, and nothing else."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email exists; try logging in.")
        return email


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this site.")
    if request.user.is_authenticated:
        return redirect("jobs:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("jobs:dashboard")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )


def _profile(request: HttpRequest, status: int = 200, **extra: object) -> HttpResponse:
    context = {
        "usage": usage_this_month(request.user.pk),
        "api_keys": apikeys.api_keys_for_user(request.user),
        "webhook": Webhook.objects.filter(user=request.user).first(),
        **extra,
    }
    return render(request, "registration/profile.html", context, status=status)


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return _profile(request)


@login_required
@require_POST
def api_key_create(request: HttpRequest) -> HttpResponse:
    created = apikeys.api_key_create(user=request.user, name=request.POST.get("name", ""))
    # Rendered, not redirected: the key is never stored anywhere in the clear, not even in the
    # session, so this response is the only time it is shown.
    return _profile(request, new_key=created.token, new_key_id=created.key.pk)


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    if apikeys.api_key_revoke(user=request.user, key_id=key_id):
        messages.info(request, "The API key was revoked; requests with it are now refused.")
    else:
        raise Http404("No such key.")
    return redirect("jobs:profile")


@login_required
@require_POST
def webhook_update(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "rotate":
        apikeys.webhook_rotate_secret(user=request.user)
        messages.info(request, "The webhook has a new secret; update your receiver.")
        return redirect("jobs:profile")
    url = request.POST.get("url", "")
    try:
        webhook = apikeys.webhook_set(user=request.user, url=url)
    except intake.UnsafeURL as exc:
        return _profile(request, status=400, webhook_error=str(exc), webhook_url=url[:2000])
    messages.info(request, "The webhook was saved." if webhook else "The webhook was removed.")
    return redirect("jobs:profile")
