"""End to end: a tenant who complains in public and then writes in private is one tenant
(P6, P3). Their private message is not answered by the assistant (a person will), they
are told once that it was added for the team, and staff read it in the handoff's thread.

Through the connectors: signed webhooks in, the fake platforms' calls out, the thread
read through Rasa's HTTP API.
"""

import time
import uuid
from datetime import datetime, timezone

import pytest

from bot.association import load_association
from bot.handoff.conversations import RasaConversations
from bot.handoff.handoffs import HandoffRepository, Priority, Reason
from bot.handoff.threads import ConversationLinks, read_thread
from bot.handoff.waiting import waiting_note
from bot.store import connect
from scripts.fake_platforms import facebook_webhook, page_comment, x_direct_message, x_mention
from tests.e2e.platforms import ME, PAGE, message, new_user, sent_to, to_facebook, to_x, wait_for
from tests.helpers import CALENDAR, ROOT

ASSOCIATION = load_association(ROOT / "association.yml")

SETTLE = 3  # seconds to wait for any message that should not come
COMPLAINT = "really disappointed, waited 6 weeks for a plumber and nobody has called me back"
WHILE_WAITING = "what are your opening hours? my number is 07700 900456"
MASKED = "what are your opening hours? my number is [phone]"


@pytest.fixture
def running(platforms_running):
    return platforms_running


def texts_sent(platforms, target):
    found = []
    for call in sent_to(platforms, target):
        body = call.body or {}
        text = body.get("message", {}).get("text") if "recipient" in body else body.get("text")
        found.append(text)
    return found


def tenant_wrote(rasa, conversation_id, text):
    def there():
        try:
            events = rasa.tracker(conversation_id)["events"]
        except Exception:
            return False
        return any(e["event"] == "user" and e.get("text") == text for e in events)

    return there


def the_thread(assistant, handoff):
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)
    links = ConversationLinks(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    return read_thread(handoff, rasa.tracker, unmask=False, links=links)


def open_handoff(assistant, conversation_id):
    repository = HandoffRepository(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    assert wait_for(lambda: repository.open_for(conversation_id) is not None, 60)
    return repository.open_for(conversation_id)


def test_a_complaint_on_the_page_then_a_messenger_message_is_one_silent_thread(running):
    assistant, platforms, _ = running
    author, psid = new_user(), new_user()
    cid = f"{PAGE}_{uuid.uuid4().int % 10**12}"
    platforms.psids[cid] = psid  # the private reply reaches them in Messenger as `psid`
    change = page_comment(author, COMPLAINT, cid, "post1")
    assert to_facebook(assistant, facebook_webhook(PAGE, changes=[change]))[0] == 200
    public, private = f"facebook-public-{author}", f"facebook-private-{psid}"
    handoff = open_handoff(assistant, public)
    assert handoff.reason is Reason.NEGATIVE_PUBLIC_COMMENT
    # The private reply went out and Meta named its recipient: the two are linked.
    links = ConversationLinks(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    assert wait_for(lambda: private in links.conversations_of(public), 60)

    to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(psid, WHILE_WAITING)]))
    assert wait_for(lambda: texts_sent(platforms, psid), 60)
    note = waiting_note(handoff, datetime.now(timezone.utc), CALENDAR)
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)
    to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(psid, "hello?")]))
    assert wait_for(tenant_wrote(rasa, private, "hello?"), 60)
    time.sleep(SETTLE)
    # Nothing from the assistant but the note, once.
    assert texts_sent(platforms, psid) == [note]
    assert rasa.tracker(private)["paused"] is True

    thread = the_thread(assistant, handoff)
    said = [(m.author, m.surface, m.conversation_id, m.text) for m in thread]
    tenant = [(s, c, t) for a, s, c, t in said if a == "tenant"]
    assert tenant == [
        ("public", public, COMPLAINT),
        ("private", private, MASKED),
        ("private", private, "hello?"),
    ]
    assert [t for a, s, c, t in said if a == "assistant" and c == private] == [note]
    assert said.index(("tenant", "public", public, COMPLAINT)) < said.index(
        ("assistant", "private", private, note)
    )


