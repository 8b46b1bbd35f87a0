"""A job deleted while a worker runs it: the worker stops, and no file of it is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import services
from jobs.models import Job
from jobs.pipeline import store as stores
from jobs.pipeline import worker
from tests.factories import job_from_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_deleted_mid_run_leaves_no_files(alice, jfk_wav, settings, monkeypatch) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, jfk_wav, name="jfk.wav")
    folder = Path(settings.MEDIA_ROOT) / job.media_dir()
    assert folder.is_dir()
    deleted: list[bool] = []
    keep = stores.JobStore.transcript

    def delete_then_store(self, record):
        # The owner deletes the job as its transcript is about to be stored; the run goes on
        # writing into the job's folder until it next reports progress.
        services.job_delete(job=Job.objects.get(pk=self.job.pk))
        deleted.append(not folder.exists())
        return keep(self, record)

    monkeypatch.setattr(stores.JobStore, "transcript", delete_then_store)
    assert worker.run(str(job.pk)) is None
    assert deleted == [True]  # the deletion did remove the folder at the time
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not folder.exists(), sorted(p.name for p in folder.rglob("*"))
