from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from jobs.accounts import views as accounts
from jobs.accounts.throttle import ThrottledAuthenticationForm
from jobs.ops import views as ops

admin.site.site_header = "Lectern administration"
admin.site.site_title = "Lectern admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("favicon.ico", ops.favicon, name="favicon"),
    path("api/v1/", include("jobs.api.views")),
    path("v1/", include("jobs.api.openai")),  # OpenAI's audio API, for OpenAI's clients
    path("", include("jobs.pages.urls")),
    path(
        "accounts/login/",
        LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    # Before django.contrib.auth's own, which sends the email in the request, with no limit.
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/", include("jobs.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("jobs.pages.segment_urls")),
]
