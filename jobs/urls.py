from django.urls import path

from jobs import account_views, layout_views, views

app_name = "jobs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/api-keys/", account_views.api_key_create, name="api-key-create"),
    path(
        "accounts/api-keys/<int:key_id>/revoke/",
        account_views.api_key_revoke,
        name="api-key-revoke",
    ),
    path("accounts/webhook/", account_views.webhook_update, name="webhook-update"),
    path("jobs/new/", views.job_create, name="create"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="detail"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry, name="retry"),
    path("jobs/<uuid:job_id>/delete/", views.job_delete, name="delete"),
    path("jobs/<uuid:job_id>/media/", views.job_media, name="media"),
    path("jobs/<uuid:job_id>/transcript.<str:fmt>", views.job_export, name="export"),
    path("jobs/<uuid:job_id>/chapters.txt", views.job_chapters, name="chapters"),
    path("jobs/<uuid:job_id>/speakers/", views.job_speakers, name="speakers"),
    path("jobs/<uuid:job_id>/layout/", layout_views.job_layout, name="layout"),
    path("jobs/<uuid:job_id>/clips/<int:index>.<str:kind>", views.clip_file, name="clip-file"),
    path("jobs/<uuid:job_id>/slides/<int:index>.jpg", views.slide_image, name="slide-image"),
    path("jobs/<uuid:job_id>/poster.jpg", views.job_poster, name="poster"),
]
