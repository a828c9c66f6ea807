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
  unknown links with another sign of spam (see `_link_findings`) come down.
- A link goes to the host after the last "@" ("https://gov.uk@evil.com" is a link to
  evil.com); that disguise, and a link to a bare IP address, come down.
- "Someone's going to get hurt" is a threat, as P7's examples say, though a tenant may
  mean a hazard; staff see removed posts and can restore them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from bot import text as visible

# The reason given when only the model read abuse in a post (its `abuse` intent).
MODEL_REASON = "abusive message"
# The reason given for a post that names staff; the log finds earlier warnings by it.
STAFF_NAMED_REASON = "names or identifies a member of staff"


class Category(str, Enum):
    """What kind of content a finding is."""

    ABUSE = "abuse"
    THREAT = "threat"
    OBSCENE = "obscene"
    SEXUAL = "sexual"
    HATE = "hate"
    STAFF_NAMED = "staff_named"
    SPAM = "spam"
    SUSPICIOUS_LINK = "suspicious_link"


DEFAULT_SHORTENERS = (
    "bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rb.gy", "cutt.ly",
    "shorturl.at", "tiny.cc", "t.ly", "rebrand.ly", "s.id", "t.co", "v.gd", "bl.ink",
    "lnkd.in", "shorte.st", "adf.ly", "tiny.one", "qrco.de", "x.co",
)  # fmt: skip
# Top-level domains that cost next to nothing and carry much of the spam: a link to one
# is a signal, not a reason on its own.
DEFAULT_RISKY_TLDS = (
    "xyz", "top", "click", "link", "tk", "ml", "ga", "cf", "gq", "icu", "buzz", "pw", "loan",
    "win", "su", "rest", "cam", "monster",
)  # fmt: skip
DEFAULT_TRUSTED = (
    "gov.uk", "nhs.uk", "police.uk", "citizensadvice.org.uk", "shelter.org.uk",
    "housing-ombudsman.org.uk", "moneyhelper.org.uk", "stepchange.org", "samaritans.org",
    "bbc.co.uk",
)  # fmt: skip


@dataclass(frozen=True)
class StaffMember:
    """A member of staff whose name must not appear in public posts.

    Attributes:
        name: Their full name, e.g. "Karen Holt".
        aliases: Other ways tenants write them, e.g. ("Kaz Holt",).
    """

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModerationRules:
    """What the association configures: its staff and the websites it trusts.

    Attributes:
        staff: Staff who must not be named.
        own_domains: The association's domains; their subdomains count as its own.
        shorteners: URL shorteners, which hide where a link goes.
        trusted_domains: Well-known safe sites a tenant may cite (with subdomains).
        bad_domains: Sites known to be malicious (with subdomains): always removed.
        risky_tlds: Top-level domains where a link counts as a sign of spam.
    """

    staff: tuple[StaffMember, ...] = ()
    own_domains: tuple[str, ...] = ()
    shorteners: tuple[str, ...] = DEFAULT_SHORTENERS
    trusted_domains: tuple[str, ...] = DEFAULT_TRUSTED
    bad_domains: tuple[str, ...] = ()
    risky_tlds: tuple[str, ...] = DEFAULT_RISKY_TLDS


@dataclass(frozen=True)
class Finding:
    """One reason for removing a post.

    Attributes:
        category: What kind of content it is.
        reason: For staff, in fixed words; never the offending word or personal details.
        towards_staff: Aimed at staff, which P7 treats with zero tolerance.
    """

    category: Category
    reason: str
    towards_staff: bool = False


# Only these may be aimed at staff; naming staff or posting spam is not abuse of them.
_AGGRESSIVE = frozenset(
    {Category.ABUSE, Category.THREAT, Category.OBSCENE, Category.SEXUAL, Category.HATE}
)


@dataclass(frozen=True)
class Assessment:
    """Everything moderation found in one post."""

    findings: tuple[Finding, ...]

    @property
    def remove(self) -> bool:
        """Whether the post comes down (anything at all was found)."""
        return bool(self.findings)

    @property
    def towards_staff(self) -> bool:
        """Whether abuse, threats, obscenity, sexual content or hate is aimed at staff."""
        return any(f.towards_staff and f.category in _AGGRESSIVE for f in self.findings)

    @property
    def categories(self) -> frozenset[Category]:
        """The kinds of content found."""
        return frozenset(f.category for f in self.findings)

    def reasons(self) -> str:
        """The distinct reasons, in the order found, joined with "; "."""
        return "; ".join(dict.fromkeys(f.reason for f in self.findings))


