"""Account pages: sign-up (when enabled) and the profile with this month's usage."""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_q.tasks import async_task

from jobs.accounts.throttle import client_address
from jobs.accounts.usage import usage_this_month
from jobs.api import keys, ratelimit
from jobs.intake import rules
from jobs.models import Webhook


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="Email", help_text="We send a message here when a job is done, and nothing else."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    # One message for a taken username and a taken email, not attached to either field, so that
    # the form cannot be used to learn who has an account here.
    TAKEN = (
        "An account cannot be created with this username and email. If you have an account, "
        "log in or reset your password; otherwise choose another username."
    )

    def clean_username(self) -> str:
        try:
            return super().clean_username()
        except forms.ValidationError:
            raise forms.ValidationError(self.TAKEN, code="taken") from None

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(self.TAKEN, code="taken")
        return email

    def _post_clean(self) -> None:
        super()._post_clean()  # the model's own unique check may add a second, telling error
        taken = False
        for field in ("username", "email"):
            errors = self.errors.as_data().get(field, [])
            if any(error.code in ("taken", "unique") for error in errors):
                self.errors.pop(field)
                taken = True
        if taken:
            self.add_error(None, forms.ValidationError(self.TAKEN, code="taken"))


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this site.")
    if request.user.is_authenticated:
        return redirect("jobs:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        # Bounded per address, so that trying names one by one is slow.
        decision = ratelimit.hit(
            f"signup:{client_address(request)}",
            limit=settings.LECTERN_SIGNUPS_PER_HOUR_PER_ADDRESS,
            window=3600,
        )
        if not decision.allowed:
            form.add_error(None, "Too many sign-up attempts from your address; try again later.")
            return render(request, "registration/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="jobs.accounts.throttle.ThrottledModelBackend")
        return redirect("jobs:dashboard")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link: bounded per address and per account, and answered the same, as fast,
    whether the address has an account or not (the link is looked up and sent by a task)."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST":
        by_address = ratelimit.hit(
            f"reset-address:{client_address(request)}",
            limit=settings.LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ADDRESS,
            window=3600,
        )
        if not by_address.allowed:
            form.add_error(None, "Too many reset requests from your address; try again later.")
            response = render(
                request, "registration/password_reset_form.html", {"form": form}, status=429
            )
            response["Retry-After"] = str(by_address.retry_after)
            return response
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        account = hashlib.sha256(email.encode()).hexdigest()[:32]
        # Counted for every address asked about, known or not, so the limit tells nothing either;
        # past it the request is answered as usual and no further email goes out this hour.
        if ratelimit.hit(
            f"reset-account:{account}",
            limit=settings.LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ACCOUNT,
            window=3600,
        ).allowed:
            async_task("jobs.accounts.mail.send_password_reset", email, task_name="password-reset")
        return redirect("password_reset_done")
    return render(
        request,
        "registration/password_reset_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


class EmailForm(forms.Form):
    """A new address for job notifications (and password resets), confirmed by the password, so
    that someone at an unattended browser cannot redirect the account's resets to themselves."""

    email = forms.EmailField(label="Email for notifications", max_length=254)
    password = forms.CharField(label="Your password", widget=forms.PasswordInput, strip=False)

    def __init__(self, user: AbstractBaseUser, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["email"].initial = getattr(user, "email", "")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        others = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk)
        if others.exists():
            raise forms.ValidationError("This address cannot be used; choose another.")
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


# The session key that carries a new API key from its POST to the one page that shows it.
NEW_API_KEY = "lectern_new_api_key"


def _profile(request: HttpRequest, status: int = 200, **extra: object) -> HttpResponse:
    context = {
        "usage": usage_this_month(request.user.pk),
        # The OpenAI line only where OpenAI can be used, or was this month.
        "openai_configured": bool(settings.OPENAI_API_KEY),
        "api_keys": keys.api_keys_for_user(request.user),
        "webhook": Webhook.objects.filter(user=request.user).first(),
        "email_form": EmailForm(request.user),
        **extra,
    }
    return render(request, "registration/profile.html", context, status=status)


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    new = request.session.pop(NEW_API_KEY, None)
    if not new:
        return _profile(request)
    response = _profile(request, new_key=new["token"], new_key_id=new["id"])
    # The key is in this page only: no cache (the browser's or a proxy's) may keep a copy.
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_POST
def api_key_create(request: HttpRequest) -> HttpResponse:
    created = keys.api_key_create(user=request.user, name=request.POST.get("name", ""))
    # Redirect after POST, so that reloading the page cannot make a second key. The key waits in
    # this browser's session (stored on the server, not in the cookie) only until the profile
    # shows it, once, and is taken out of it then.
    request.session[NEW_API_KEY] = {"token": created.token, "id": created.key.pk}
    return redirect(f"{reverse('accounts:profile')}#api-keys")


@login_required
@require_POST
def email_update(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.user, request.POST)
    if not form.is_valid():
        return _profile(request, status=400, email_form=form)
    request.user.email = form.cleaned_data["email"]
    request.user.save(update_fields=["email"])
    messages.success(request, f"Job notifications now go to {request.user.email}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    if keys.api_key_revoke(user=request.user, key_id=key_id):
        messages.info(request, "The API key was revoked; requests with it are now refused.")
    else:
        raise Http404("No such key.")
    return redirect("accounts:profile")


@login_required
@require_POST
def webhook_update(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "rotate":
        keys.webhook_rotate_secret(user=request.user)
        messages.info(request, "The webhook has a new secret; update your receiver.")
        return redirect("accounts:profile")
    url = request.POST.get("url", "")
    try:
        webhook = keys.webhook_set(user=request.user, url=url)
    except rules.UnsafeURL as exc:
        return _profile(request, status=400, webhook_error=str(exc), webhook_url=url[:2000])
    messages.info(request, "The webhook was saved." if webhook else "The webhook was removed.")
    return redirect("accounts:profile")
