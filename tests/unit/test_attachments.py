"""A message with only a photo, video, voice note, sticker or file is not dropped (P12)."""

from datetime import datetime, timezone

import pytest

from bot.platforms.facebook.payloads import parse_facebook
from bot.platforms.x.payloads import parse_twitter
from scripts.fake_platforms import facebook_webhook, x_direct_message

PAGE, ME = "1000", "2000"
NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def messenger(message):
    item = {"sender": {"id": "u1"}, "recipient": {"id": PAGE}, "timestamp": 1795000000000}
    return facebook_webhook(PAGE, messaging=[{**item, "message": {"mid": "m1", **message}}])


@pytest.mark.parametrize(
    ("attachments", "extra", "kind"),
    [
        ([{"type": "image", "payload": {"url": "https://cdn.example/p.jpg"}}], {}, "photo"),
        ([{"type": "video", "payload": {"url": "https://cdn.example/v.mp4"}}], {}, "video"),
        ([{"type": "audio", "payload": {"url": "https://cdn.example/a.mp4"}}], {}, "voice note"),
        ([{"type": "file", "payload": {"url": "https://cdn.example/f.pdf"}}], {}, "file"),
        (
            [{"type": "image", "payload": {"url": "https://cdn.example/s.png", "sticker_id": 3}}],
            {"sticker_id": 3},
            "sticker",
        ),
        ([{"type": "fallback", "payload": None, "title": "A link"}], {}, "attachment"),
    ],
)
def test_a_messenger_attachment_alone_reaches_the_assistant(attachments, extra, kind):
    [event] = parse_facebook(messenger({"attachments": attachments, **extra}), PAGE, NOW)
    assert (event.event_id, event.author_id, event.attachment) == ("m1", "u1", kind)
    assert kind in event.text
    assert event.metadata()["attachment"] == kind


def test_a_messenger_attachment_with_words_is_read_as_words():
    payload = messenger({"text": "the damp", "attachments": [{"type": "image", "payload": {}}]})
    [event] = parse_facebook(payload, PAGE, NOW)
    assert (event.text, event.attachment) == ("the damp", None)


def test_an_echo_with_an_attachment_is_still_the_page_own():
    payload = messenger({"is_echo": True, "attachments": [{"type": "image", "payload": {}}]})
    assert parse_facebook(payload, PAGE, NOW) == []


def x_media_message(text, media_type):
    payload = x_direct_message(ME, "u7", text, "dm1")
    data = payload["direct_message_events"][0]["message_create"]["message_data"]
    data["attachment"] = {
        "type": "media",
        "media": {"id": 9, "type": media_type, "url": "https://t.co/abc"},
    }
    return payload


@pytest.mark.parametrize(("media_type", "kind"), [("photo", "photo"), ("video", "video")])
def test_an_x_direct_message_with_only_media_reaches_the_assistant(media_type, kind):
    [event] = parse_twitter(x_media_message("https://t.co/abc", media_type), NOW)
    assert (event.event_id, event.attachment) == ("dm1", kind)
    assert "t.co" not in event.text and kind in event.text


def test_an_x_direct_message_with_media_and_words_is_read_as_the_words():
    [event] = parse_twitter(x_media_message("my ceiling https://t.co/abc", "photo"), NOW)
    assert (event.text, event.attachment) == ("my ceiling", None)