# Word list -------------------------------------------------------------------------
_SWEAR, _SWEAR_INSULT, _INSULT, _SLUR = "swear", "swear_insult", "insult", "slur"
_SWEARING = frozenset({_SWEAR, _SWEAR_INSULT, _SLUR})

# Items are "stem:endings" ("-" is the bare stem; no endings means "-,s"). A word counts
# only as a stem plus one of its endings, which keeps "cocktail", "assess" and "Dickens"
# out. Each letter of a stem may repeat ("fuuuck"). Slurs are written out: this is a
# moderation list, and disguising it would only hide typos.
_TABLE = {
    _SWEAR: "fuck:-,s,ed,in,ing,ings,off shit:-,e,es,s,ty,ter,ters,ting,ted,show,hole,holes"
    " piss:-,ed,es,ing,er,take bollock:-,s,ing,ed wank:-,s,ed,ing,y dick cock arse ass:-"
    " wtf:- ffs:- stfu:- gtfo:- omfg:- eff:in,ing",
    _SWEAR_INSULT: "fuck:er,ers,wit,wits,face,faces,head,heads,tard,tards"
    " motherfuck:er,ers,ing,in shit:head,heads,bag,bags piss:head,heads,pot,pots"
    " wank:er,ers,stain,stains bastard bitch:-,es,y,ing cunt twat prick dick:head,heads"
    " cock:sucker,suckers,womble,wombles arse:hole,holes,wipe ass:hole,holes,hat,hats,wipe"
    " tosser bellend knob:head,heads,end,ends slag slut whore skank",
    _INSULT: "idiot:-,s,ic moron:-,s,ic cretin imbecile dimwit halfwit nitwit scumbag plonker"
    " pillock prat wazzock tosspot nonce paedo pedo",
    _SLUR: "nigg:er,ers,a,as,az paki gook spic wog coon kike yid gyppo pikey darkie sambo"
    " golliwog raghead towelhead wetback faggot poof:-,s,ter,ters trann:y,ies shemale"
    " retard:-,s,ed spastic spaz:-,zes mong mongoloid",
}
_F = r"f+u*c+k+|f+u+k+|ph+u+c+k+"
_STEMS = {"fuck": _F, "motherfuck": rf"m+o+t+h+e+r+(?:{_F})", "knob": r"k*n+o+b+"}


def _letters(word: str) -> str:
    # A single letter may be stretched to three or more ("fuuuck") but not doubled, so the
    # surname "Pratt" is not "prat"; a double ("ss" in "ass") must stay, or "as" matches.
    return "".join(
        f"{c}(?:{c}{c}+)?" if len(run) == 1 else f"{c}{{{len(run)},}}"
        for run in (m.group() for m in re.finditer(r"(.)\1*", word))
        for c in (re.escape(run[0]),)
    )


class _Entry(NamedTuple):
    kind: str
    stem: str
    endings: tuple[str, ...]
    pattern: re.Pattern[str]


def _entry(kind: str, item: str) -> _Entry:
    stem, _, given = item.partition(":")
    ends = tuple("" if e == "-" else e for e in (given or "-,s").split(","))
    # Groups for the non-empty endings, in order, so lastindex says which one matched.
    named = tuple(e for e in ends if e)
    groups = "|".join(f"({_letters(e)})" for e in named)
    tail = f"(?:{groups}){'?' if '' in ends else ''}" if groups else ""
    regex = re.compile(f"(?:{_STEMS.get(stem, _letters(stem))}){tail}")
    return _Entry(kind, stem, named + (("",) if "" in ends else ()), regex)


_VOCAB = tuple(_entry(kind, item) for kind, items in _TABLE.items() for item in items.split())
# Most words are in none of the entries; one match against all of them says so cheaply.
_ANY = re.compile("|".join(e.pattern.pattern for e in _VOCAB))
_LONGEST = 24  # letters: more than any listed word, even a little stretched
_LEET_I = str.maketrans("0134579@$!", "oieastgasi")
_LEET_L = str.maketrans("0134579@$!", "oleastgasi")


def _lookup(raw: str) -> tuple[str, str] | None:
    """The plain form and kind of an offensive word, or None."""
    if len(raw) < 2 or not any(c.isalpha() for c in raw):
        return None  # numbers like "455" or "5*" are not disguised words
    for reading in dict.fromkeys((raw.translate(_LEET_I), raw.translate(_LEET_L))):
        found = _starred(reading) if "*" in reading else _listed(reading)
        if found:
            return found
    return None


