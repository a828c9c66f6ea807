"""How long X says a post is: its weighted length, which must be at most 280.

X counts as twitter-text's configuration (version 3) says: the text is normalised
(NFC) first; a code point in U+0000-U+10FF (Latin, Greek, Cyrillic, Hebrew, Arabic...),
U+2000-U+200D, U+2010-U+201F or U+2032-U+2037 (spaces, dashes, quotes, primes) weighs
1, any other weighs 2 (CJK, the bullet "•", the ellipsis "…", "€"); a link weighs 23
whatever its length, as X wraps it in t.co; an emoji weighs 2, however many code points
it is made of (a skin tone, a family, a flag).

A link is one written with its scheme (http:// or https://), as every link the
association configures is; X also recognises a bare domain with a real top-level
domain ("bit.ly"), which the assistant never writes. Emoji are grouped as far as their
common forms go; an odd sequence is counted code point by code point, which is more
than X counts.
"""

from __future__ import annotations

import re
import unicodedata

# twitter-text config v3: the ranges that weigh 1; everything else weighs 2.
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
LINK_WEIGHT = 23
EMOJI_WEIGHT = 2
HEAVY_WEIGHT = 2
# A link, less the punctuation that ends the sentence around it ("see https://x.org.").
_LINK = re.compile(r"https?://[!#-;=?-~]+?(?=[.,:;!?'\")\]}]*(?:[^!#-;=?-~]|$))", re.IGNORECASE)
# Code points that start an emoji: pictographs, dingbats, arrows and the like, and
# "©" "®", which X counts as emoji though they are in the light range.
_EMOJI_START = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b00-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff]"
)
# Symbols drawn as text unless a variation selector (U+FE0F) asks for the emoji.
_TEXT_STYLE = re.compile("[\u00a9\u00ae\u203c-\u2bff\u3030-\u3299]")
# Emoji that take a skin tone, and those that join others (a family, "❤️‍🔥").
_TAKES_TONE = re.compile("[\u261d\u26f9\u270a-\u270d\U0001f385-\U0001faff]")
_JOINS = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")
_TONE = re.compile("[\U0001f3fb-\U0001f3ff]")
_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_KEYCAP = re.compile("[0-9#*]\ufe0f?\u20e3")
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
_ZWJ = "\u200d"
_PRESENTATION = "\ufe0f"


def weighted_length(text: str) -> int:
    """The length X counts for `text` (at most `MAX_POST` for a post)."""
    text = unicodedata.normalize("NFC", text)
    total, at = 0, 0
    links = {m.start(): m.end() for m in _LINK.finditer(text)}
    while at < len(text):
        if at in links:
            total += LINK_WEIGHT
            at = links[at]
            continue
        end = _emoji_end(text, at)
        if end:
            total += EMOJI_WEIGHT
            at = end
            continue
        total += _weight(text[at])
        at += 1
    return total


def _emoji_end(text: str, at: int) -> int:
    """Where the emoji starting at `at` ends, or 0 if none starts there.

    Only well-formed sequences are grouped; anything else is counted code point by
    code point, which counts more than X would, never less.
    """
    for whole in (_KEYCAP, _FLAG, _TAGS):
        found = whole.match(text, at)
        if found:
            return found.end()
    if not _EMOJI_START.match(text, at):
        return 0
    end = _one_emoji(text, at)
    # A sequence joined by zero-width joiners is one emoji (a family, a profession).
    while _JOINS.match(text, at) and text.startswith(_ZWJ, end) and _JOINS.match(text, end + 1):
        at = end + 1
        end = _one_emoji(text, at)
    return end


def _one_emoji(text: str, at: int) -> int:
    """The end of the emoji at `at` with its variation selector or skin tone."""
    end = at + 1
    if _TEXT_STYLE.match(text, at) and text.startswith(_PRESENTATION, end):
        return end + 1
    if _TAKES_TONE.match(text, at) and _TONE.match(text, end):
        return end + 1
    return end


def _weight(character: str) -> int:
    point = ord(character)
    if any(start <= point <= end for start, end in LIGHT_RANGES):
        return 1
    return HEAVY_WEIGHT
