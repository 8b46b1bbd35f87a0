from django.urls import path

from jobs.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("email/", views.email_update, name="email-update"),
    path("api-keys/", views.api_key_create, name="api-key-create"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("webhook/", views.webhook_update, name="webhook-update"),
]