def _listed(word: str) -> tuple[str, str] | None:
    if not _ANY.fullmatch(word):
        return None
    for entry in _VOCAB:
        if m := entry.pattern.fullmatch(word):
            return entry.stem + (entry.endings[m.lastindex - 1] if m.lastindex else ""), entry.kind
    return None


def _starred(word: str) -> tuple[str, str] | None:
    # "A*" (a grade) and "f*" are too short to say which word was meant.
    if len(word) < 3:
        return None
    parts = re.findall(r"\*+|[^*]", word)
    shape = re.compile("".join("[a-z]+" if p[0] == "*" else re.escape(p) for p in parts))
    fits = [(e.stem + end, e.kind) for e in _VOCAB for end in e.endings]
    fits = [(form, kind) for form, kind in fits if shape.fullmatch(form)]
    # One star per letter is the usual way ("f***" is "fuck", not "fucks").
    return min(fits, key=lambda fit: (len(fit[0]) != len(word), len(fit[0])), default=None)


class _Word(NamedTuple):
    start: int
    end: int
    word: str
    kind: str


# Single letters joined by one kind of separator: "f u c k", "F.U.C.K", "f-u-c-k".
_SPELLED = re.compile(
    r"(?<![^\W_])[a-z0-9@$](?P<sep>[ .\-_])[a-z0-9@$](?:(?P=sep)[a-z0-9@$])+(?![^\W_])", re.I
)
_TOKEN = re.compile(r"[\w@$!*]+")
_F_ING = re.compile(r"(?<![^\W_])f['’\-]in[g']?(?![^\W_])", re.I)


def _shown(text: str) -> str:
    # Zero-width characters, odd spaces and full-width letters change nothing for a
    # reader, so they must change nothing here (bot.text).
    return visible.normalise(text).text


def _as_read(text: str) -> str:
    # Nor do accents and Cyrillic or Greek lookalikes ("fuсk", "Kаren") in a word
    # matched; a post is masked and its links read as shown, so "gоv.uk" is not gov.uk.
    return visible.fold_lookalikes(_shown(text))


def _words(text: str) -> list[_Word]:
    words = [_Word(m.start(), m.end(), "fucking", _SWEAR) for m in _F_ING.finditer(text)]
    for m in _SPELLED.finditer(text):
        letters = [(m.start() + i, c) for i, c in enumerate(m.group()) if i % 2 == 0]
        i = 0
        while i < len(letters):
            # Longest word first, so "a s h i t e" reads "a" then "shite".
            for j in range(min(len(letters), i + _LONGEST), i + 2, -1):
                found = _lookup("".join(c for _, c in letters[i:j]).lower())
                if found:
                    words.append(_Word(letters[i][0], letters[j - 1][0] + 1, *found))
                    i = j
                    break
            else:
                i += 1
    for m in _TOKEN.finditer(text):
        start, end = m.start(), m.end()
        # A trailing "!" is punctuation and a leading "*" emphasis; inside, they disguise.
        while end > start and text[end - 1] == "!":
            end -= 1
        while start < end and text[start] in "*!":
            start += 1
        found = _lookup(text[start:end].lower())
        if found:
            words.append(_Word(start, end, *found))
    return sorted(words)


