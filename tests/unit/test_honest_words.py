"""Honest words: what the assistant says promises no more than the policy does.

- P3 sets targets "where possible": a reply time is an aim ("we aim to reply by"), never
  a guarantee ("someone will reply by").
- P2: each emergency points to the line that deals with it. Gas and carbon monoxide go
  to the gas emergency line; dangerous electrics (sparking, a burning smell, exposed
  wires) to the out-of-hours repairs line, never to the power cut line (105 is for
  power cuts only).
- The out-of-hours emergency message reads as plain English once its slots are filled.
"""

import re
from datetime import datetime, timezone
from itertools import product

import pytest

from bot.association import load_association
from bot.events import Platform
from bot.handoff.handoffs import Conversation, Reason, Teams, notice, plan
from bot.handoff.working_hours import describe_when
from bot.moderation import Assessment, Category, Finding
from bot.screening.public_threads import PRIVATE_TOPICS, Route, Triage, wording
from tests.helpers import CALENDAR, ROOT, domain

ASSOCIATION = load_association(ROOT / "association.yml")
PHONES = ASSOCIATION.phones
RESPONSES = domain()["responses"]
# Saturday night: out of hours. Tuesday morning: in hours.
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
# "will reply ... by", "'ll get back to you by": a time given as a certainty.
GUARANTEE = re.compile(
    r"\b(?:will|'ll|shall)\s+(?:\w+\s+){0,3}?(?:reply|respond|answer|get back|be in touch)"
    r"\w*\b[^.]*?\bby\b(?!\s+(?:direct|private|message|phone|email))",
    re.IGNORECASE,
)
AIM = re.compile(r"\baims? to reply\b", re.IGNORECASE)


def every_response_text():
    for name, variations in RESPONSES.items():
        for variation in variations:
            yield name, variation.get("text", "")


def every_wording(reply_by="Monday at 1pm", back="Monday at 9am"):
    """What public_threads says, for every route, topic, platform and emergency."""
    assessments = [
        Assessment(()),
        Assessment((Finding(Category.ABUSE, "abusive language"),)),
        Assessment((Finding(Category.STAFF_NAMED, "names or identifies a member of staff"),)),
        Assessment((Finding(Category.OBSCENE, "swearing"),)),
        Assessment((Finding(Category.SUSPICIOUS_LINK, "a link we can't check"),)),
    ]
    topics = [None, "negative", *sorted(set(PRIVATE_TOPICS.values()))]
    for route, assessment, topic, emergency, platform, removed in product(
        Route, assessments, topics, (False, True), ("facebook", "twitter"), (True, False)
    ):
        decided = Triage(route, assessment, ("phone",), topic, emergency)
        said = wording(
            decided, platform, ASSOCIATION, reply_by=reply_by, removed=removed, back=back
        )
        for text in (
            said.public,
            said.private,
            said.public_if_private_refused,
            said.public_if_not_hidden,
        ):
            if text:
                yield text


@pytest.mark.parametrize(("name", "text"), list(every_response_text()))
def test_no_response_guarantees_a_reply_time(name, text):
    assert not GUARANTEE.search(text), name
    if "{handoff_reply_by}" in text:
        assert AIM.search(text), name


def test_no_public_thread_wording_guarantees_a_reply_time():
    texts = set(every_wording())
    assert texts
    for text in texts:
        assert not GUARANTEE.search(text), text
        if "Monday at 1pm" in text:
            assert AIM.search(text), text


def contact_for(*words):
    return [
        c
        for c in ASSOCIATION.emergency_contacts
        if any(re.search(rf"\b{w}", c.label, re.IGNORECASE) for w in words)
    ]


def test_gas_and_carbon_monoxide_point_to_the_gas_emergency_line():
    for words in (("gas",), ("carbon monoxide",)):
        found = contact_for(*words)
        assert found and all(c.number == PHONES["gas_emergency"] for c in found)


def test_dangerous_electrics_point_to_the_repairs_line_never_the_power_cut_line():
    electrics = contact_for("electric", "sparking", "exposed wires")
    assert electrics
    assert all(c.number == PHONES["out_of_hours_repairs"] for c in electrics)
    power_cut = [c for c in ASSOCIATION.emergency_contacts if c.number == PHONES["power_cut"]]
    assert all("electric" not in c.label.lower() for c in power_cut)


@pytest.mark.parametrize(("name", "text"), list(every_response_text()))
def test_no_response_sends_dangerous_electrics_to_the_power_cut_line(name, text):
    for sentence in re.split(r"(?<=[.!?\n])\s", text):
        if re.search(r"electric|sparking", sentence, re.IGNORECASE):
            assert PHONES["power_cut"] not in sentence and "power cut" not in sentence.lower()


def rendered(case, now):
    team = Teams.from_config(ASSOCIATION.teams).for_reason(Reason.EMERGENCY)
    handoff = plan(Reason.EMERGENCY, Conversation("c", Platform.TWITTER), now, CALENDAR, team)
    told = notice(handoff, now, CALENDAR)
    slots = {
        **ASSOCIATION.as_slots(),
        "handoff_team": told.team,
        "handoff_reply_by": told.reply_by,
        "monitoring_resumes": told.monitoring_resumes,
    }
    [text] = [
        v["text"]
        for v in RESPONSES["utter_handoff"]
        if any(c.get("value") == case for c in v.get("condition", []))
    ]
    return text.format(**slots), told


# A time of day run straight into the next clause ("9am to 5pm this page is...").
RUN_ON = re.compile(r"\b\d{1,2}(?::\d\d)?[ap]m (?!to\b|and\b|on\b|or\b|\()[a-z]")


def reads_plainly(text):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    for sentence in sentences:
        assert sentence[0].isupper(), sentence
        assert sentence[-1] in ".!?", sentence
        assert len(sentence.split()) <= 25, sentence
    assert not RUN_ON.search(text), text


def test_the_out_of_hours_emergency_message_reads_as_plain_english():
    text, told = rendered("emergency_out_of_hours", SATURDAY_NIGHT)
    reads_plainly(text)
    # It says when people are back, what to do now, and that the message is urgent.
    assert told.monitoring_resumes in text
    assert f"call our out-of-hours repairs line now on {PHONES['out_of_hours_repairs']}" in text
    assert "emergencies only" in text and "urgent" in text


def test_the_other_handoff_messages_read_as_plain_english():
    for case, now in (
        ("in_hours", TUESDAY),
        ("out_of_hours", SATURDAY_NIGHT),
        ("emergency_in_hours", TUESDAY),
    ):
        reads_plainly(rendered(case, now)[0])


def test_the_public_threads_out_of_hours_emergency_message_reads_as_plain_english():
    back = describe_when(CALENDAR.next_monitoring_start(SATURDAY_NIGHT), SATURDAY_NIGHT)
    decided = Triage(Route.MOVE_PRIVATE, Assessment(()), (), None, emergency=True)
    said = wording(decided, "twitter", ASSOCIATION, reply_by="Monday at 1pm", back=back)
    after_contacts = said.private.split("\n\n")[-1]
    reads_plainly(after_contacts)
    assert back in after_contacts and "emergencies only" in after_contacts
    assert f"call our out-of-hours repairs line now on {PHONES['out_of_hours_repairs']}" in (
        after_contacts
    )
