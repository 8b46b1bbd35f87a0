"""Writes for study: a job's notes stored and made again, and a question answered (and counted).

``notes``, ``retrieval``, ``answer`` and ``written`` beside this module are plain Python; this one
and ``selectors`` are their Django side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from jobs.models import Job, Profile, Question, StudyNotes
from jobs.study.answer import (
    Answer,
    ChatModel,
    GeminiChat,
    OpenAIChat,
    Source,
    extractive_answer,
    grounded_answer,
)
from jobs.study.notes import StudyNotes as Notes
from jobs.study.selectors import (
    Found,
    question_passages,
    study_notes_build,
    study_notes_kept,
)
from jobs.study.written import notes_with_model
from transcripts.models import Transcript
from transcripts.selectors import transcript_record

MAX_QUESTION = 500


def study_notes_save(*, job: Job, notes: Notes) -> StudyNotes:
    """Keep ``notes`` as the job's, made from its transcript as it is now."""
    # Read afresh: the job may hold an earlier attempt's transcript, replaced since.
    made_from = (
        Transcript.objects.filter(job_id=job.pk).values_list("updated_at", flat=True).first()
    )
    row, _ = StudyNotes.objects.update_or_create(
        job=job, defaults={"notes": notes.to_dict(), "made_from": made_from}
    )
    return row


def study_notes_make(*, job: Job, use_model: bool = True) -> Notes:
    """Make the job's notes again from its stored transcript (edits included) and keep them;
    written by the language model when ``LECTERN_LLM_NOTES`` asks for it and ``use_model``."""
    notes = study_notes_build(job=job)
    record = transcript_record(job.transcript)
    model = notes_model() if use_model else None
    if model is not None:
        notes = notes_with_model(model, record.segments, notes, title=job.display_name)
    study_notes_save(job=job, notes=notes)
    return notes


def study_notes_follow_edit(*, job: Job) -> None:
    """After an edit of the transcript (the page, a restore): the notes are made again by a task,
    queued once the edit is committed, so that no read has to write them."""
    job_id = str(job.pk)
    transaction.on_commit(
        lambda: async_task("jobs.tasks.remake_notes", job_id, task_name=f"notes-{job_id}")
    )


def study_notes_refresh(*, job: Job) -> Notes | None:
    """The task's work: the job's extractive notes made again from its transcript when it
    changed since they were made. A model's notes are kept (the page says they are older)."""
    kept = study_notes_kept(job=job)
    if kept is None:
        return None
    if kept.notes is not None and kept.current:
        return kept.notes
    if kept.notes is not None and kept.notes.maker != "extractive":
        return None
    return study_notes_make(job=job, use_model=False)


def chat_model() -> ChatModel | None:
    """The language model the settings choose, or None (passages only)."""
    timeout = settings.LECTERN_LLM_TIMEOUT
    if settings.LECTERN_LLM == "gemini" and settings.GEMINI["api_key"]:
        return GeminiChat(
            settings.GEMINI["api_key"],
            model=settings.LECTERN_LLM_MODEL or settings.GEMINI["model"] or "",
            base_url=settings.GEMINI["base_url"] or "",
            timeout=timeout,
        )
    if settings.LECTERN_LLM == "openai":
        return OpenAIChat(
            settings.LECTERN_LLM_API_KEY or settings.OPENAI_API_KEY or "",
            model=settings.LECTERN_LLM_MODEL or "gpt-4o-mini",
            base_url=settings.LECTERN_LLM_BASE_URL or settings.OPENAI_BASE_URL or "",
            timeout=timeout,
        )
    return None


def notes_model() -> ChatModel | None:
    """The language model that writes study notes, when the settings ask for it."""
    return chat_model() if settings.LECTERN_LLM_NOTES else None


def model_answers_left(user: AbstractBaseUser) -> int:
    """Answers from the language model the user may still have in the last 24 hours: their own
    limit (set by staff on their profile, like the transcription quota) or the site's."""
    own = (
        Profile.objects.filter(user_id=user.pk)
        .values_list("llm_answers_per_day", flat=True)
        .first()
    )
    limit = settings.LECTERN_LLM_ANSWERS_PER_DAY if own is None else own
    since = timezone.now() - timedelta(days=1)
    used = Question.objects.filter(owner=user, asked_at__gte=since).exclude(answered_by="")
    return max(0, limit - used.count())


@dataclass
class Asked:
    question: str
    answer: Answer
    found: list[Found]  # found[n - 1] is source n

    def source(self, number: int) -> Found | None:
        return self.found[number - 1] if 0 < number <= len(self.found) else None


def question_ask(
    *, user: AbstractBaseUser, question: str, job: Job | None = None, use_model: bool = True
) -> Asked:
    """Answer ``question`` from the user's own recordings (or ``job``'s alone): the passages
    found, and a model's grounded answer when one is configured and the user has answers left."""
    question = " ".join(question.split())[:MAX_QUESTION]
    found = question_passages(user, question, job=job)
    sources = [
        Source(
            number=number,
            title=item.job.display_name,
            start=item.passage.start,
            end=item.passage.end,
            moment=item.passage.moment,
            text=item.passage.text,
            coverage=item.passage.coverage,
        )
        for number, item in enumerate(found, start=1)
    ]
    chat = chat_model() if use_model else None
    if chat is not None and sources and model_answers_left(user) <= 0:
        answer = extractive_answer(
            question,
            sources,
            note="You have used today's answers from the language model; these are the "
            "passages that match.",
        )
    else:
        answer = grounded_answer(question, sources, chat)
    Question.objects.create(
        owner=user,
        job=job,
        text=question,
        answered_by=answer.by if answer.by != "passages" else "",
    )
    return Asked(question, answer, found)