def _plain(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def _read(text: str) -> tuple[str, list[tuple[int, _Word]]]:
    """The normalised text, and each offensive word with where it starts in it."""
    parts, placed, pos, size = [], [], 0, 0
    for word in _words(text):
        if word.start < pos:
            continue
        parts.append(_plain(text[pos : word.start]))
        size += len(parts[-1])
        placed.append((size, word))
        parts.append(word.word)
        size += len(word.word)
        pos = word.end
    parts.append(_plain(text[pos:]))
    return "".join(parts), placed


def normalise(text: str) -> str:
    """The lower-case, de-obfuscated form of a post that moderation matches against.

    Offensive words are written plainly ("F.U.C.K" and "sh1t" become "fuck" and "shit");
    everything else is only lower-cased, with curly apostrophes made straight.
    """
    return _read(_as_read(text))[0]


def has_swearing(text: str) -> bool:
    """Whether a post contains a swear word or a slur, however disguised."""
    return any(w.kind in _SWEARING for w in _words(_as_read(text)))


def mask_swearing(text: str) -> str:
    """The post with each swear word or slur as its first letter and asterisks ("f***").

    Everything else is unchanged but for what a reader cannot see (bot.text): accents
    and other scripts are kept as written, though they cannot hide a word.
    """
    text = _shown(text)
    out, pos = [], 0
    # The same length as `text`, so each word found in it is in the same place there.
    for word in _words(visible.fold_lookalikes(text)):
        if word.kind in _SWEARING and word.start >= pos:
            first = word.word[0].upper() if text[word.start].isupper() else word.word[0]
            out += [text[pos : word.start], first + "*" * (len(word.word) - 1)]
            pos = word.end
    return "".join(out) + text[pos:]


# Phrases ---------------------------------------------------------------------------
# Written with plain spaces, each of which stands for any run of whitespace.
_ROLES = (
    "(?:gas )?engineers?|plumbers?|electricians?|joiners?|surveyors?|caretakers?|managers?"
    "|(?:housing|tenancy|neighbourhood|income) officers?|receptionists?|contractors?"
    "|workm[ae]n|workers|tradesm[ae]n|operatives?|advis[eo]rs?|handym[ae]n"
)
_STAFF_NOUN = (
    f"(?:{_ROLES}|staff(?:s| members?)?|members? of staff|employees?"
    "|repairs? (?:team|m[ae]n|guys?|lads?)|(?:(?:wo)?m[ae]n|lady|ladies|girls?|blokes?|guys?"
    "|fellas?|lads?|person|people) (?:on|at) (?:the )?(?:phones?|desk|front desk|reception"
    "|switchboard|call centre))"
)
_I_WILL = "(?:i'?ll|i will|i'?m|im|i am|i'?d|imma|ima|we'?ll|we will)"
# A bare "gonna" is how threats are typed; "will" or "going to" alone is too often
# someone else ("the rent rise is going to hurt them").
_INTENT = f"(?:{_I_WILL}|ill|gonna|gunna)"
# Only these words may come between "I'll" and the act, so that in "I'm worried the
# kids will smash the windows" the kids are not the tenant.
_GAP = (
    "(?:(?:going|to|gonna|gunna|come|coming|go|down|round|over|there|up|the|your|ur|office"
    "|and|then|just|really|actually|literally|definitely|personally|gladly|like|fucking"
    "|bloody|effing) ){0,6}?"
)
_PERSON = (
    "(?:you|u|ya|yer|yous|him|her|them|someone|somebody|anyone|everyone|whoever"
    "|(?:your|ur|yer|his|her|their) (?:heads?|faces?|teeth|skulls?|legs|kneecaps)"
    r"|one of (?:you|ya|u|ur|your|them)\w*|(?:the|that|this|your|ur|yer|any|every|each|next"
    rf"|his|their) (?:\w+ )?(?:{_STAFF_NOUN}|man|woman|lady|girl|bloke|guy|fella|lot))"
)
_VIOLENCE = (
    "(?:batter|stab|kill|murder|punch|kick|thump|deck|slap|smack|beat|hurt|glass|shoot"
    "|strangle|bash|headbutt|lamp|chin|knife|leather|twat|smash|floor|attack|jump|burn|hit"
    r"|slash)\w{0,4}"
)
_PROPERTY = (
    "(?:place|office|offices|building|depot|vans?|cars?|windows?|doors?|reception|house|shop)"
)
_YOU = "(?:you|u|ya|ye|yous|youse|ur|youre|you're)"
_FILLER = (
    "(?:all|lot|are|r|re|is|just|such|a|an|bunch|load|pack|set|shower|of|absolute|utter"
    "|total|complete|proper|right|bloody|fucking|effing|useless|lazy|thick|stupid|pathetic"
    "|little|lying|thieving|brainless|clueless|incompetent|fat|ugly|dirty|big)"
)
_NAMED = "(?:clowns?|muppets?|numpty|numpties|parasites?|scum|gits?|losers?|wasters?|jokers?)"
_MODS = "(?: (?:fucking|effing|bloody|fat|lazy|little|old|stupid|lying|useless|thick|ugly))*"
_TARGET = (
    f"(?:{_STAFF_NOUN}|bots?|robots?|machines?|cows?|gits?|wom[ae]n|m[ae]n|lady|girls?"
    "|blokes?|guys?)"
)


def _phrases(*alternatives: str) -> re.Pattern[str]:
    pattern = "|".join(alternatives).replace(" ?", r"\s*").replace(" ", r"\s+")
    return re.compile(rf"\b(?:{pattern})\b")


_STAFF = _phrases(_STAFF_NOUN)
_INSULTS = "insults or name-calling"
_LANGUAGE = "abusive language"
_VIOLENT = "threat of violence"
# fmt: off
_PHRASES = (
    (Category.ABUSE, _INSULTS, _phrases(
        f"{_YOU}(?: {_FILLER})* {_NAMED}", f"(?:bunch|load|pack|shower) of (?:{_FILLER} )*{_NAMED}",
        f"(?:absolute|utter|total|complete|proper|clueless|useless|thieving) {_NAMED}",
        f"what an? {_NAMED}", f"{_NAMED} the lot of (?:you|ya|u|them)",
        f"(?:stupid|thick|dumb|brainless|brain(?: |-)?dead){_MODS} {_TARGET}",
        f"(?:fat|ugly|lying|stuck(?: |-)up){_MODS} (?:{_STAFF_NOUN}|cows?|gits?|pigs?|slobs?"
        "|toads?|snakes?)",
        "waste of (?:space|oxygen|skin|air)", "brain(?: |-)?dead", "brainless",
        "useless (?:lot|bunch|lump|shower)",
        "thick as (?:mince|two short planks|shit|pigshit|a brick|a plank|mud|they come|fuck)",
        "(?:a|so|you|u|ur|youre|you're|proper) stuck(?: |-)up(?! (?:there|here|in|on|at|the))",
        f"{_YOU} (?:are |r |re )?(?:just )?an? (?:big )?(?:pile|load|heap|sack|bag) of "
        "(?:crap|rubbish|junk|garbage|poo|shit|shite)",
    )),
    (Category.ABUSE, _LANGUAGE, _phrases(
        "(?:fuck|f|eff|sod|bugger|piss) off", "fuckoff", "get fucked", "go fuck", "eat shit",
        "fuck (?:you|u|ya|ye|yourself|yourselves|urself)", "screw (?:you|u|ya|your|ur)",
        "up yours", "kiss my (?:arse|ass)", "get stuffed", "go to hell", "drop dead", "stfu",
        "gtfo", "shut up(?! (?:shop|the|their|his|her|its|early|for))",
    )),
    (Category.ABUSE, "tells someone to harm themselves", _phrases(
        "(?:kill|hang|neck) (?:yourself|yourselves|urself|yerself)", "kys",
        "jump off (?:a|the) (?:bridge|cliff|roof|building)", "go (?:and )?die",
    )),
    (Category.THREAT, _VIOLENT, _phrases(
        rf"{_INTENT} {_GAP}{_VIOLENCE} {_PERSON}(?! (?:out|off)\b)", rf"knock\w* {_PERSON} out",
        "do (?:you|u|him|her|them) in",
        r"(?:kick|smash|punch|cave|bash|knock)\w{0,4} (?:your|ur|yer|his|her|their) (?:\w+ )?"
        "(?:head|face|teeth|skull|lights)s? (?:in|out)",
        # Damage needs the poster's own "I'll": "the kids smash the windows" is a report.
        f"{_I_WILL} {_GAP}(?:smash|wreck|trash|torch|burn|bomb|brick|petrol bomb|set fire to)"
        rf"\w{{0,3}} (?:up )?(?:the|your|ur|yer|his|her|their|that|this|every) (?:\w+ )?"
        f"{_PROPERTY}",
        "some(?:one|body|1)(?:'s|s| is)? (?:going to|gonna|gunna|will|'ll) get "
        "(?:hurt|killed|stabbed|battered|injured|done in)",
        "(?:(?:is|are|will|gonna|gunna|going to|hes|shes|theyre|youre|ur)|'s|'re|'ll) "
        "(?:be )?(?:getting|get|gets) (?:a )?(?:good )?(?:slap|smack|kicking|beating|hiding"
        "|battering|punch|stabbed|slapped|smacked|battered|decked|filled in|done in"
        "|knocked out|glassed|what'?s coming)",
        r"hope (?:(?!(?:not|doesn'?t|don'?t|won'?t|never|didn'?t)\b)[\w']+ ){0,4}?"
        "(?:burns? down|goes up in flames|dies?|drops? dead|rots? in hell"
        "|gets? (?:hurt|run over|cancer|stabbed|attacked))",
        "(?:you'?re|youre|ur|you are|he'?s|hes|she'?s|shes) (?:a )?dead (?:man|meat|woman)",
        "(?:is|are|'s) going (?:through|out of) (?:the|a|my) window(?! (?:frame|seal|sill))",
    )),
    (Category.THREAT, "intimidation", _phrases(
        r"i know where (?:[\w']+ ){0,4}?(?:live|lives|work|works|park|parks|sleeps?)",
        r"i know what time (?:[\w']+ ){0,3}?(?:finish|leave|start|get off)",
        "watch (?:your|ur|yer|ya) backs?", "better watch (?:out|it)",
        "(?:you'?ve|you have|u'?ve|u have|youve) been warned",
        r"com(?:e|ing) (?:down|round|over|to)\b.{0,40}\bwith (?:a few of |some of )?(?:my )?"
        "(?:mates|lads|boys|crew|brothers|cousins)",
        r"make (?:your|ur|their|his|her) (?:\w+ )?li(?:fe|ves) (?:a )?(?:living )?(?:hell|misery)",
        "get my hands on (?:you|u|him|her|them|that|the|your|ur)",
        "see what happens to (?:you|u|your|ur|his|her|their|the)",
    )),
    (Category.HATE, "hate speech or a slur", _phrases(
        "go back (?:to|2) (?:your|ur|yer) (?:own )?country", "heil hitler", "sieg heil",
        "white power", "(?:gas|kill|hang|shoot|burn|exterminate) (?:all )?(?:the )?(?:jews"
        "|muslims|blacks|gays|immigrants|foreigners|asians|pakis|travellers|gypsies|refugees"
        "|migrants)",
    )),
    (Category.SEXUAL, "sexually explicit content", _phrases(
        r"porn\w*", "(?:blow|hand|rim) ?jobs?", "nudes", "sexting", "horny", "dildos?",
        "orgasms?", r"masturbat\w*", "cumming", "cumshots?", "jerk(?:ing)? off", "milfs?",
        "camgirls?", "dick pics?", "sex (?:chat|cam|tape|video)s?", "sit on my face",
        "suck my (?:dick|cock|balls|tits)", "(?:have|had|having) sex with (?:you|u|me|her|him)",
        "shag(?:ging)? (?:you|u|ya|her|him|me)", "pussy(?! ?cats?)",
        "(?:naked|nude|sexy|dirty) (?:pics|photos|pictures|selfies|videos)",
    )),
)
# Spam is bait plus a call to action (or a link), or a phrase only spammers write.
_SPAM = _phrases(
    r"(?:earn|make|making|earning) (?:up to |over )?[£$€]\s?\d[\d,.]*k?\s*(?:a|per|every|each|/)"
    r"\s*(?:day|week|month|hour) (?:from|at|working from) home",
    "work(?:ing)? from home (?:job )?opportunit(?:y|ies)", "investment opportunit(?:y|ies)",
    "(?:free|buy|cheap|real) (?:(?:instagram|insta|tiktok|twitter|facebook) )?(?:followers"
    "|likes|subscribers)",
    r"(?:dm|pm|inbox|message) me for (?:followers|likes|promo\w*|collab\w*|shout ?outs?"
    "|the link|prices|business)",
    r"(?:bitcoin|crypto\w*|forex|btc|ethereum) (?:investment|investing|trading|mining|expert"
    "|trader|account manager|platform|signals|opportunit(?:y|ies))",
    "passive income", "guaranteed (?:profits?|returns|income)", "binary options",
    "sugar daddy", "hot singles", "cash ?app (?:flip|giveaway)",
    "recover (?:your )?(?:lost|stolen|scammed) (?:funds|money|crypto|bitcoin)",
)
_BAIT = _phrases(
    r"crypto\w*", "bitcoin", "btc", "ethereum", "nfts?", "forex", "only ?fans", "giveaways?",
    "followers", "subscribers", "gift cards?", "invest (?:now|today|with me)",
    "(?:you'?ve|you have) won", "claim your (?:prize|reward)",
    r"(?:earn|make|making|earning|made) (?:up to |over )?[£$€]\s?\d[\d,.]*k?",
)
_CALL = _phrases(
    "(?:dm|pm|inbox|message|text|contact) (?:me|us)", "whatsapp", "telegram",
    "click (?:here|the link|link|below)", "link in (?:my )?bio", "follow me", "sign up",
    "check (?:out )?my (?:profile|page|bio|onlyfans|channel|story|link)",
    "join (?:now|today|my)", "register now", "don'?t miss out",
    "limited (?:time|spaces|spots|offer)",
)
# fmt: on
_BY_KIND = {
    _SWEAR: ((Category.OBSCENE, "swearing"),),
    _SWEAR_INSULT: ((Category.OBSCENE, "swearing"), (Category.ABUSE, _INSULTS)),
    _INSULT: ((Category.ABUSE, _INSULTS),),
    _SLUR: ((Category.HATE, "hate speech or a slur"),),
}
_SELF = re.compile(r"\b(?:i|i'm|im|me|myself)\b")
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")

# Links ------------------------------------------------------------------------------
_LINK = re.compile(
    r"(?<![\w@.\-])(https?://)?(www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,24}))"
    r"(?![\w@-])((?::\d+)?[/?#]\S*)?",
    re.I,
)
# A link from its scheme to the end of its host, when it has a user name before "@"
# ("https://gov.uk@evil.com" goes to evil.com) or is an IP address ("http://1.2.3.4"):
# both are the disguises of a phishing link.
_DISGUISED = re.compile(
    r"(?<![\w.\-])https?://(?P<authority>[^\s/?#\\\"'<>()\[\]{}]*@[^\s/?#\\\"'<>()\[\]{}@]*"
    r"|(?:\d{1,3}\.){3}\d{1,3}(?![\w.]))",
    re.I,
)
_IP = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,24})")
# Bare "name.tld" counts only for these; other TLDs need a scheme, "www." or a path.
_STRONG_TLDS = frozenset(
    "com net org uk io info biz xyz ru cn top click link online site club app dev example "
    "eu de fr nl es ca au shop store icu buzz tk ml ga cf gq pw su win loan".split()
)
_TLDS = _STRONG_TLDS | frozenset("ly me co tv cc in at to id gl gd gy ws ai sh gg ie us".split())


