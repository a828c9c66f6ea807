"""The sandbox's Instagram, YouTube and LinkedIn: its stand-in answers the calls the
assistant's clients and pollers make with the platforms' shapes, and each call changes
what the tenant sees (P5, P6, P7, P12)."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.platforms.linkedin.payloads import parse_comments, post_urns
from bot.platforms.youtube.payloads import parse_replies, parse_threads
from bot.sandbox.mode import ACCOUNT_ID, LINKEDIN_ORGANIZATION, YOUTUBE_CHANNEL
from bot.sandbox.standin import YOUTUBE_ACCESS, Credentials, StandIn
from bot.sandbox.world import (
    INSTAGRAM_POSTS,
    LINKEDIN_POSTS,
    YOUTUBE_VIDEOS,
    Author,
    Pane,
    World,
)
from tests.helpers import Clock

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
IG_TOKEN = "ig-token"
CLIENT = ("client-id", "client-secret", "refresh-token")
LI_TOKEN = "li-token"
CREDENTIALS = Credentials(
    "page-token",
    "ck",
    "at",
    ACCOUNT_ID,
    instagram_token=IG_TOKEN,
    youtube_client=CLIENT,
    youtube_channel=YOUTUBE_CHANNEL,
    linkedin_token=LI_TOKEN,
    linkedin_organization=LINKEDIN_ORGANIZATION,
)
IG = {"access_token": [IG_TOKEN]}
BEARER = f"Bearer {YOUTUBE_ACCESS}"
LI = {"linkedin-version": "202610", "x-restli-protocol-version": "2.0.0"}
[(MEDIA, _)] = INSTAGRAM_POSTS
[(VIDEO, _)] = YOUTUBE_VIDEOS
[(LI_POST, _)] = LINKEDIN_POSTS


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def world(clock):
    return World(clock)


@pytest.fixture
def standin(world):
    return StandIn(world, CREDENTIALS, "http://127.0.0.1:5080/sandbox-api/graph/v19.0")


def thread(view_posts, comment_id):
    for post in view_posts:
        for comment, replies in post.comments:
            if comment.id == comment_id:
                return comment, replies
    raise AssertionError(comment_id)


# Instagram


def test_an_instagram_comment_hidden_deleted_and_answered_privately_once(world, standin):
    comment = world.comment("margaret", MEDIA, "ring me on 07700 900123")
    assert comment.who == "@maggie_t" and comment.id.isdigit()
    assert standin.instagram("POST", comment.id, IG, {"hide": True}) == (200, {"success": True})
    private = {"recipient": {"comment_id": comment.id}, "message": {"text": "We hid it"}}
    status, answer = standin.instagram("POST", "me/messages", IG, private)
    margaret = world.persona("margaret")
    assert status == 200 and answer["recipient_id"] == margaret.instagram_id
    # Instagram allows one private reply to a comment.
    status, answer = standin.instagram("POST", "me/messages", IG, private)
    assert status == 400 and answer["error"]["code"] == 10
    assert standin.instagram("DELETE", comment.id, IG, None) == (200, {"success": True})
    view = world.view()
    removed, _ = thread(view.instagram, comment.id)
    assert removed.deleted and removed.hidden and view.removed() == [removed]
    [dms] = view.instagram_dms
    assert dms.persona == "margaret"
    assert [(i.author, i.text) for i in dms.items] == [(Author.ASSISTANT, "We hid it")]
    assert view.messenger == ()  # Instagram's inbox, not Messenger's


def test_an_instagram_dm_is_answered_in_the_same_thread_within_the_limits(world, standin):
    asked = world.instagram_message("priya", "when is my rent due?")
    igsid = world.persona("priya").instagram_id
    reply = {"recipient": {"id": igsid}, "message": {"text": "On the 1st"}}
    status, answer = standin.instagram("POST", "me/messages", IG, reply)
    assert status == 200 and answer["recipient_id"] == igsid
    [dms] = world.view().instagram_dms
    assert [i.id for i in dms.items][0] == asked.id
    assert [i.author for i in dms.items] == [Author.TENANT, Author.ASSISTANT]
    too_long = {"recipient": {"id": igsid}, "message": {"text": "é" * 501}}  # 1,002 bytes
    assert standin.instagram("POST", "me/messages", IG, too_long)[0] == 400
    wrong = {"access_token": ["real-token"]}
    assert standin.instagram("POST", "me/messages", wrong, reply)[1]["error"]["code"] == 190


def test_an_instagram_public_reply_sits_under_a_shown_comment_only(world, standin):
    comment = world.comment("tom", MEDIA, "how much rent do I owe?")
    status, answer = standin.instagram("POST", f"{comment.id}/replies", IG, {"message": "DM us"})
    assert status == 200
    _, replies = thread(world.view().instagram, comment.id)
    assert [(r.id, r.author, r.text) for r in replies] == [
        (answer["id"], Author.ASSISTANT, "DM us")
    ]
    standin.instagram("POST", comment.id, IG, {"hide": True})
    assert standin.instagram("POST", f"{comment.id}/replies", IG, {"message": "x"})[0] == 400
    # A Facebook comment is not Instagram's.
    facebook = world.comment("tom", "post-bins", "hello")
    assert standin.instagram("POST", facebook.id, IG, {"hide": True})[0] == 400


# YouTube


def test_youtube_gives_an_access_token_only_for_the_sandboxs_own_client(standin):
    form = dict(zip(("client_id", "client_secret", "refresh_token"), CLIENT, strict=True))
    status, answer = standin.youtube(
        "POST", "token", {}, {**form, "grant_type": "refresh_token"}, None
    )
    assert status == 200 and answer["access_token"] == YOUTUBE_ACCESS
    wrong = {**form, "refresh_token": "real", "grant_type": "refresh_token"}
    assert standin.youtube("POST", "token", {}, wrong, None)[0] == 400
    listing = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL]}
    assert standin.youtube("GET", "v3/commentThreads", listing, None, "Bearer other")[0] == 401


def test_the_pollers_listing_shows_new_threads_first_and_what_the_channel_wrote(
    world, standin, clock
):
    first = world.comment("margaret", VIDEO, "great video")
    clock.now += timedelta(minutes=1)
    second = world.comment("daniel-o", VIDEO, "I live at 12 Ashdown Court LS6 2AB")
    listing = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL], "maxResults": ["100"]}
    status, answer = standin.youtube("GET", "v3/commentThreads", listing, None, BEARER)
    assert status == 200
    page = parse_threads(answer, YOUTUBE_CHANNEL)
    assert [e.comment_id for e in page.comments] == [second.id, first.id]
    assert page.comments[0].author_id == world.persona("daniel-o").youtube_id
    assert page.next_page is None
    # Another channel's comments are not the sandbox's to read.
    other = {"allThreadsRelatedToChannelId": ["UCsomeoneelse"]}
    assert standin.youtube("GET", "v3/commentThreads", other, None, BEARER)[0] == 403


def test_a_rejected_youtube_comment_goes_and_its_author_is_banned(world, standin):
    comment = world.comment("daniel-o", VIDEO, "I live at 12 Ashdown Court LS6 2AB")
    query = {"id": [comment.id], "moderationStatus": ["rejected"], "banAuthor": ["true"]}
    assert standin.youtube("POST", "v3/comments/setModerationStatus", query, None, BEARER) == (
        204,
        {},
    )
    view = world.view()
    removed, _ = thread(view.youtube, comment.id)
    assert removed.deleted
    [notice] = view.notices
    assert notice.pane is Pane.YOUTUBE and "banned Daniel Okafor" in notice.text
    listing = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL]}
    _, answer = standin.youtube("GET", "v3/commentThreads", listing, None, BEARER)
    assert answer["items"] == []
    # A rejected comment cannot be published again.
    back = {"id": [comment.id], "moderationStatus": ["published"]}
    assert standin.youtube("POST", "v3/comments/setModerationStatus", back, None, BEARER)[0] == 400


def test_a_held_youtube_comment_can_be_published_again(world, standin):
    comment = world.comment("grace", VIDEO, "you're all useless")
    for status, hidden in (("heldForReview", True), ("published", False)):
        query = {"id": [comment.id], "moderationStatus": [status]}
        standin.youtube("POST", "v3/comments/setModerationStatus", query, None, BEARER)
        assert thread(world.view().youtube, comment.id)[0].hidden is hidden


def test_youtube_replies_sit_in_the_thread_and_a_notice_on_the_video(world, standin):
    comment = world.comment("tom", VIDEO, "how much rent do I owe?")
    reply = {"snippet": {"parentId": comment.id, "textOriginal": "Please contact us privately"}}
    status, answer = standin.youtube("POST", "v3/comments", {}, reply, BEARER)
    assert status == 200 and answer["id"].startswith(f"{comment.id}.")
    notice = {
        "snippet": {"videoId": VIDEO, "topLevelComment": {"snippet": {"textOriginal": "@tom hi"}}}
    }
    status, posted = standin.youtube("POST", "v3/commentThreads", {}, notice, BEARER)
    assert status == 200
    view = world.view()
    _, replies = thread(view.youtube, comment.id)
    assert [r.text for r in replies] == ["Please contact us privately"]
    own, _ = thread(view.youtube, posted["id"])
    assert own.author is Author.ASSISTANT and own.text == "@tom hi"
    # The listing gives the reply in its thread, by the channel: seen, not screened.
    listing = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL]}
    _, answer = standin.youtube("GET", "v3/commentThreads", listing, None, BEARER)
    page = parse_threads(answer, YOUTUBE_CHANNEL)
    assert len(page.own) == 2 and [e.text for e in page.comments] == ["how much rent do I owe?"]
    _, more = standin.youtube("GET", "v3/comments", {"parentId": [comment.id]}, None, BEARER)
    assert [c["snippet"]["authorChannelId"]["value"] for c in more["items"]] == [YOUTUBE_CHANNEL]
    assert parse_replies(more, VIDEO, YOUTUBE_CHANNEL) == ([], None)  # the channel's own


def test_a_thread_lists_five_replies_and_comments_list_gives_the_rest(world, standin):
    comment = world.comment("tom", VIDEO, "a busy thread")
    for n in range(7):
        world.public_reply(comment.id, f"reply {n}", Author.ASSISTANT)
    listing = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL]}
    _, answer = standin.youtube("GET", "v3/commentThreads", listing, None, BEARER)
    [item] = answer["items"]
    assert len(item["replies"]["comments"]) == 5 and item["snippet"]["totalReplyCount"] == 7
    _, more = standin.youtube("GET", "v3/comments", {"parentId": [comment.id]}, None, BEARER)
    assert len(more["items"]) == 7


# LinkedIn


def test_linkedin_lists_the_pages_posts_and_their_comments(world, standin):
    status, answer = standin.linkedin(
        "GET",
        "posts",
        {"q": ["author"], "author": [LINKEDIN_ORGANIZATION]},
        None,
        f"Bearer {LI_TOKEN}",
        LI,
    )
    assert status == 200 and post_urns(answer) == [LI_POST]
    comment = world.comment("grace", LI_POST, "Sarah Jones in repairs never calls back")
    assert comment.who == "Grace Okafor"
    path = f"socialActions/{LI_POST}/comments"
    _, listing = standin.linkedin("GET", path, {}, None, f"Bearer {LI_TOKEN}", LI)
    [event] = parse_comments(listing, LI_POST, LINKEDIN_ORGANIZATION, NOW)
    assert event.comment_id == comment.id and event.text == comment.text
    assert event.author_id == world.persona("grace").linkedin_id


def test_a_linkedin_comment_deleted_and_answered_in_public(world, standin):
    comment = world.comment("grace", LI_POST, "Sarah Jones in repairs never calls back")
    auth = f"Bearer {LI_TOKEN}"
    reply = {
        "actor": LINKEDIN_ORGANIZATION,
        "object": LI_POST,
        "parentComment": comment.id,
        "message": {"text": "Please contact us through our website"},
    }
    status, answer = standin.linkedin(
        "POST", f"socialActions/{comment.id}/comments", {}, reply, auth, LI
    )
    assert status == 201 and answer["$URN"].startswith(f"urn:li:comment:({LI_POST},")
    comment_id = comment.id.rsplit(",", 1)[1].rstrip(")")
    delete = f"socialActions/{LI_POST}/comments/{comment_id}"
    actor = {"actor": [LINKEDIN_ORGANIZATION]}
    assert standin.linkedin("DELETE", delete, actor, None, auth, LI) == (204, {})
    assert standin.linkedin("DELETE", delete, actor, None, auth, LI)[0] == 404
    view = world.view()
    removed, replies = thread(view.linkedin, comment.id)
    assert removed.deleted and [r.text for r in replies] == [
        "Please contact us through our website"
    ]
    _, listing = standin.linkedin("GET", f"socialActions/{LI_POST}/comments", {}, None, auth, LI)
    assert listing["elements"] == []


@pytest.mark.parametrize(
    "authorization, headers, status",
    [
        (None, LI, 401),
        ("Bearer real-token", LI, 401),
        (f"Bearer {LI_TOKEN}", {"x-restli-protocol-version": "2.0.0"}, 400),
        (f"Bearer {LI_TOKEN}", {"linkedin-version": "202610"}, 400),
    ],
)
def test_linkedin_refuses_a_call_without_the_token_or_the_version_headers(
    standin, authorization, headers, status
):
    path = f"socialActions/{LI_POST}/comments"
    assert standin.linkedin("GET", path, {}, None, authorization, headers)[0] == status


def test_a_platform_left_off_refuses_every_call(world):
    off = StandIn(world, Credentials("page-token", "ck", "at", ACCOUNT_ID), "http://x")
    assert off.instagram("POST", "me/messages", {"access_token": [""]}, {})[0] == 400
    form = {
        "grant_type": "refresh_token",
        "client_id": "",
        "client_secret": "",
        "refresh_token": "",
    }
    assert off.youtube("POST", "token", {}, form, None)[0] == 400
    assert off.linkedin("GET", "posts", {}, None, "Bearer ", LI)[0] == 401


def test_a_youtube_reply_goes_in_a_thread_never_under_a_reply(world, standin):
    comment = world.comment("tom", VIDEO, "a question")
    reply = world.public_reply(comment.id, "an answer", Author.ASSISTANT)
    nested = {"snippet": {"parentId": reply, "textOriginal": "under the answer"}}
    status, answer = standin.youtube("POST", "v3/comments", {}, nested, BEARER)
    assert status == 400 and answer["error"]["errors"][0]["reason"] == "invalidCommentMetadata"


def test_a_rejected_threads_replies_are_not_listed(world, standin):
    comment = world.comment("tom", VIDEO, "a question")
    world.public_reply(comment.id, "an answer", Author.ASSISTANT)
    query = {"id": [comment.id], "moderationStatus": ["rejected"]}
    standin.youtube("POST", "v3/comments/setModerationStatus", query, None, BEARER)
    _, more = standin.youtube("GET", "v3/comments", {"parentId": [comment.id]}, None, BEARER)
    assert more["items"] == []


def test_a_ban_of_a_persona_forgotten_meanwhile_is_still_answered(world, standin):
    guest = world.newcomer("grace", "a guided scenario's Grace")
    comment = world.comment(guest.key, VIDEO, "abuse")
    world.personas.pop(guest.key)  # a later scenario let the guest go meanwhile
    query = {"id": [comment.id], "moderationStatus": ["rejected"], "banAuthor": ["true"]}
    assert standin.youtube("POST", "v3/comments/setModerationStatus", query, None, BEARER) == (
        204,
        {},
    )
    [notice] = world.view().notices
    assert notice.text.endswith("banned account unknown")
