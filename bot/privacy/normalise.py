"""A post as a reader sees it, for the detector (P5) and moderation (P7) to read.

A zero-width space inside a phone number or a swear word, a non-breaking space, a
full-width digit or a ligature changes nothing for a person reading the post, so it
must change nothing for the checks either. `normalise` undoes them:

- NFKC (full-width "０７７" is "077", the ligature "ﬁ" is "fi", "e" and a combining
  accent are "é");
- format characters (Unicode category Cf: zero-width spaces and joiners, soft
  hyphens, direction marks, byte-order marks) are removed;
- every other space (non-breaking, thin, ideographic: category Z) is a plain space;
- every dash (category Pd, such as the non-breaking hyphen) is a hyphen-minus;
- every decimal digit of any script (Arabic-Indic "٠٧٧", Devanagari "०७७") is its
  ASCII digit, and the combining marks written on a digit ("0́") are dropped.

Nothing else changes (case included), so a finding in the normalised text is a
finding in the post; `NormalisedText.original_span` says where it was written, so a
span taken out of the post takes any zero-width characters inside it too.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import List, Tuple

# Plain ASCII is already in its normal form: it is copied in one piece, not read a
# character at a time, which keeps normalising to a few microseconds a message.
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


@dataclass(frozen=True)
class NormalisedText:
    """A normalised text, and where each part of it was in the original.

    Attributes:
        text: The text the checks read.
        original: The text as it was written.
        pieces: (start in `text`, start in `original`, end in `original`, one to one),
            in order. A one-to-one piece maps character for character; any other piece
            (a ligature, an accent composed) came from the whole of its original range.
    """

    text: str
    original: str
    pieces: Tuple[Tuple[int, int, int, bool], ...]

    def original_span(self, start: int, end: int) -> Tuple[int, int]:
        """Where `text[start:end]` was in `original`: `original[begin:end]` holds it.

        Characters removed inside the span (a zero-width space) are inside the result;
        those at its edges are not. Part of an expanded character (the "f" of "ﬁ")
        stands for the whole of it.
        """
        if self.text == self.original:
            return start, end
        if end <= start:
            begin = self._begin(start) if start < len(self.text) else len(self.original)
            return begin, begin
        return self._begin(start), self._end(end - 1)

    def _piece(self, index: int) -> Tuple[int, int, int, bool]:
        starts = [piece[0] for piece in self.pieces]
        return self.pieces[bisect.bisect_right(starts, index) - 1]

    def _begin(self, index: int) -> int:
        at, begin, _, one_to_one = self._piece(index)
        return begin + (index - at) if one_to_one else begin

    def _end(self, index: int) -> int:
        at, begin, end, one_to_one = self._piece(index)
        return begin + (index - at) + 1 if one_to_one else end


def normalise(text: str) -> NormalisedText:
    """`text` as a reader sees it, with a map back to where each part was written.

    Args:
        text: A post or message as it arrived.

    Returns:
        The normalised text (`.text`) and its map (`.original_span(start, end)`).
    """
    if text.isascii():
        return NormalisedText(text, text, ((0, 0, len(text), True),))
    parts: List[str] = []
    pieces: List[Tuple[int, int, int, bool]] = []
    size = 0

    def add(out: str, begin: int, end: int) -> None:
        nonlocal size
        if not out:
            return
        # "ﬁ" and an accent read "fí": two for two, but not each for each.
        one_to_one = len(out) == end - begin and (len(out) == 1 or out == text[begin:end])
        last = pieces[-1] if pieces else None
        if one_to_one and last and last[3] and last[2] == begin:
            pieces[-1] = (last[0], last[1], end, True)  # one piece for a run
        else:
            pieces.append((size, begin, end, one_to_one))
        parts.append(out)
        size += len(out)

    for run in _RUNS.finditer(text):
        if run.group().isascii():
            add(run.group(), run.start(), run.end())
            continue
        start = run.start()
        if _mark(text[start]) and pieces and pieces[-1][3]:
            # An accent after a plain letter composes with it: the letter joins it.
            at, begin, end, _ = pieces.pop()
            if end - begin > 1:
                pieces.append((at, begin, end - 1, True))
            parts[-1] = parts[-1][:-1]
            size -= 1
            start -= 1
        for begin, end in _clusters(text, start, run.end()):
            add(_reading(text[begin:end]), begin, end)
    return NormalisedText("".join(parts), text, tuple(pieces))


def _clusters(text: str, start: int, end: int) -> List[Tuple[int, int]]:
    """Each character of `text[start:end]` with the combining marks after it."""
    clusters: List[Tuple[int, int]] = []
    for index in range(start, end):
        if clusters and _mark(text[index]):
            clusters[-1] = (clusters[-1][0], index + 1)
        else:
            clusters.append((index, index + 1))
    return clusters


def _mark(char: str) -> bool:
    """A combining mark, written on the character before it."""
    return bool(unicodedata.combining(char)) or unicodedata.category(char) == "Mn"


def _reading(cluster: str) -> str:
    """What one character (with its combining marks) reads as."""
    digit = unicodedata.decimal(cluster[0], None)
    if digit is not None:
        # A digit reads as a digit in any script, and an accent on it hides nothing.
        return str(digit)
    category = unicodedata.category(cluster[0])
    if category == "Cf":
        return ""
    if category[0] == "Z":
        return " "
    if category == "Pd":
        return "-"
    out = unicodedata.normalize("NFKC", cluster)
    if unicodedata.category(out[0]) == "Pd" and len(out) == 1:
        return "-"
    return out


# Letters of other scripts that look like Latin ones ("fuсk" with a Cyrillic "с"), and
# Latin letters with a stroke rather than an accent, which NFKD leaves whole.
_LOOKALIKES = dict(
    zip(
        "аеорсухіјѕԁԛԝһӏкмт"  # Cyrillic
        "АВЕКМНОРСТХУІЈЅԚԜҺӀ"
        "οαειϳκνρτυχγηβ"  # Greek
        "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"
        "ıłøđħŀ"  # Latin
        "ØŁĐĦ",
        "aeopcyxijsdqwhlkmtABEKMHOPCTXYIJSQWHIoaeijkvptuxynbABEZHIKMNOPTYXilodhlOLDH",
        strict=True,
    )
)


def fold_lookalikes(text: str) -> str:
    """`text` with each letter that looks like a plain Latin letter made that letter.

    Accents go ("fúck" reads "fuck", "Ḱaren" "Karen"), and Cyrillic and Greek letters
    that look like Latin ones become them ("fuсk" with a Cyrillic "с"). Moderation
    matches words against this; it is never shown or stored, since it mangles a
    Polish, Welsh or Ukrainian post. One character for one, so a place in it is the
    same place in `text`.
    """
    if text.isascii():
        return text
    return "".join(char if char < "\x80" else _fold(char) for char in text)


@functools.lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    letters = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
    if len(letters) != 1:
        return _LOOKALIKES.get(char, char)  # "ﬁ", or a letter made of two
    letter = _LOOKALIKES.get(letters[0], letters[0])
    return letter if letter.isascii() and letter.isalpha() else _LOOKALIKES.get(char, char)