def _within(domain: str, parents: tuple[str, ...]) -> bool:
    return any(domain == p.lower() or domain.endswith("." + p.lower()) for p in parents)


def _links(text: str, shorteners: tuple[str, ...]) -> list[str]:
    found = []
    disguised = [(m.start(), m.end(), _host(m)) for m in _DISGUISED.finditer(text)]
    for start, _, host in disguised:
        if host:
            found.append((start, host))
    for m in _LINK.finditer(text):
        scheme, www, host, tld, path = m.groups()
        if any(start <= m.start() < end for start, end, _ in disguised):
            continue  # part of a link read above
        domain = host.lower().removeprefix("www.")
        if tld.lower() not in _TLDS:
            continue
        if not (scheme or www or path or tld.lower() in _STRONG_TLDS):
            if not _within(domain, shorteners):
                continue
        found.append((m.start(), domain))
    return list(dict.fromkeys(domain for _, domain in sorted(found)))


def _host(link: re.Match[str]) -> str | None:
    """Where a link with a scheme goes: the host after the last "@", or its IP address."""
    host = link.group("authority").rsplit("@", 1)[-1].rstrip(".,;:!")
    host = re.sub(r":\d*$", "", host).lower().removeprefix("www.")
    if _IP.fullmatch(host):
        return host
    m = _DOMAIN.fullmatch(host)
    return host if m and m.group(1) in _TLDS else None


