"""What a tenant types in the sandbox, sent to the Rasa server as the platform sends it.

Each message on Facebook, X or Instagram becomes the platform's own webhook body
(webhooks.py), signed with the app secret as Meta and X sign theirs
(bot/platforms/signatures.py), and is POSTed to the Rasa server's real webhook: the
connectors check, record and process it exactly as in production. YouTube and LinkedIn
send no webhook here: the Rasa server's pollers read the comment through the stand-in.
Blocking: the staff app calls it off the event loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict

import requests

from bot.platforms.signatures import facebook_signature, twitter_signature
from bot.sandbox.webhooks import (
    facebook_webhook,
    instagram_comment,
    instagram_message,
    instagram_webhook,
    messenger_message,
    page_comment,
    x_direct_message,
    x_mention,
)
from bot.sandbox.world import Item, Pane, World

# Connect, then read: the webhook records and answers within milliseconds.
TIMEOUT = (3.05, 15.0)
# What the Rasa server reads by polling: nothing is posted for these.
POLLED = (Pane.YOUTUBE, Pane.LINKEDIN)


class NotDelivered(RuntimeError):
    """The Rasa server did not take the message."""


@dataclass(frozen=True)
class Webhooks:
    """The Rasa server's webhooks and the secrets the sandbox's platforms sign with."""

    rasa_url: str
    page_id: str
    app_secret: str
    account_id: str
    consumer_secret: str
    instagram_account: str = ""
    instagram_secret: str = ""

    def deliver(self, world: World, pane: Pane, item: Item, session: Any = requests) -> int | None:
        """Post the tenant's `item` on `pane` to its webhook; returns the status, or None
        for a pane the Rasa server polls (YouTube, LinkedIn).

        Raises:
            NotDelivered: the server could not be reached or refused the message.
        """
        if pane in POLLED:
            return None
        persona = world.persona(item.persona or "")
        millis = int(item.at.timestamp() * 1000)
        payload: Dict[str, Any]
        if pane is Pane.FACEBOOK:
            change = page_comment(
                persona.facebook_id, item.text, item.id, item.target or "", int(item.at.timestamp())
            )
            change["value"]["from"]["name"] = persona.name
            payload = facebook_webhook(self.page_id, changes=[change])
        elif pane is Pane.MESSENGER:
            event = messenger_message(self.page_id, persona.psid, item.text, item.id, millis)
            payload = facebook_webhook(self.page_id, messaging=[event])
        elif pane is Pane.INSTAGRAM:
            change = instagram_comment(
                persona.instagram_id, item.text, item.id, item.target or "", persona.handle
            )
            payload = instagram_webhook(self.instagram_account, changes=[change])
        elif pane is Pane.INSTAGRAM_DMS:
            event = instagram_message(
                self.instagram_account, persona.instagram_id, item.text, item.id, millis
            )
            payload = instagram_webhook(self.instagram_account, messaging=[event])
        elif pane is Pane.X_TIMELINE:
            payload = x_mention(self.account_id, persona.x_id, item.text, item.id)
            payload["tweet_create_events"][0]["user"]["screen_name"] = persona.handle
        else:
            payload = x_direct_message(self.account_id, persona.x_id, item.text, item.id)
        body = json.dumps(payload).encode()
        if pane in (Pane.FACEBOOK, Pane.MESSENGER):
            url = f"{self.rasa_url}/webhooks/facebook/webhook"
            headers = {"X-Hub-Signature-256": facebook_signature(body, self.app_secret)}
        elif pane in (Pane.INSTAGRAM, Pane.INSTAGRAM_DMS):
            url = f"{self.rasa_url}/webhooks/instagram/webhook"
            headers = {"X-Hub-Signature-256": facebook_signature(body, self.instagram_secret)}
        else:
            url = f"{self.rasa_url}/webhooks/twitter/webhook"
            headers = {
                "x-twitter-webhooks-signature": twitter_signature(body, self.consumer_secret)
            }
        headers["Content-Type"] = "application/json"
        try:
            answer = session.post(url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise NotDelivered(f"the Rasa server did not answer at {url}: {error}") from error
        if answer.status_code != 200:
            raise NotDelivered(f"the Rasa server answered {answer.status_code} at {url}")
        return answer.status_code
