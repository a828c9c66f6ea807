"""Links in a post: which domains it links, and which of them take it down (P7).

A link to an ordinary website stays up: only shorteners, known bad sites, and unknown
links with another sign of spam come down.
"""

from __future__ import annotations

import re

from bot.moderation.phrases import BAIT, CALL
from bot.moderation.rules import DEFAULT_SHORTENERS, Category, ModerationRules

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


def linked_domains(text: str, shorteners: tuple[str, ...]) -> list[str]:
    """The domains linked in `text`; a bare "name.tld" only for common TLDs or `shorteners`."""
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
    return linked_domains(text, DEFAULT_SHORTENERS)


# "[www.gov.uk](http://elsewhere.example)" or '<a href="http://elsewhere">gov.uk</a>'.
_LABELLED = re.compile(
    r"\[(?P<md_text>[^\]]{1,200})\]\((?P<md_url>[^)\s]+)\)"
    r"|<a\s[^>]*href=[\"']?(?P<a_url>[^\"'\s>]+)[^>]*>(?P<a_text>.{1,200}?)</a>",
    re.I | re.S,
)


def _mismatched(text: str, shorteners: tuple[str, ...]) -> bool:
    """Whether a link's visible text names one website and it goes to another."""
    for m in _LABELLED.finditer(text):
        shown = linked_domains(m.group("md_text") or m.group("a_text") or "", shorteners)
        goes = linked_domains(m.group("md_url") or m.group("a_url") or "", shorteners)
        if shown and goes and not set(shown) & set(goes):
            return True
    return False


def link_findings(
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
    domains = list(dict.fromkeys(domains + linked_domains(" ".join(labelled), rules.shorteners)))
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
        or bool(BAIT.search(norm) or CALL.search(norm))
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
