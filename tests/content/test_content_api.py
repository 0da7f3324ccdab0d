"""The content endpoints of the real kiosk API application."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kiosk_api.content import service
from kiosk_api.i18n import language_codes

LANGUAGES = language_codes()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from kiosk_api.main import app

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_topic_list_in_every_language(client: TestClient) -> None:
    for language in LANGUAGES:
        response = client.get("/api/v1/content/topics", params={"language": language})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["language"] == language
        assert len(body["topics"]) == len(service.get_store().config.topics) >= 32
        assert {topic for topics in body["themes"].values() for topic in topics} == {
            t["topic"] for t in body["topics"]
        }
        assert all(
            t["language"] == language and t["fallback_language"] is None for t in body["topics"]
        )
    assert (
        client.get("/api/v1/content/topics", params={"language": "ar"}).json()["direction"] == "rtl"
    )


def test_topic_in_the_clients_language(client: TestClient) -> None:
    response = client.get("/api/v1/content/missed_appointment", params={"language": "fa_AF"})
    assert response.status_code == 200
    body = response.json()
    assert (body["language"], body["fallback_language"], body["direction"]) == (
        "fa_AF",
        None,
        "rtl",
    )
    assert body["machine_translated"] is True and body["reviewed"] is False
    assert body["valid_as_of"] == "2026-12-03" and body["review_by"] == "2027-06-03"
    assert all(s["url"].startswith("https://") for s in body["sources"])


def test_language_comes_from_accept_language_when_not_given(client: TestClient) -> None:
    response = client.get(
        "/api/v1/content/objection", headers={"Accept-Language": "ti-ER,ti;q=0.9,en;q=0.5"}
    )
    assert response.json()["language"] == "ti"
    assert client.get("/api/v1/content/objection").json()["language"] == "de"


def test_code_variants_are_accepted(client: TestClient) -> None:
    assert (
        client.get("/api/v1/content/objection", params={"language": "fa-AF"}).json()["language"]
        == "fa_AF"
    )


def test_a_missing_translation_falls_back_to_english_then_german(content_copy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (content_copy / "topics" / "housing_costs" / "so.yml").unlink()
    for language in ("en", "so"):
        (content_copy / "topics" / "duties" / f"{language}.yml").unlink()
    store = service.load_store(content_copy)
    english = service.get_topic(store=store, topic="housing_costs", language="so")
    assert (english.language, english.fallback_language, english.requested_language) == (
        "en",
        "en",
        "so",
    )
    german = service.get_topic(store=store, topic="duties", language="so")
    assert (german.language, german.fallback_language) == ("de", "de")
    listing = service.list_topics(store=store, language="so")
    assert {t.topic: t.fallback_language for t in listing.topics}["housing_costs"] == "en"


def test_unknown_topic_is_a_404_with_a_stable_code(client: TestClient) -> None:
    response = client.get("/api/v1/content/no_such_topic", params={"language": "en"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "content_not_found"


def test_unknown_language_is_a_422_with_a_stable_code(client: TestClient) -> None:
    response = client.get("/api/v1/content/objection", params={"language": "xx"})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "unknown_language"
    assert "ar" in body["details"]["supported"]


def test_oversized_language_parameter_is_rejected(client: TestClient) -> None:
    response = client.get("/api/v1/content/topics", params={"language": "a" * 200})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_admin_listing_requires_login(client: TestClient) -> None:
    assert client.get("/api/v1/admin/content/unreviewed").status_code == 401


@pytest.fixture
def staff_token(client: TestClient, migrated_database: None) -> Iterator[callable]:  # type: ignore[valid-type]
    from sqlalchemy import delete, select

    from kiosk_api.db import session_scope
    from kiosk_api.models import StaffSession, StaffUser
    from tests.support import seeding

    password = "content tests use a long passphrase"
    created: list[str] = []

    def _token(role: str) -> str:
        username = f"content-{role}"
        with session_scope(write=True) as session:
            seeding.add_staff(
                session,
                site=seeding.default_site(session),
                username=username,
                role=role,
                password=password,
            )
        created.append(username)
        response = client.post(
            "/api/v1/staff/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    yield _token
    with session_scope(write=True) as session:
        for username in created:
            staff = session.scalar(select(StaffUser).where(StaffUser.username == username))
            if staff is not None:
                session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
                session.delete(staff)


def test_admin_lists_unreviewed_and_machine_translated_items(
    client: TestClient, staff_token
) -> None:  # type: ignore[no-untyped-def]
    token = staff_token("admin")
    response = client.get(
        "/api/v1/admin/content/unreviewed", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(service.get_store().config.topics) * len(
        LANGUAGES
    )  # nothing reviewed by a person yet
    by_key = {(i["topic"], i["language"]): i for i in body["items"]}
    assert by_key[("privacy_notice", "ar")]["machine_translated"] is True
    assert by_key[("privacy_notice", "ar")]["unreviewed_translation"] is True
    assert by_key[("privacy_notice", "de")]["machine_translated"] is False
    assert by_key[("privacy_notice", "de")]["reviewed"] is False


def test_desk_staff_may_not_see_the_admin_listing(client: TestClient, staff_token) -> None:  # type: ignore[no-untyped-def]
    token = staff_token("desk")
    response = client.get(
        "/api/v1/admin/content/unreviewed", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


def test_reviewed_items_leave_the_admin_listing(content_copy) -> None:  # type: ignore[no-untyped-def]
    import yaml

    path = content_copy / "topics" / "objection" / "ar.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(
        machine_translated=False,
        unreviewed_translation=False,
        reviewed={"by": "Sprachmittlerin, Integration Point", "on": "2026-11-20"},
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    listing = service.list_unreviewed(store=service.load_store(content_copy))
    assert ("objection", "ar") not in {(i.topic, i.language) for i in listing.items}
    assert listing.total == len(service.get_store().config.topics) * len(LANGUAGES) - 1


@pytest.mark.parametrize(
    "topic",
    ["..%2F..%2Fconfig", "privacy_notice%00", "%D8%B9%D8%B1%D8%A8%D9%8A", "config", "topics"],
)
def test_odd_topic_names_are_404_not_file_access(client: TestClient, topic: str) -> None:
    response = client.get(f"/api/v1/content/{topic}", params={"language": "en"})
    assert response.status_code in (404, 200) and response.headers["content-type"].startswith(
        "application/json"
    )
    if topic != "topics":
        assert response.status_code == 404
        assert response.json()["error"]["code"] in {
            "content_not_found",
            "not_found",
        }  # not_found: no route matched


@pytest.mark.parametrize("language", ["ar\x00", "عربي", "de-DE-x-private-too-long", "12"])
def test_odd_language_values_get_a_clear_error(client: TestClient, language: str) -> None:
    response = client.get("/api/v1/content/objection", params={"language": language})
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"unknown_language", "validation_error"}


@pytest.mark.parametrize(
    ("question", "language", "topic"),
    [
        ("wie viel miete zahlt das jobcenter", "de", "housing_costs"),
        ("سلام، پول بیکاری چیست؟", "fa", "grundsicherungsgeld"),
        ("jobsenter bescheid widerspruch einlegen frist", "de", "objection"),
        ("كيف اقدم طلب في الجوب سنتر", "ar", "applying"),
    ],
)
def test_search_finds_the_topic_in_the_clients_own_words(
    client: TestClient, question: str, language: str, topic: str
) -> None:
    response = client.get("/api/v1/content/search", params={"q": question, "language": language})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == language and 1 <= len(body["matches"]) <= 3
    assert topic in [match["topic"] for match in body["matches"]]
    scores = [match["score"] for match in body["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert all(
        match["language"] == language for match in body["matches"]
    )  # titles in the client's language


def test_search_refuses_what_it_cannot_take(client: TestClient) -> None:
    assert client.get("/api/v1/content/search", params={"q": "x" * 501}).status_code == 422
    assert client.get("/api/v1/content/search", params={"q": ""}).status_code == 422
    assert (
        client.get("/api/v1/content/search", params={"q": "miete", "limit": 50}).status_code == 422
    )


def test_a_topic_carries_its_rendered_facts_and_date(client: TestClient) -> None:
    body = client.get("/api/v1/content/grundsicherungsgeld", params={"language": "ar"}).json()
    assert body["facts"] and all(
        fact["status"] in ("in_force", "announced") for fact in body["facts"]
    )
    assert all(
        fact["source"]["url"].startswith("https://") and fact["pinpoint"] for fact in body["facts"]
    )
    money = [fact for fact in body["facts"] if fact["kind"] == "money"]
    assert money and all(
        "€" in fact["text"] and not any(ch in "0123456789" for ch in fact["text"]) for fact in money
    )
    assert "{" not in body["summary"] + "".join(body["body"])
    assert body["valid_as_of_text"] and body["theme"] == "money"
