"""Study notes and questions in the JSON API: the key's user's lectures only."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer
from tests.study.conftest import store_lecture
from tests.study.corpus import LECTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def plants(alice):
    return store_lecture(alice, "Plant biology", LECTURES["Plant biology"])[0]


def test_it_gives_the_notes_with_their_moments_and_markdown(client, alice_key, plants):
    response = client.get(f"/api/v1/jobs/{plants.pk}/notes", headers=bearer(alice_key))

    assert response.status_code == 200
    notes = response.json()
    assert notes["maker"] == "extractive" and notes["points"] and notes["questions"]
    assert any(entry["term"].lower() == "osmosis" for entry in notes["glossary"])
    assert all(item["start"] < item["end"] for item in notes["summary"])
    assert notes["markdown"].startswith("# Study notes: Plant biology")
    assert f"http://testserver/jobs/{plants.pk}/#t=" in notes["markdown"]

    again = client.post(f"/api/v1/jobs/{plants.pk}/notes", headers=bearer(alice_key))
    assert again.status_code == 200 and again.json()["glossary"] == notes["glossary"]


def test_it_answers_a_question_with_cited_passages(client, alice_key, plants):
    store_lecture(plants.owner, "Geometry basics", LECTURES["Geometry basics"])
    response = client.post(
        "/api/v1/ask",
        {"question": "How does water get into the root?", "job_id": str(plants.pk)},
        content_type="application/json",
        headers=bearer(alice_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["by"] == "passages" and body["answered"] and body["cited"] == [1]
    first = body["passages"][0]
    assert first["job_id"] == str(plants.pk) and first["start"] <= first["moment"] <= first["end"]
    assert "osmosis" in first["text"] and first["link"].startswith(
        f"http://testserver/jobs/{plants.pk}/#t="
    )
    everywhere = client.post(
        "/api/v1/ask", {"question": "What is the hypotenuse?"},
        content_type="application/json", headers=bearer(alice_key),
    ).json()  # fmt: skip
    assert everywhere["passages"][0]["title"] == "Geometry basics"


def test_bob_cannot_read_or_ask_alices_lecture(client, bob_key, plants):
    assert client.get(f"/api/v1/jobs/{plants.pk}/notes", headers=bearer(bob_key)).status_code == 404
    assert (
        client.post(f"/api/v1/jobs/{plants.pk}/notes", headers=bearer(bob_key)).status_code == 404
    )
    scoped = client.post(
        "/api/v1/ask", {"question": "What is osmosis?", "job_id": str(plants.pk)},
        content_type="application/json", headers=bearer(bob_key),
    )  # fmt: skip
    assert scoped.status_code == 404
    everywhere = client.post(
        "/api/v1/ask", {"question": "What is osmosis?"},
        content_type="application/json", headers=bearer(bob_key),
    ).json()  # fmt: skip
    assert everywhere["passages"] == [] and not everywhere["answered"]
