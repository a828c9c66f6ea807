"""The swear words, insults and slurs moderation knows, and how it sees through disguises (P7).

Words are matched whole after seeing through disguises ("f*ck", "sh1t", "F.U.C.K",
"f u c k", "fuuuck" all read "fuck"), never as fragments, so "Scunthorpe", "cocktail"
and "assessment" pass.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.privacy import normalise as visible

# Word list -------------------------------------------------------------------------
SWEAR, SWEAR_INSULT, INSULT, SLUR = "swear", "swear_insult", "insult", "slur"
_SWEARING = frozenset({SWEAR, SWEAR_INSULT, SLUR})

# Items are "stem:endings" ("-" is the bare stem; no endings means "-,s"). A word counts
# only as a stem plus one of its endings, which keeps "cocktail", "assess" and "Dickens"
# out. Each letter of a stem may repeat ("fuuuck"). Slurs are written out: this is a
# moderation list, and disguising it would only hide typos.
_TABLE = {
    SWEAR: "fuck:-,s,ed,in,ing,ings,off shit:-,e,es,s,ty,ter,ters,ting,ted,show,hole,holes"
    " piss:-,ed,es,ing,er,take bollock:-,s,ing,ed wank:-,s,ed,ing,y dick cock arse ass:-"
    " wtf:- ffs:- stfu:- gtfo:- omfg:- eff:in,ing",
    SWEAR_INSULT: "fuck:er,ers,wit,wits,face,faces,head,heads,tard,tards"
    " motherfuck:er,ers,ing,in shit:head,heads,bag,bags piss:head,heads,pot,pots"
    " wank:er,ers,stain,stains bastard bitch:-,es,y,ing cunt twat prick dick:head,heads"
    " cock:sucker,suckers,womble,wombles arse:hole,holes,wipe ass:hole,holes,hat,hats,wipe"
    " tosser bellend knob:head,heads,end,ends slag slut whore skank",
    INSULT: "idiot:-,s,ic moron:-,s,ic cretin imbecile dimwit halfwit nitwit scumbag plonker"
    " pillock prat wazzock tosspot nonce paedo pedo",
    SLUR: "nigg:er,ers,a,as,az paki gook spic wog coon kike yid gyppo pikey darkie sambo"
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


def shown(text: str) -> str:
    """`text` as a reader sees it (bot.privacy.normalise): what is masked and stored."""
    # Zero-width characters, odd spaces and full-width letters change nothing for a
    # reader, so they must change nothing here (bot.privacy.normalise).
    return visible.normalise(text).text


def as_read(text: str) -> str:
    """`text` as moderation matches words in it: shown, and lookalike letters folded."""
    # Nor do accents and Cyrillic or Greek lookalikes ("fuсk", "Kаren") in a word
    # matched; a post is masked and its links read as shown, so "gоv.uk" is not gov.uk.
    return visible.fold_lookalikes(shown(text))


def _words(text: str) -> list[_Word]:
    words = [_Word(m.start(), m.end(), "fucking", SWEAR) for m in _F_ING.finditer(text)]
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


def plain(text: str) -> str:
    """`text` lower-cased, with curly apostrophes made straight."""
    return text.lower().replace("’", "'").replace("‘", "'")


def read_words(text: str) -> tuple[str, list[tuple[int, _Word]]]:
    """The normalised text, and each offensive word with where it starts in it."""
    parts, placed, pos, size = [], [], 0, 0
    for word in _words(text):
        if word.start < pos:
            continue
        parts.append(plain(text[pos : word.start]))
        size += len(parts[-1])
        placed.append((size, word))
        parts.append(word.word)
        size += len(word.word)
        pos = word.end
    parts.append(plain(text[pos:]))
    return "".join(parts), placed


def normalise(text: str) -> str:
    """The lower-case, de-obfuscated form of a post that moderation matches against.

    Offensive words are written plainly ("F.U.C.K" and "sh1t" become "fuck" and "shit");
    everything else is only lower-cased, with curly apostrophes made straight.
    """
    return read_words(as_read(text))[0]


def has_swearing(text: str) -> bool:
    """Whether a post contains a swear word or a slur, however disguised."""
    return any(w.kind in _SWEARING for w in _words(as_read(text)))


def mask_swearing(text: str) -> str:
    """The post with each swear word or slur as its first letter and asterisks ("f***").

    Everything else is unchanged but for what a reader cannot see (bot.privacy.normalise):
    accents and other scripts are kept as written, though they cannot hide a word.
    """
    text = shown(text)
    out, pos = [], 0
    # The same length as `text`, so each word found in it is in the same place there.
    for word in _words(visible.fold_lookalikes(text)):
        if word.kind in _SWEARING and word.start >= pos:
            first = word.word[0].upper() if text[word.start].isupper() else word.word[0]
            out += [text[pos : word.start], first + "*" * (len(word.word) - 1)]
            pos = word.end
    return "".join(out) + text[pos:]