def links(text: str) -> list[str]:
    """The domains linked in a post, lower-case, without "www.", each once in order.

    Email addresses, amounts ("£42.80") and version numbers ("v1.2") are not links.
    """
    return _links(text, DEFAULT_SHORTENERS)


# Staff -----------------------------------------------------------------------------
_INTRODUCES_SELF = re.compile(r"(?:my\s+name\s+is|my\s+name's|i\s+am|i'?m|this\s+is|call\s+me)\s+$")


def _staff_names(rules: ModerationRules) -> re.Pattern[str] | None:
    """Full names or aliases, or a staff first name right next to a role word."""
    # Read as posts are: "Siân" is found written "Sian" too.
    names = [
        visible.fold_lookalikes(n) for m in rules.staff for n in (m.name, *m.aliases) if n.split()
    ]
    if not names:
        return None
    full = "|".join(r"\s+".join(re.escape(p) for p in _plain(n).split()) for n in names)
    first = "|".join(dict.fromkeys(re.escape(_plain(n).split()[0]) for n in names))
    return re.compile(
        (
            rf"(?<![\w'])(?:{full})(?!\w)|(?<![\w'])(?:{first}),? (?:(?:the|our|your|ur|my) )?"
            rf"(?:{_ROLES})\b|\b(?:{_ROLES}),? (?:{first})(?!\w)|(?<![\w'])(?:{first}) (?:from|on"
            rf"|at) (?:the )?(?:office|repairs|housing|reception|front desk|phones?)\b"
        ).replace(" ", r"\s+")
    )


