"""Public comments and mentions: which route each takes, and what is said (P5, P6, P7)."""

import pytest
import yaml

from bot.association import load_association
from bot.moderation import Assessment, ModerationRules, StaffMember, assess
from bot.privacy import Span, find
from bot.screening.public_threads import Route, in_words, triage, wording
from tests.helpers import ROOT

ASSOCIATION = load_association(ROOT / "association.yml")
RULES = ModerationRules(
    staff=(StaffMember("Karen Holt"),), own_domains=("brookfieldhomes.example",)
)


def decide(text, intent=None):
    return triage(text, intent, assess(text, RULES, abusive_intent=intent == "abuse"), find(text))


@pytest.mark.parametrize(
    "text, intent, route, topic",
    [
        ("what are your opening hours", "ask_opening_hours", Route.ANSWER, None),
        ("any jobs going?", "ask_job_vacancies", Route.ANSWER, None),
        ("thank you so much for fixing the lift!", "give_compliment", Route.ANSWER, None),
        ("how much rent do i owe", "ask_rent_balance", Route.MOVE_PRIVATE, "tenancy"),
        ("when is my repair booked", "ask_repair_status", Route.MOVE_PRIVATE, "tenancy"),
        ("my boiler is broken", "report_repair", Route.MOVE_PRIVATE, "repair"),
        (
            "neighbours party every night",
            "report_antisocial_behaviour",
            Route.MOVE_PRIVATE,
            "antisocial_behaviour",
        ),
        ("can i speak to a person", "request_human", Route.MOVE_PRIVATE, "person"),
        ("i want to make a complaint", "make_complaint", Route.MOVE_PRIVATE, "negative"),
        # Negative but civil, whatever the model made of it: moved, never removed (P6, P7).
        (
            "your service is a disgrace, 6 weeks waiting",
            "out_of_scope",
            Route.MOVE_PRIVATE,
            "negative",
        ),
        ("nobody has called me back, very disappointed", None, Route.MOVE_PRIVATE, "negative"),
        # Personal details come before everything but the rules; the topic is kept.
        ("my boiler is broken, ring 07700 900123", "report_repair", Route.PROTECT, "repair"),
        (
            "dob 12/03/1985 tenancy TEN-204817 balance?",
            "ask_rent_balance",
            Route.PROTECT,
            "tenancy",
        ),
        # The rules come first.
        ("you're all useless f***ing idiots", "make_complaint", Route.REMOVE, "negative"),
        ("call me 07700 900123 you useless f***ers", "abuse", Route.REMOVE, "negative"),
        ("Karen Holt never called me back", "make_complaint", Route.REMOVE, "negative"),
        ("win big at bit.ly/free-cash", "out_of_scope", Route.REMOVE, None),
        ("stupid bot", "abuse", Route.REMOVE, None),
        # An emergency is answered at once (P2), even when the tenant is angry.
        ("disgraceful, i can smell gas", "report_emergency", Route.ANSWER, "negative"),
        # Unhappiness outranks the subject: a complaint about a repair is a complaint.
        (
            "still waiting for my repair, disgraceful",
            "report_repair",
            Route.MOVE_PRIVATE,
            "negative",
        ),
    ],
)
def test_each_post_takes_its_route(text, intent, route, topic):
    decided = decide(text, intent)
    assert (decided.route, decided.topic) == (route, topic)


@pytest.mark.parametrize(
    "text, intent, topic",
    [
        # As a public complaint is: moved to private, acknowledged, for Customer
        # Experience (P6, P11); nothing is asked in public.
        ("3 weeks no heating you lazy lot", "report_repair+make_complaint", "negative"),
        ("my boiler is broken, can i talk to someone", "report_repair+request_human", "repair"),
    ],
)
def test_a_post_with_two_needs_takes_the_route_of_either(text, intent, topic):
    decided = decide(text, intent)
    assert (decided.route, decided.topic) == (Route.MOVE_PRIVATE, topic)


def test_the_kinds_of_detail_are_named_once_each_in_order():
    decided = decide("07700 900123 or 07700 900456, LS6 2AB")
    assert decided.personal_details == ("phone", "postcode")
    assert in_words(decided.personal_details) == "a phone number and a postcode"
    assert in_words(["email", "street_address", "payment_card"]) == (
        "an email address, an address and card details"
    )


def _messages():
    """Every labelled message with a detail in it, with the details."""
    for name in ("labelled.yml", "held_out.yml", "blind.yml"):
        for message in yaml.safe_load((ROOT / "tests" / "privacy" / name).read_text())["messages"]:
            if message["details"]:
                yield message["text"], [d["text"] for d in message["details"]]