def test_a_complaint_mentioning_the_account_then_a_dm_is_one_silent_thread(running):
    assistant, platforms, _ = running
    author, tweet = new_user(), str(uuid.uuid4().int % 10**15)
    mention = x_mention(ME, author, f"@brookfield {COMPLAINT}", tweet)
    assert to_x(assistant, mention)[0] == 200
    public, private = f"twitter-public-{author}", f"twitter-private-{author}"
    handoff = open_handoff(assistant, public)
    assert handoff.reason is Reason.NEGATIVE_PUBLIC_COMMENT
    assert wait_for(lambda: texts_sent(platforms, author), 60)  # the DM asking them in
    asked = texts_sent(platforms, author)

    dm = x_direct_message(ME, author, WHILE_WAITING, f"dm{uuid.uuid4().int % 10**12}")
    assert to_x(assistant, dm)[0] == 200
    assert wait_for(lambda: len(texts_sent(platforms, author)) > len(asked), 60)
    note = waiting_note(handoff, datetime.now(timezone.utc), CALENDAR)
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)
    again = x_direct_message(ME, author, "hello?", f"dm{uuid.uuid4().int % 10**12}")
    assert to_x(assistant, again)[0] == 200
    assert wait_for(tenant_wrote(rasa, private, "hello?"), 60)
    time.sleep(SETTLE)
    assert texts_sent(platforms, author) == [*asked, note]

    thread = the_thread(assistant, handoff)
    tenant = [(m.surface, m.text) for m in thread if m.author == "tenant"]
    assert tenant == [
        ("public", COMPLAINT),  # the account's handle is not the tenant's words
        ("private", MASKED),
        ("private", "hello?"),
    ]
    assert [m.text for m in thread if m.author == "assistant" and m.conversation_id == private] == [
        note
    ]


def test_a_private_conversation_under_way_is_paused_at_its_next_message(running):
    """The tenant wrote in private before complaining in public: that conversation
    exists already, and is paused when they next write in it."""
    assistant, platforms, _ = running
    author = new_user()
    first = x_direct_message(ME, author, "what are your opening hours", f"dm{uuid.uuid4().hex}")
    assert to_x(assistant, first)[0] == 200
    assert wait_for(lambda: texts_sent(platforms, author), 60)  # answered: nobody waits yet
    answered = texts_sent(platforms, author)
    mention = x_mention(ME, author, f"@brookfield {COMPLAINT}", str(uuid.uuid4().int % 10**15))
    assert to_x(assistant, mention)[0] == 200
    handoff = open_handoff(assistant, f"twitter-public-{author}")
    assert wait_for(lambda: len(texts_sent(platforms, author)) > len(answered), 60)
    asked = texts_sent(platforms, author)

    dm = x_direct_message(ME, author, "what are your opening hours", f"dm{uuid.uuid4().hex}")
    assert to_x(assistant, dm)[0] == 200
    assert wait_for(lambda: len(texts_sent(platforms, author)) > len(asked), 60)
    time.sleep(SETTLE)
    note = waiting_note(handoff, datetime.now(timezone.utc), CALENDAR)
    assert texts_sent(platforms, author) == [*asked, note]
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)
    assert rasa.tracker(f"twitter-private-{author}")["paused"] is True


def test_an_emergency_while_waiting_still_gets_the_contacts_at_once(running):
    """P2: the tenant's first message in private, paused as their session starts, is an
    emergency: the contacts go out and Repairs gets an urgent handoff; no waiting note.
    The negative comment stays with Customer Experience (P11): each team holds its own
    matter of the tenant's, so the emergency does not take the complaint into Repairs'
    queue, nor wait behind it."""
    assistant, platforms, _ = running
    author = new_user()
    mention = x_mention(ME, author, f"@brookfield {COMPLAINT}", str(uuid.uuid4().int % 10**15))
    assert to_x(assistant, mention)[0] == 200
    handoff = open_handoff(assistant, f"twitter-public-{author}")
    assert wait_for(lambda: texts_sent(platforms, author), 60)
    asked = texts_sent(platforms, author)

    gas = "i can smell gas really strongly in my kitchen"
    assert to_x(assistant, x_direct_message(ME, author, gas, f"dm{uuid.uuid4().hex}"))[0] == 200
    assert wait_for(lambda: len(texts_sent(platforms, author)) >= len(asked) + 2, 60)
    time.sleep(SETTLE)
    after = texts_sent(platforms, author)[len(asked) :]
    assert all(c.number in after[0] for c in ASSOCIATION.emergency_contacts)
    assert not any(text.startswith("Thanks, I've added your message") for text in after)
    repository = HandoffRepository(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    kept = repository.get(handoff.id)
    assert kept.reason is Reason.NEGATIVE_PUBLIC_COMMENT and kept.team == "Customer Experience"
    urgent = [
        h
        for h in repository.open_all_for(handoff.conversation.conversation_id)
        if h.id != handoff.id
    ]
    assert [(h.reason, h.team, h.priority) for h in urgent] == [
        (Reason.EMERGENCY, "Repairs", Priority.URGENT)
    ]
