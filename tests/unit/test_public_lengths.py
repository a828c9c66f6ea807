"""Every reply that can go out in public fits where it goes (P2, P6): an X post holds 280
(weighted, links 23), a Facebook comment 8,000; the private messages beside them fit
Messenger (2,000) and X's direct messages (10,000). A platform refuses a longer message
for good, so a reply that grows past its limit is never seen by the tenant.

Each is rendered with the longest values it can be given: the association's own details
(association.yml), the longest team name, and the longest time `describe_when` can say.

Which domain responses can go out in public is read from the rules and stories: the
dialogue answers a public post only when screening routes it to the dialogue
(`public_threads.triage`: never a tenancy, repair, antisocial behaviour, complaint or
request for a person, which move to private; on X never an emergency either, which
screening answers itself), and then says what the rules and stories reached from those
intents say. A custom action says there every response its module names, unless its
class declares `said_in_public`, all it says on a public surface (the repair triage's
actions: the triage is private), which the action's own tests hold it to.
"""

import ast
import re
import string
from datetime import datetime, time, timedelta
from itertools import product

import pytest
import yaml

from bot.association import load_association
from bot.channels.dialogue import EMERGENCY_WHILE_PAUSED
from bot.events import InboundEvent, Platform, Surface
from bot.handoff import handoffs
from bot.handoff.working_hours import WorkingCalendar, describe_when
from bot.moderation import Assessment, Category, Finding, phrases, rules
from bot.outbox import Outbox
from bot.platforms.instagram.kit import INSTAGRAM_COMMENT
from bot.platforms.kit import Said
from bot.platforms.limits import FACEBOOK_COMMENT, X_POST
from bot.platforms.registry import KITS, limit_for
from bot.screening.coordinator import Intent, Screening
from bot.screening.public_threads import (
    KIND_WORDS,
    PRIVATE_TOPICS,
    Route,
    Triage,
    triage,
    wording,
)
from bot.store import connect
from tests.helpers import ROOT, UK, domain

ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
DOMAIN = domain()
RESPONSES = DOMAIN["responses"]


def longest_when() -> str:
    """The longest thing `describe_when` says: a weekday, a date and a time, a year round."""
    said = []
    start = datetime(2028, 1, 1, tzinfo=UK)  # a leap year: every date there is
    for day, clock in product(range(366), (time(9), time(12, 30), time(10, 45), time(23, 59))):
        t = datetime.combine((start + timedelta(days=day)).date(), clock, tzinfo=UK)
        for before in (timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=9)):
            said.append(describe_when(t, t - before, UK))
    return max(said, key=len)


def team_names() -> set:
    """Every team a handoff can go to: configured (association.yml) and in code."""
    raw = yaml.safe_load((ROOT / "association.yml").read_text())
    names = {str(team["name"]) for team in raw.get("teams") or [] if isinstance(team, dict)}
    names |= {team.value for team in getattr(handoffs, "Team", ())}
    return names


WHEN = longest_when()
TEAM = max(team_names(), key=len)
LONGEST = {
    **ASSOCIATION.as_slots(),
    "handoff_team": TEAM,
    "handoff_reply_by": WHEN,
    "monitoring_resumes": WHEN,
    "identity_locked_until": WHEN,
}


def public_intents(platform: Platform) -> set:
    """The intents the dialogue answers in public on `platform`: those screening routes
    to the dialogue (a civil post: one that breaks a rule or holds details never is)."""
    intents = {i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]}
    return {
        intent
        for intent in intents | {"nlu_fallback"}
        if triage("", intent, Assessment(()), (), platform.value).route is Route.ANSWER
    }


def emergency_reaches_the_dialogue(platform: Platform) -> bool:
    """Whether screening leaves a public emergency on `platform` to the dialogue, which
    then says EMERGENCY_WHILE_PAUSED in a paused conversation (on X it answers it itself:
    test_a_public_emergency_on_x_never_reaches_the_dialogue holds screening to this)."""
    decided = triage("", "report_emergency", Assessment(()), (), platform.value)
    return decided.route is Route.ANSWER


def step_lists():
    for folder in ("rules", "stories"):
        for path in sorted((ROOT / "data" / folder).glob("*.yml")):
            for item in yaml.safe_load(path.read_text()).get(folder) or []:
                yield [s for s in item.get("steps") or [] if "intent" in s or "action" in s]


def reached_actions(platform: Platform) -> set:
    """Every action the dialogue can run in a public conversation on `platform`.

    A rule or story is followed from an intent answered in public; one that starts
    from an action (a yes after "shall I pass you to a person?") only once that action
    can be reached. Conditions (an active form) are not needed to count: counting more
    is safe here.
    """
    intents = public_intents(platform)
    reached = set()
    if emergency_reaches_the_dialogue(platform):
        # A conversation with people still hears an emergency (bot/channels/dialogue.py).
        reached |= set(EMERGENCY_WHILE_PAUSED)
    changed = True
    while changed:
        changed = False
        for steps in step_lists():
            live = True
            for index, step in enumerate(steps):
                if "intent" in step:
                    live = live and step["intent"] in intents
                elif index == 0:
                    live = step["action"] in reached
                elif live and step["action"] not in reached:
                    reached.add(step["action"])
                    changed = True
    return reached


