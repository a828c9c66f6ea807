"""Personal details in a message, found by shape and by phrase (P5).

Owns the detector (`detector`: the ten kinds of DESIGN.md, `find` and `redact`), the
vulnerability phrases (`vulnerability`) and the text normalisation that both the
detector and moderation read text through (`normalise`). The UK shapes it looks for
(postcodes, tenancy references, dates, street words) are written once, in bot/text/.

    python -m bot.privacy      # text lines in, one JSON object a line out:
                               # {"spans": [{"kind", "start", "end", "text"}]}
"""

from bot.privacy.detector import KINDS, Span, find, redact

__all__ = ["KINDS", "Span", "find", "redact"]
