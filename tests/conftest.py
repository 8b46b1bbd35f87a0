from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


# Tests whose outcome depends on the database engine or the task broker. `make test` runs the
# whole suite on the embedded default (SQLite, ORM broker), then runs these again on PostgreSQL +
# Redis (scripts/test-scaleout.sh). Mark a test or module with `@pytest.mark.scaleout`, or list its
# file here.
SCALEOUT_FILES = ("tests/pipeline/test_pipeline.py", "tests/pages/test_views.py")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scaleout: database- or queue-sensitive; run again on PostgreSQL + Redis"
    )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite tests run on a file of their own, as production does, not Django's in-memory default.

    The in-memory test database uses SQLite's shared cache, which locks per table and fails at once
    ("database table is locked") where a worker thread and the live server write together; a file
    in WAL mode waits on busy_timeout instead. The file is per pytest session, so a pytest started
    inside a test (tests/api/test_schema.py) gets its own.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parent.parent
    for item in items:
        path = Path(str(item.path)).resolve()
        if path.is_relative_to(root) and path.relative_to(root).as_posix() in SCALEOUT_FILES:
            item.add_marker(pytest.mark.scaleout)


def shared_media(name: str) -> Path:
    path = SHARED_MEDIA / name
    if not path.exists():
        pytest.fail(f"{path} is missing: tests expect ../shared/media beside the checkout.")
    return path


@pytest.fixture
def jfk_wav() -> Path:
    return shared_media("jfk.wav")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test gets its own media folder, so no file leaks between tests."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def _fresh_backends(settings):
    """Backends are built from settings; rebuild them for tests that change settings."""
    from transcripts import backends

    backends.reset()
    yield
    backends.reset()


@pytest.fixture(autouse=True)
def _fresh_counters(settings, request: pytest.FixtureRequest) -> None:
    """Rate-limit and sign-in counters live in the shared cache (a database table, which a
    transactional test does not empty): each test counts under a key prefix of its own."""
    import uuid

    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def password() -> str:
    return "correct horse battery staple"


@pytest.fixture
def alice(db, password):
    return get_user_model().objects.create_user("alice", "alice@example.com", password)


@pytest.fixture
def bob(db, password):
    return get_user_model().objects.create_user("bob", "bob@example.com", password)


@pytest.fixture
def staff(db, password):
    return get_user_model().objects.create_superuser("root", "root@example.com", password)


@pytest.fixture(scope="session")
def lecture_speech(tmp_path_factory):
    """A synthetic three-topic lecture (espeak-ng), made once per session."""
    from tests import synth

    return synth.lecture(tmp_path_factory.mktemp("lecture") / "lecture.wav")


@pytest.fixture(scope="session")
def lecture_video(tmp_path_factory):
    """A synthetic lecture video: slides that change per topic beside a moving camera panel."""
    from tests.synth_video import lecture_video

    return lecture_video(tmp_path_factory.mktemp("lecture-video"))


@pytest.fixture(scope="module")
def split_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small slides-beside-camera lecture video (12 s, 640x360), made once per test module."""
    import dataclasses

    from tests.synth_video import LAYOUT_CORPUS, layout_variant

    spec = next(spec for spec in LAYOUT_CORPUS if spec.name == "split-abutting")
    small = dataclasses.replace(spec, size=(640, 360), fps=10, seconds=12.0)
    return layout_variant(tmp_path_factory.mktemp("layout-job"), small).video
