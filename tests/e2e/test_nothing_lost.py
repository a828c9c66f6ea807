"""End to end: nothing a tenant sends is lost, and nothing untrue is said (P12).

A photo, video, voice note, sticker or file alone is answered; while the action
server is down the tenant hears a short apology, their message waits, and it is
answered in full when the server is back, with no handoff claimed that was not made.
"""

import time
import uuid

import pytest

from bot.handoff.handoffs import HandoffRepository
from bot.store import connect
from scripts.fake_platforms import facebook_webhook, x_direct_message
from tests.e2e.platforms import ME, PAGE, message, new_user, to_facebook, to_x, wait_for
from tests.e2e.test_with_people import Tenant, texts

APOLOGY = "something went wrong on our side"


@pytest.fixture
def running(platforms_running):
    return platforms_running


def messenger_attachment(user, attachment, sticker=False):
    event = message(user, "")
    event["message"] = {"mid": f"mid.{uuid.uuid4().hex}", "attachments": [attachment]}
    if sticker:
        event["message"]["sticker_id"] = 369239263222822
    return event


@pytest.mark.parametrize(
    ("attachment", "sticker"),
    [
        ({"type": "image", "payload": {"url": "https://cdn.example/damp.jpg"}}, False),
        ({"type": "audio", "payload": {"url": "https://cdn.example/note.mp4"}}, False),
        ({"type": "image", "payload": {"url": "https://cdn.example/s.png", "sticker_id": 1}}, True),
    ],
)
def test_a_messenger_attachment_alone_is_answered_and_a_person_offered(
    running, attachment, sticker
):
    assistant, platforms, _ = running
    tenant = Tenant(assistant, platforms, "facebook")
    payload = facebook_webhook(
        PAGE, messaging=[messenger_attachment(tenant.user, attachment, sticker)]
    )
    to_facebook(assistant, payload)
    assert wait_for(lambda: tenant.heard(), 60)
    [reply] = tenant.heard()
    assert "can't see photos" in reply and "member of our team" in reply
    tenant.says("yes please")
    assert wait_for(lambda: any("passed your conversation" in t for t in tenant.heard()), 60)
    handoff = HandoffRepository(
        connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
    ).open_for(tenant.conversation)
    assert handoff is not None


def test_an_x_direct_message_with_only_a_photo_is_answered(running):
    assistant, platforms, _ = running
    user = new_user()
    payload = x_direct_message(ME, user, "https://t.co/damp", f"dm{uuid.uuid4().hex}")
    data = payload["direct_message_events"][0]["message_create"]["message_data"]
    data["attachment"] = {
        "type": "media",
        "media": {"id": 1, "type": "photo", "url": "https://t.co/damp"},
    }
    to_x(assistant, payload)
    assert wait_for(lambda: texts(platforms, user), 60)
    assert "can't see photos" in texts(platforms, user)[0]


def test_while_the_action_server_is_down_the_tenant_hears_an_apology_then_the_answer(running):
    assistant, platforms, proxy = running
    tenant = Tenant(assistant, platforms, "facebook")
    proxy.down = True
    try:
        tenant.says("hello")
        assert wait_for(lambda: tenant.heard(), 60)
        time.sleep(3)
        [apology] = tenant.heard()
        assert APOLOGY in apology
    finally:
        proxy.down = False
    assert wait_for(lambda: len(tenant.heard()) == 2, 60)
    greeting = tenant.heard()[1]
    assert "assistant" in greeting and "{" not in greeting
    time.sleep(3)
    assert len(tenant.heard()) == 2


def test_no_handoff_is_claimed_while_the_action_server_is_down(running):
    assistant, platforms, proxy = running
    repository = HandoffRepository(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    tenant = Tenant(assistant, platforms, "twitter")
    tenant.says("hello")
    assert wait_for(lambda: tenant.heard(), 60)
    told = len(tenant.heard())
    proxy.down = True
    try:
        tenant.says("can i speak to a real person please")
        assert wait_for(lambda: len(tenant.heard()) > told, 60)
        time.sleep(3)
        new = tenant.heard()[told:]
        assert len(new) == 1 and APOLOGY in new[0]
        assert repository.open_for(tenant.conversation) is None
    finally:
        proxy.down = False
    assert wait_for(lambda: any("passed your conversation" in t for t in tenant.heard()), 60)
    assert repository.open_for(tenant.conversation) is not None
    assert sum(APOLOGY in t for t in tenant.heard()) == 1
