from django.urls import path

from jobs.pages import direct_upload, layout_views, study, views

app_name = "jobs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("jobs/new/", views.job_create, name="create"),
    path("jobs/uploads/", direct_upload.upload_start, name="upload-start"),
    path("jobs/uploads/complete/", direct_upload.upload_complete, name="upload-complete"),
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
    path("jobs/<uuid:job_id>/notes.md", study.job_notes, name="notes"),
    path("jobs/<uuid:job_id>/notes/remake/", study.job_notes_remake, name="notes-remake"),
    path("jobs/<uuid:job_id>/ask/", study.job_ask, name="ask-job"),
    path("ask/", study.ask, name="ask"),
]
