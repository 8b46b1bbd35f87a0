from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from jobs import ops
from jobs.throttle import ThrottledAuthenticationForm

admin.site.site_header = "Lectern administration"
admin.site.site_title = "Lectern admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("api/v1/", include("jobs.api")),
    path("", include("jobs.urls")),
    path(
        "accounts/login/",
        LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("transcripts.urls")),
]
