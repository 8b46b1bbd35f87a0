from django.urls import path

from jobs.pages import segments

app_name = "transcripts"

urlpatterns = [
    path("jobs/<uuid:job_id>/segments/<int:index>/", segments.segment_detail, name="segment"),
    path(
        "jobs/<uuid:job_id>/segments/<int:index>/edit/", segments.segment_edit, name="segment-edit"
    ),
    path(
        "jobs/<uuid:job_id>/segments/<int:index>/history/",
        segments.segment_history,
        name="segment-history",
    ),
    path(
        "jobs/<uuid:job_id>/segments/<int:index>/history/<int:revision_id>/restore/",
        segments.segment_restore,
        name="segment-restore",
    ),
]
