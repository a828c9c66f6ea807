"""LinkedIn's Community Management API (versioned, `https://api.linkedin.com/rest`): the
calls the assistant makes for the organization's page, as an administrator.

Every call carries `Authorization: Bearer <token>`, `LinkedIn-Version: YYYYMM` and
`X-Restli-Protocol-Version: 2.0.0`; URNs in a path or a query are URL-encoded.

| call | what for |
| --- | --- |
| `GET /posts?q=author&author=<organization>&sortBy=LAST_MODIFIED` | the page's newest posts |
| `GET /socialActions/<post>/comments?start=&count=` | the comments on a post, a page at a time |
| `GET /socialActions/<comment>/comments?start=&count=` | the replies to a comment |
| `POST /socialActions/<post or comment>/comments` | a comment, or a reply (`parentComment`) |
| `DELETE /socialActions/<post>/comments/<id>?actor=<organization>` | delete a comment |

A comment's URN is `urn:li:comment:(<activity or post>,<id>)`. LinkedIn answers an
error as `{"message", "serviceErrorCode", "status"}`; 429 when the day's calls (reset at
midnight UTC) are spent, which is transient here. What the documentation does not say:
whether an administrator may delete another member's comment through the API (a
refusal is a 403, which goes to the dead letters for staff to delete it on the page);
LinkedIn gives no member's name, and no call blocks a member or sends them a message.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Tuple
from urllib.parse import quote

import requests

from bot.platforms.http import TIMEOUT, request_json
from bot.secret_masking import hide_in_logs

COMMENT_URN = re.compile(r"^urn:li:comment:\((?P<object>urn:li:[A-Za-z]+:[^,]+),(?P<id>[^)]+)\)$")
PAGE = 100


def encoded(urn: str) -> str:
    """A URN as a path or query takes it."""
    return quote(urn, safe="")


def comment_parts(urn: str) -> Tuple[str, str]:
    """(what the comment is on, its id) from a comment's URN.

    Raises:
        ValueError: `urn` is no comment's URN.
    """
    found = COMMENT_URN.match(urn)
    if found is None:
        raise ValueError(f"not a LinkedIn comment URN: {urn!r}")
    return found.group("object"), found.group("id")


class LinkedInClient:
    """The organization's page, as one of its administrators."""

    def __init__(
        self,
        api_url: str,
        access_token: str,
        organization_id: str,
        version: str,
        session: requests.Session | None = None,
        timeout: Tuple[float, float] = TIMEOUT,
    ) -> None:
        self._api = api_url.rstrip("/")
        self._token = access_token
        hide_in_logs(access_token)
        self.organization = f"urn:li:organization:{organization_id}"
        self._version = version
        self._session = session or requests.Session()
        self._timeout = timeout

    def posts(self, count: int, start: int = 0) -> Dict[str, Any]:
        """The page's `count` most recently changed posts, from the `start`th."""
        params = {
            "q": "author",
            "author": self.organization,
            "count": str(count),
            "start": str(start),
            "sortBy": "LAST_MODIFIED",
        }
        return self._call("GET", "posts", params=params)

    def comments(self, post: str, start: int = 0) -> Dict[str, Any]:
        """A page of the comments on `post` (a share, ugcPost or activity URN), or of the
        replies to a comment (its URN)."""
        path = f"socialActions/{encoded(post)}/comments"
        return self._call("GET", path, params={"start": str(start), "count": str(PAGE)})

    def comment(self, post: str, text: str) -> str:
        """A comment by the organization on `post`; returns its URN, where LinkedIn says."""
        body = {"actor": self.organization, "object": post, "message": {"text": text}}
        return _urn(self._call("POST", f"socialActions/{encoded(post)}/comments", json=body))

    def reply(self, comment_urn: str, text: str) -> str:
        """A reply by the organization to the comment `comment_urn`."""
        on, _ = comment_parts(comment_urn)
        body = {
            "actor": self.organization,
            "object": on,
            "parentComment": comment_urn,
            "message": {"text": text},
        }
        path = f"socialActions/{encoded(comment_urn)}/comments"
        return _urn(self._call("POST", path, json=body))

    def delete(self, comment_urn: str) -> str:
        """Delete the comment `comment_urn` (its replies go with it)."""
        on, comment_id = comment_parts(comment_urn)
        path = f"socialActions/{encoded(on)}/comments/{encoded(comment_id)}"
        self._call("DELETE", path, params={"actor": self.organization})
        return comment_urn

    def _call(self, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "LinkedIn-Version": self._version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        return request_json(
            self._session, method, f"{self._api}/{path}", self._timeout, headers=headers, **kwargs
        )


def _urn(answer: Dict[str, Any]) -> str:
    found = answer.get("$URN") or answer.get("commentUrn") or answer.get("id") or ""
    return str(found)
