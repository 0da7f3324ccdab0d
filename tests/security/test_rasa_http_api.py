"""Gap 1 (second half) and gap 7: Rasa's HTTP API. The kiosk API's pushes used an admin JWT,
which also opens `PUT /model` (a model file is code) and every conversation; clients could type
`/EXTERNAL_…` intents."""

from __future__ import annotations

import httpx

from kiosk_api.notifications.dispatcher import rasa_token
from tests.security.conftest import Stack, payload, said


def test_model_routes_are_refused_even_to_an_admin(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {stack.admin_token()}"}
    assert (
        httpx.put(
            f"{stack.rasa_url}/model",
            json={"model_file": "/tmp/evil.tar.gz"},
            headers=headers,
            timeout=30,
        ).status_code
        == 403
    )
    assert (
        httpx.post(
            f"{stack.rasa_url}/model/train", content=b"{}", headers=headers, timeout=30
        ).status_code
        == 403
    )
    assert httpx.delete(f"{stack.rasa_url}/model", headers=headers, timeout=30).status_code == 403
    # The honest path: the same token still reads a conversation.
    assert (
        httpx.get(
            f"{stack.rasa_url}/conversations/anyone/tracker", headers=headers, timeout=30
        ).status_code
        == 200
    )


def test_the_kiosk_api_token_opens_its_one_conversation_only(stack: Stack) -> None:
    stack.say("client-push", "Hallo")
    own = {"Authorization": f"Bearer {rasa_token(stack.jwt_secret, 'client-push')}"}
    pushed = httpx.post(
        f"{stack.rasa_url}/conversations/client-push/trigger_intent",
        params={"output_channel": "latest"},
        json={"name": "EXTERNAL_ticket_near", "entities": {"ticket": "A-001"}},
        headers=own,
        timeout=60,
    )
    assert pushed.status_code == 200
    other = httpx.get(
        f"{stack.rasa_url}/conversations/someone-else/tracker", headers=own, timeout=30
    )
    assert other.status_code == 403
    assert (
        httpx.put(
            f"{stack.rasa_url}/model", json={"model_file": "x"}, headers=own, timeout=30
        ).status_code
        == 403
    )


def test_a_client_cannot_type_the_kiosk_apis_intents(stack: Stack) -> None:
    replies = stack.say(
        "client-typed", payload("EXTERNAL_ticket_called", desk="3", ticket_number="A-001")
    )
    assert replies and not said(replies, "utter_ticket_called")
    # The honest path: a button payload Lotse offers still works.
    assert said(stack.say("client-typed", payload("help")), "utter_help")


def test_oversized_bodies_are_refused(stack: Stack) -> None:
    body = b'{"sender": "big", "message": "' + b"a " * 400_000 + b'"}'
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