def spoken_by_custom_actions() -> dict:
    """For each custom action's name (or the prefix of names made from a pattern), the
    responses it can send in public: those its class declares as `said_in_public` (an
    action that says less there, held to it by its own tests), else every response its
    module names."""
    spoken = {}
    for path in sorted((ROOT / "actions").glob("*.py")):
        source = path.read_text()
        responses = set(re.findall(r"[\"'](utter_\w+)[\"']", source))
        for cls in ast.walk(ast.parse(source)):
            if not isinstance(cls, ast.ClassDef):
                continue
            declared = _said_in_public(cls)
            for node in cls.body:
                if isinstance(node, ast.FunctionDef) and node.name == "name":
                    for returned in ast.walk(node):
                        if isinstance(returned, ast.Return) and returned.value is not None:
                            name = _name_or_prefix(returned.value)
                            spoken[name] = responses if declared is None else declared
    return spoken


def _said_in_public(cls: ast.ClassDef) -> set | None:
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "said_in_public" for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return None


def _name_or_prefix(value: ast.expr) -> str:
    if isinstance(value, ast.Constant):
        return str(value.value)
    if isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
        return str(value.values[0].value) + "*"
    raise AssertionError(f"an action's name() returns what this test cannot read: {value}")


def public_responses(platform: Platform) -> set:
    """The domain responses the dialogue can send in public on `platform`."""
    spoken = spoken_by_custom_actions()
    found = set()
    for action in reached_actions(platform):
        if action.startswith("utter_"):
            found.add(action)
            continue
        if action in DOMAIN.get("forms", {}) or action.startswith("action_deactivate"):
            continue
        owners = [
            says
            for name, says in spoken.items()
            if name == action or (name.endswith("*") and action.startswith(name[:-1]))
        ]
        assert owners, f"{action} runs in public, and this test cannot tell what it says"
        for says in owners:
            found |= says
    return found


def render(text: str) -> str:
    names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
    missing = names - set(LONGEST)
    assert not missing, f"give {sorted(missing)} a longest value in this test"
    return text.format(**LONGEST)


def variations(platform: Platform):
    for name in sorted(public_responses(platform)):
        for number, variation in enumerate(RESPONSES[name]):
            yield pytest.param(name, variation["text"], id=f"{platform.value}-{name}-{number}")


def test_the_public_responses_are_found():
    """The analysis finds what the public surface is known to hear, and not a tenancy."""
    on_x, on_facebook = public_responses(Platform.TWITTER), public_responses(Platform.FACEBOOK)
    assert {"utter_greet", "utter_handoff", "utter_ask_rephrase", "utter_privacy"} <= on_x
    assert "utter_emergency_contacts" in on_facebook - on_x
    for private in ("utter_rent_balance", "utter_ask_security_locator", "utter_report_repair"):
        assert private not in on_x | on_facebook
    # The repair request can be reached in public (the rules' conditions are not read),
    # and there it says only what its class declares: the triage is private (P6).
    assert "action_record_repair_request" in reached_actions(Platform.TWITTER)
    assert "utter_tenancy_in_private" in on_x
    for private in ("utter_repair_request_passed", "utter_repair_photo_received"):
        assert private not in on_x | on_facebook


PUBLIC_EMERGENCIES = (
    "@brookfield water pouring through my ceiling",
    "@brookfield I can smell gas in the hallway, this is a disgrace",  # a complaint too
    "@brookfield sparks coming out of the socket, my rent is paid so fix it",  # a tenancy too
    "@brookfield EMERGENCY",
)


@pytest.mark.parametrize("text", PUBLIC_EMERGENCIES)
@pytest.mark.parametrize("confidence", [0.3, 0.7, 0.99])
def test_a_public_emergency_on_x_never_reaches_the_dialogue(tmp_path, text, confidence):
    """P2 on X: a public emergency, paused conversation or not, is answered by screening
    (numbers first, the rest by DM), so the dialogue's EMERGENCY_WHILE_PAUSED replies,
    too long for a post, are never said in public on X. On Facebook they are."""
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    screening = Screening(engine, Outbox(engine), ASSOCIATION, CALENDAR)
    at = datetime(2026, 11, 28, 23, 0, tzinfo=UK)
    emergency = Intent("report_emergency", confidence)
    mention = InboundEvent("twitter", "mention", "m1", "public", "x1", text, at, tweet_id="t1")
    assert not screening.screen(mention, emergency, at).dialogue
    assert not emergency_reaches_the_dialogue(Platform.TWITTER)
    comment = InboundEvent(
        "facebook",
        "comment",
        "c1",
        "public",
        "f1",
        text.replace("@brookfield ", ""),
        at,
        post_id="p1",
        comment_id="c1",
    )
    facebook = screening.screen(comment, emergency, at)
    assert facebook.dialogue == emergency_reaches_the_dialogue(Platform.FACEBOOK)


