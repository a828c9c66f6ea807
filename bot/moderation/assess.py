"""Moderation of social-media posts (P7): whether a post comes down, and why.

P7 removes abusive, threatening, obscene, sexually explicit or unlawful posts, spam,
malicious links and posts naming or identifying staff, with zero tolerance for abuse of
staff; negative but civil posts stay, because the association is open and transparent.
This module only reads text and says what it found; hiding, blocking and reporting are
for its callers. Reasons are fixed phrases: nothing here repeats what was matched.

Words are matched whole after seeing through disguises ("f*ck", "sh1t", "F.U.C.K",
"f u c k", "fuuuck", "fúck" and "fuсk" with a Cyrillic "с" all read "fuck"), never as
fragments, so "Scunthorpe", "cocktail" and "assessment" pass. Judgement calls:

- Mild words are not swearing: "bloody", "hell", "damn", "crap", "bugger", "sod" and
  "arsed" are neither removed nor masked ("crap service" is a civil complaint), but the
  insults made with them ("go to hell", "sod off", "you're a pile of crap") are abuse.
- Slurs count as swear words for `has_swearing` and `mask_swearing`, so they are never
  repeated either.
- Words with an innocent sense count only with a target: "scum" (soap scum), "parasites"
  (pests), "clowns", "stupid" ("stupid bot", not "stupid policy"). "Fag" (a cigarette),
  "chink" (of light) and "cum" (kitchen-cum-diner) are never flagged.
- "Idiot" and the like after "I", "me" or "myself" ("I felt like an idiot", "he called
  me an idiot") are a tenant speaking of themselves or reporting abuse: kept.
- Spam needs bait and a call to action together, or a phrase only spammers write, so a
  tenant's "can someone DM me" or "click here for photos" stays.
- A bare "name.tld" with no scheme, "www." or path is a link only for common TLDs or
  known shorteners, so a missing space ("broke.me and") is not a link.
- A link to an ordinary website stays up: only shorteners, known bad sites, and
  unknown links with another sign of spam (see `links.link_findings`) come down.
- A link goes to the host after the last "@" ("https://gov.uk@evil.com" is a link to
  evil.com); that disguise, and a link to a bare IP address, come down.
- "Someone's going to get hurt" is a threat, as P7's examples say, though a tenant may
  mean a hazard; staff see removed posts and can restore them.
"""

from __future__ import annotations

from bot.moderation.lexicon import INSULT, read_words, shown
from bot.moderation.links import link_findings, linked_domains
from bot.moderation.phrases import BAIT, BY_KIND, CALL, PHRASES, SELF, SENTENCE_END, SPAM
from bot.moderation.rules import (
    MODEL_REASON,
    STAFF_NAMED_REASON,
    Assessment,
    Category,
    Finding,
    ModerationRules,
)
from bot.moderation.staff_names import names_staff, refers_to_staff, staff_names
from bot.privacy import normalise as visible


def assess(text: str, rules: ModerationRules, abusive_intent: bool = False) -> Assessment:
    """Assess a social-media post against P7.

    Args:
        text: The post as written.
        rules: The association's staff and domains.
        abusive_intent: The NLU recognised the `abuse` intent with confidence, which
            counts as abuse even when no word list matched.

    Returns:
        The findings; abuse is aimed at staff when its sentence refers to staff.
    """
    text = shown(text)
    norm, placed = read_words(visible.fold_lookalikes(text))
    names = staff_names(rules)
    found: dict[tuple[Category, str], bool] = {}

    def add(category: Category, reason: str, towards_staff: bool = False) -> None:
        found[(category, reason)] = found.get((category, reason), False) or towards_staff

    bounds = [m.end() for m in SENTENCE_END.finditer(norm)]
    for start, end in zip([0, *bounds], [*bounds, len(norm)], strict=True):
        sentence = norm[start:end]
        hits = []
        for at, word in placed:
            if not start <= at < end:
                continue
            before = norm[start:at].split()[-4:]
            if word.kind == INSULT and SELF.search(" ".join(before)):
                continue
            hits += BY_KIND[word.kind]
        hits += [(cat, reason) for cat, reason, p in PHRASES if p.search(sentence)]
        staff = refers_to_staff(sentence, names)
        # Swearing about the engineer is not abuse of them; swearing in abuse of them is.
        hostile = any(cat is not Category.OBSCENE for cat, _ in hits)
        for category, reason in hits:
            add(category, reason, staff and (category is not Category.OBSCENE or hostile))

    if abusive_intent:
        # The model's reading alone removes a post, but blocks nobody at once: zero
        # tolerance needs words that show the abuse, not a guess that may be wrong.
        add(Category.ABUSE, MODEL_REASON)
    if names_staff(norm, names):
        add(Category.STAFF_NAMED, STAFF_NAMED_REASON)
    domains = linked_domains(text, rules.shorteners)
    spam = bool(SPAM.search(norm) or (BAIT.search(norm) and (CALL.search(norm) or domains)))
    if spam:
        add(Category.SPAM, "spam or a scam")
    for category, reason in link_findings(text, norm, domains, rules, spam):
        add(category, reason)
    return Assessment(tuple(Finding(c, r, t) for (c, r), t in found.items()))
