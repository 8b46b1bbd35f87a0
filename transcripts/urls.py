from django.urls import path

from transcripts import views

app_name = "transcripts"

urlpatterns = [
    path("jobs/<uuid:job_id>/segments/<int:index>/", views.segment_detail, name="segment"),
    path("jobs/<uuid:job_id>/segments/<int:index>/edit/", views.segment_edit, name="segment-edit"),
    path(
        "jobs/<uuid:job_id>/segments/<int:index>/history/",
        views.segment_history,
        name="segment-history",
    ),
    path(
        "jobs/<uuid:job_id>/segments/<int:index>/history/<int:revision_id>/restore/",
        views.segment_restore,
        name="segment-restore",
    ),
]