def test_the_longest_values_are_long():
    assert len(WHEN) == len("Wednesday 30 September at 12:30pm") and WHEN.startswith("Wednesday")
    assert len(TEAM) >= len("Customer Experience")


@pytest.mark.parametrize(("name", "text"), list(variations(Platform.TWITTER)))
def test_every_public_response_fits_an_x_post(name, text):
    shown = render(text)
    assert X_POST.fits(shown), f"{name} is {X_POST.count(shown)} on X (280 at most): {shown}"


@pytest.mark.parametrize(("name", "text"), list(variations(Platform.FACEBOOK)))
def test_every_public_response_fits_a_facebook_comment(name, text):
    assert FACEBOOK_COMMENT.fits(render(text)), name


@pytest.mark.parametrize(("name", "text"), list(variations(Platform.INSTAGRAM)))
def test_every_public_response_fits_an_instagram_comment(name, text):
    assert INSTAGRAM_COMMENT.fits(render(text)), name


def every_reason() -> str:
    """Every reason moderation can give, all at once: the longest warning there is."""
    found = [reason for kind in phrases.BY_KIND.values() for _, reason in kind]
    found += [reason for _, reason, _ in phrases.PHRASES]
    found += [rules.MODEL_REASON, rules.STAFF_NAMED_REASON, "spam or a scam"]
    source = (ROOT / "bot" / "moderation" / "links.py").read_text()
    found += re.findall(r"Category\.\w+, \"([^\"]+)\"", source)
    return tuple(dict.fromkeys(found))


def assessments():
    reasons = every_reason()
    yield Assessment(())
    for category in Category:
        yield Assessment((Finding(category, reasons[0]),))
    # Everything at once, with every reason: the longest list of reasons.
    yield Assessment(tuple(Finding(Category.ABUSE, reason) for reason in reasons))


def _said(said):
    return Said(
        said.public, said.private, said.public_if_not_hidden, said.public_if_private_refused
    )


def posted(platform, mine=True):
    """A public post on `platform`; `mine`: a reply in the account's own thread."""
    at = datetime(2026, 1, 1, tzinfo=UK)
    return InboundEvent(
        platform, "comment", "1", Surface.PUBLIC, "2", "hi", at, "3", "4", "5", mine
    )


POSTED = {platform: posted(platform) for platform in KITS}


def test_an_instagram_private_reply_keeps_the_emergency_contacts_when_cut():
    kit = KITS[Platform.INSTAGRAM]
    emergency = "If this is an emergency, call 999 now.\n• Gas: 0800 111 999\n\n"
    long = emergency + "We've hidden your comment. " + "It broke our rules. " * 80
    sent = kit.private_call(POSTED[Platform.INSTAGRAM], Said(None, long), follow=False).text
    assert limit_for(Platform.INSTAGRAM, Surface.PRIVATE).fits(sent)
    assert sent.startswith(emergency.strip()) and sent.endswith(".")
    assert len(sent) < len(long)


def can_hide(platform):
    """Whether `platform` can hide a public post: True, False, or either (X hides only
    replies in the account's own threads)."""
    kit = KITS[platform]
    return {
        kit.can_hide(
            InboundEvent(
                platform,
                "comment",
                "1",
                Surface.PUBLIC,
                "2",
                "hi",
                datetime(2026, 1, 1, tzinfo=UK),
                "3",
                "4",
                "5",
                mine,
            )
        )
        for mine in (True, False)
    }


def every_wording():
    topics = [None, "negative", *sorted(set(PRIVATE_TOPICS.values()))]
    kinds = tuple(KIND_WORDS)
    for route, assessment, topic, emergency, platform, flags, back in product(
        Route,
        list(assessments()),
        topics,
        (False, True),
        tuple(KITS),
        product((True, False), repeat=3),
        (None, WHEN),
    ):
        removed, blocked, followed = flags
        if removed not in can_hide(platform):
            continue  # Facebook and Instagram hide every comment: never asked to delete
        decided = Triage(route, assessment, kinds, topic, emergency)
        said = wording(
            decided,
            platform.value,
            ASSOCIATION,
            reply_by=WHEN,
            removed=removed,
            blocked=blocked,
            followed=followed,
            back=back,
        )
        yield platform, said


def test_every_public_threads_message_fits_where_it_goes():
    checked = 0
    for platform, said in every_wording():
        public = limit_for(platform, Surface.PUBLIC)
        private = limit_for(platform, Surface.PRIVATE)
        # What the platform's private call sends of the private words (none on YouTube).
        call = KITS[platform].private_call(POSTED[platform], _said(said), follow=True)
        sent = call.text if call is not None else None
        for text, limit in (
            (said.public, public),
            (said.public_if_private_refused, public),
            (said.public_if_not_hidden, public),
            (sent, private),
        ):
            if text:
                checked += 1
                assert limit.fits(text), f"{limit.count(text)} > {limit.most}: {text}"
    assert checked > 1000