def _names_staff(text: str, names: re.Pattern[str] | None) -> bool:
    # A tenant who shares a name with staff may still introduce themselves.
    return names is not None and any(
        not _INTRODUCES_SELF.search(text[: m.start()]) for m in names.finditer(text)
    )


def _refers_to_staff(sentence: str, names: re.Pattern[str] | None) -> bool:
    return bool(_STAFF.search(sentence)) or _names_staff(sentence, names)


# Assessment ------------------------------------------------------------------------
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
    text = _shown(text)
    norm, placed = _read(visible.fold_lookalikes(text))
    names = _staff_names(rules)
    found: dict[tuple[Category, str], bool] = {}

    def add(category: Category, reason: str, towards_staff: bool = False) -> None:
        found[(category, reason)] = found.get((category, reason), False) or towards_staff

    bounds = [m.end() for m in _SENTENCE_END.finditer(norm)]
    for start, end in zip([0, *bounds], [*bounds, len(norm)], strict=True):
        sentence = norm[start:end]
        hits = []
        for at, word in placed:
            if not start <= at < end:
                continue
            before = norm[start:at].split()[-4:]
            if word.kind == _INSULT and _SELF.search(" ".join(before)):
                continue
            hits += _BY_KIND[word.kind]
        hits += [(cat, reason) for cat, reason, p in _PHRASES if p.search(sentence)]
        staff = _refers_to_staff(sentence, names)
        # Swearing about the engineer is not abuse of them; swearing in abuse of them is.
        hostile = any(cat is not Category.OBSCENE for cat, _ in hits)
        for category, reason in hits:
            add(category, reason, staff and (category is not Category.OBSCENE or hostile))

    if abusive_intent:
        # The model's reading alone removes a post, but blocks nobody at once: zero
        # tolerance needs words that show the abuse, not a guess that may be wrong.
        add(Category.ABUSE, MODEL_REASON)
    if _names_staff(norm, names):
        add(Category.STAFF_NAMED, STAFF_NAMED_REASON)
    domains = _links(text, rules.shorteners)
    spam = bool(_SPAM.search(norm) or (_BAIT.search(norm) and (_CALL.search(norm) or domains)))
    if spam:
        add(Category.SPAM, "spam or a scam")
    for category, reason in _link_findings(text, norm, domains, rules, spam):
        add(category, reason)
    return Assessment(tuple(Finding(c, r, t) for (c, r), t in found.items()))