@pytest.mark.parametrize("platform", ["facebook", "twitter"])
@pytest.mark.parametrize("removed", [True, False])
def test_no_message_about_a_post_ever_quotes_its_details(platform, removed):
    checked = 0
    for text, details in _messages():
        decided = decide(text)
        said = wording(decided, platform, ASSOCIATION, removed=removed, followed=True)
        for message in (said.public, said.private, said.public_if_private_refused):
            for detail in details:
                assert detail not in (message or ""), (text, message)
        checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    "text, intent",
    [
        ("how much rent do i owe on TEN-204817", "ask_rent_balance"),
        ("your service is shocking", "make_complaint"),
        ("my boiler is broken again", "report_repair"),
        ("you lot are f***ing useless", "abuse"),
        ("Karen Holt is lovely", "give_compliment"),
        ("ring me on 07700 900123", "report_repair"),
    ],
)
@pytest.mark.parametrize("platform", ["facebook", "twitter"])
def test_no_message_holds_any_of_the_tenants_words(text, intent, platform):
    said = wording(decide(text, intent), platform, ASSOCIATION, reply_by="Monday at 1pm")
    words = {w for w in text.lower().replace(",", " ").split() if len(w) > 4}
    ours = " ".join(filter(None, [said.public, said.private, said.public_if_private_refused]))
    assert ours, "something is said"
    assert not {w for w in words if w in ours.lower()} - {"broken", "again", "service", "lovely"}
    for swear in ("f***ing", "fucking", "useless"):
        assert swear not in ours.lower()


def test_protected_on_facebook_is_told_privately_only():
    said = wording(decide("ring me on 07700 900123"), "facebook", ASSOCIATION)
    assert said.public is None
    assert "hidden your comment because it included a phone number" in said.private


def test_protected_on_x_where_it_cannot_be_hidden_asks_in_public_to_delete_it():
    said = wording(
        decide("ring me on 07700 900123"), "twitter", ASSOCIATION, removed=False, followed=True
    )
    assert said.public.startswith("Please delete your post: it has personal details in it.")
    assert "(we've followed you so that you can)" in said.public_if_private_refused
    assert (
        "we've followed"
        not in wording(
            decide("ring me on 07700 900123"), "twitter", ASSOCIATION, removed=False
        ).public_if_private_refused
    )


def test_a_negative_comment_is_told_honestly_when_a_person_will_reply():
    said = wording(
        decide("i want to complain", "make_complaint"),
        "facebook",
        ASSOCIATION,
        reply_by="Monday at 1pm",
    )
    assert said.public == (
        "We're sorry to hear this. We've sent you a private message so we can look into it "
        "with you."
    )
    assert "Customer Experience team aims to reply to you here by Monday at 1pm" in said.private


def test_a_repair_moved_to_private_still_gives_the_emergency_line():
    said = wording(decide("boiler broken", "report_repair"), "facebook", ASSOCIATION)
    assert ASSOCIATION.phones["out_of_hours_repairs"] in said.private


@pytest.mark.parametrize(
    "blocked, ending", [(True, "now been blocked"), (False, "blocked and reported")]
)
def test_abuse_is_warned_without_its_words_and_told_of_a_block(blocked, ending):
    decided = decide("you're all f***ing useless pr*cks", "abuse")
    said = wording(decided, "facebook", ASSOCIATION, blocked=blocked)
    assert said.public is None and ending in said.private
    assert "zero tolerance for abuse of our staff" in said.private


def test_naming_staff_is_explained_gently():
    said = wording(decide("Karen Holt was so helpful"), "facebook", ASSOCIATION)
    assert "names a member of our staff" in said.private
    assert "zero tolerance" not in said.private


def test_an_answer_route_says_nothing_itself():
    empty = triage("hi", "greet", Assessment(()), [])
    assert wording(empty, "facebook", ASSOCIATION) == wording(empty, "twitter", ASSOCIATION)
    assert wording(empty, "facebook", ASSOCIATION).private is None


def test_an_emergency_that_must_come_down_still_gets_the_contacts_first():
    for text in ["there's a f***ing gas leak", "gas leak at flat 4, 12 Oak Road"]:
        decided = decide(text, "report_emergency")
        assert decided.route in (Route.REMOVE, Route.PROTECT) and decided.emergency
        said = wording(decided, "facebook", ASSOCIATION)
        assert said.private.startswith("If this is an emergency and anyone is in danger, call 999")
        assert ASSOCIATION.emergency_contacts_text() in said.private


def test_a_civil_complaint_removed_for_naming_staff_still_hears_from_customer_experience():
    decided = decide("Karen Holt never called me back", "make_complaint")
    assert decided.civil
    said = wording(decided, "facebook", ASSOCIATION, reply_by="Monday at 1pm")
    assert "Customer Experience team aims to reply to you here by Monday at 1pm" in said.private
    abusive = decide("Karen Holt is a f***ing idiot", "make_complaint")
    assert not abusive.civil


def test_on_x_a_post_that_cannot_be_hidden_is_not_said_to_be_removed():
    said = wording(decide("stupid bot", "abuse"), "twitter", ASSOCIATION, removed=False)
    assert "Please delete your post:" in said.private and "removed" not in said.private


def test_on_x_the_public_word_promises_no_dm_that_may_not_come():
    said = wording(decide("when is my repair booked", "ask_repair_status"), "twitter", ASSOCIATION)
    assert said.public.startswith(
        "Thanks for getting in touch. We'll be in touch by direct message"
    )


@pytest.mark.parametrize("kind", ["vulnerability", "a_kind_the_detector_learns_later"])
def test_any_kind_of_personal_detail_protects_the_post_and_is_explained(kind):
    text = "the flat is empty all week"
    decided = triage(text, None, Assessment(()), [Span(kind, 0, len(text), text)])
    said = wording(decided, "facebook", ASSOCIATION)
    assert decided.route is Route.PROTECT
    assert "hidden your comment because it included" in said.private
    assert "flat" not in said.private