# "[www.gov.uk](http://elsewhere.example)" or '<a href="http://elsewhere">gov.uk</a>'.
_LABELLED = re.compile(
    r"\[(?P<md_text>[^\]]{1,200})\]\((?P<md_url>[^)\s]+)\)"
    r"|<a\s[^>]*href=[\"']?(?P<a_url>[^\"'\s>]+)[^>]*>(?P<a_text>.{1,200}?)</a>",
    re.I | re.S,
)


def _mismatched(text: str, shorteners: tuple[str, ...]) -> bool:
    """Whether a link's visible text names one website and it goes to another."""
    for m in _LABELLED.finditer(text):
        shown = _links(m.group("md_text") or m.group("a_text") or "", shorteners)
        goes = _links(m.group("md_url") or m.group("a_url") or "", shorteners)
        if shown and goes and not set(shown) & set(goes):
            return True
    return False


def _link_findings(
    text: str, norm: str, domains: list[str], rules: ModerationRules, spam: bool
) -> list[tuple[Category, str]]:
    """Why the links in a post take it down, if they do.

    A link to an ordinary website is no offence on its own: a tenant may cite their
    residents' group or a guide. It comes down for a shortener (which hides where it
    goes), a known bad site, or with another sign of trouble: spam words, more than one
    unknown site, an address that costs nothing to register, text that names another
    website than the one it goes to, or a link by IP address or with a name before "@".
    """
    # A labelled link's address may hide behind its text's path ("gov.uk/x](http://...").
    labelled = [m.group("md_url") or m.group("a_url") or "" for m in _LABELLED.finditer(text)]
    domains = list(dict.fromkeys(domains + _links(" ".join(labelled), rules.shorteners)))
    unknown = [
        d
        for d in domains
        if not (_within(d, rules.own_domains) or _within(d, rules.trusted_domains))
    ]
    if not unknown:
        return []
    risky = {t.lower() for t in rules.risky_tlds}
    signal = (
        spam
        or bool(_BAIT.search(norm) or _CALL.search(norm))
        or len(unknown) > 1
        or any(d.rsplit(".", 1)[-1] in risky for d in unknown)
        or _mismatched(text, rules.shorteners)
        or bool(_DISGUISED.search(text))
    )
    found = []
    for domain in unknown:
        # The listed name, not the link's own subdomain, which could say anything.
        shortener = next((s for s in rules.shorteners if _within(domain, (s,))), None)
        if shortener:
            found.append(
                (Category.SUSPICIOUS_LINK, f"link to a URL shortener ({shortener.lower()})")
            )
        elif _within(domain, rules.bad_domains):
            found.append((Category.SUSPICIOUS_LINK, "link to a known bad website"))
        elif signal:
            found.append((Category.SUSPICIOUS_LINK, "link to an unknown website"))
    return found
