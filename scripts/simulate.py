"""Talk to the running assistant as Facebook, X, Instagram, YouTube or LinkedIn would,
without platform accounts.

Start the assistant with simulated platforms (`make run-simulated`), then, in another
terminal:

    make simulate                                  # interactive
    python -m scripts.simulate messenger "hello"   # one message, then its replies
    python -m scripts.simulate comment "my boiler is broken" --as 1234
    python -m scripts.simulate youtube-comment "ring me on 07700 900123"

Each message is signed as the platform signs it and posted to the assistant's webhook
(Facebook, X, Instagram); a YouTube or LinkedIn comment is put on the fake platform,
where the assistant's poller finds it within seconds. The platform calls the assistant
makes come back to the fake APIs this command runs, and are printed as they arrive.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.platforms.signatures import facebook_signature, twitter_signature  # noqa: E402
from bot.sandbox.webhooks import (  # noqa: E402
    facebook_webhook,
    instagram_comment,
    instagram_message,
    instagram_webhook,
    messenger_message,
    page_comment,
    x_direct_message,
    x_mention,
)
from bot.settings import Settings  # noqa: E402
from scripts.fake_platforms import FakePlatforms  # noqa: E402

PAGE_ID = "100000000000001"
X_USER_ID = "200000000000002"
INSTAGRAM_ID = "17841400000000003"
YOUTUBE_CHANNEL = "UCsimulatorAssociation00"
LINKEDIN_ORG = "300000004"
# The one video and post the fake YouTube channel and LinkedIn page hold.
VIDEO, LINKEDIN_POST = "simVideo001", "urn:li:share:7000000000000000005"
SURFACES = (
    "messenger",
    "comment",
    "x-dm",
    "x-mention",
    "instagram-dm",
    "instagram-comment",
    "youtube-comment",
    "linkedin-comment",
)
# Polled platforms: how often the assistant reads the fake ones.
POLL_SECONDS = "3"


def simulator_port() -> int:
    """Where the fake platform APIs listen (SIMULATOR_PORT, default 5089)."""
    return int(os.environ.get("SIMULATOR_PORT", "5089"))


def simulator_env(port: int | None = None) -> Dict[str, str]:
    """The settings that point the assistant at the simulator's fake platforms."""
    base = f"http://127.0.0.1:{port or simulator_port()}"
    return {
        "FACEBOOK_APP_SECRET": "simulator-app-secret",
        "FACEBOOK_VERIFY_TOKEN": "simulator-verify-token",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "simulator-page-token",
        "FACEBOOK_PAGE_ID": PAGE_ID,
        "FACEBOOK_GRAPH_URL": f"{base}/graph/v19.0",
        "TWITTER_CONSUMER_KEY": "simulator-consumer-key",
        "TWITTER_CONSUMER_SECRET": "simulator-consumer-secret",
        "TWITTER_ACCESS_TOKEN": "simulator-access-token",
        "TWITTER_ACCESS_TOKEN_SECRET": "simulator-access-token-secret",
        "TWITTER_USER_ID": X_USER_ID,
        "TWITTER_API_URL": f"{base}/x",
        "INSTAGRAM_APP_SECRET": "simulator-app-secret",
        "INSTAGRAM_VERIFY_TOKEN": "simulator-verify-token",
        "INSTAGRAM_ACCESS_TOKEN": "simulator-instagram-token",
        "INSTAGRAM_ACCOUNT_ID": INSTAGRAM_ID,
        "INSTAGRAM_GRAPH_URL": f"{base}/instagram/v19.0",
        "YOUTUBE_CLIENT_ID": "simulator-youtube-client",
        "YOUTUBE_CLIENT_SECRET": "simulator-youtube-secret",
        "YOUTUBE_REFRESH_TOKEN": "simulator-youtube-refresh",
        "YOUTUBE_CHANNEL_ID": YOUTUBE_CHANNEL,
        "YOUTUBE_API_URL": f"{base}/youtube/v3",
        "YOUTUBE_TOKEN_URL": f"{base}/youtube/token",
        "YOUTUBE_POLL_SECONDS": POLL_SECONDS,
        "LINKEDIN_ACCESS_TOKEN": "simulator-linkedin-token",
        "LINKEDIN_ORGANIZATION_ID": LINKEDIN_ORG,
        "LINKEDIN_API_URL": f"{base}/linkedin/rest",
        "LINKEDIN_POLL_SECONDS": POLL_SECONDS,
    }


def stage(platforms: FakePlatforms) -> None:
    """The fake YouTube channel and LinkedIn page: one video, one post."""
    platforms.youtube_channel = YOUTUBE_CHANNEL
    platforms.linkedin_organization = f"urn:li:organization:{LINKEDIN_ORG}"
    platforms.add_linkedin_post(LINKEDIN_POST)


def comment_on(platforms: FakePlatforms, surface: str, text: str, author: str) -> str:
    """Put a comment on the fake YouTube channel or LinkedIn page, for the poller."""
    unique = uuid.uuid4().hex[:12]
    if surface == "youtube-comment":
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        platforms.add_youtube_comment(VIDEO, f"Ugsim{unique}", f"UC{author}", text, now, "@tenant")
        return f"on YouTube video {VIDEO}"
    platforms.add_linkedin_comment(LINKEDIN_POST, unique, f"urn:li:person:{author}", text)
    return f"on LinkedIn post {LINKEDIN_POST}"


def webhook(surface: str, text: str, author: str) -> tuple[str, dict, Callable[[bytes], str], str]:
    """The platform's webhook path, body, signer and signature header for one message."""
    env = simulator_env()
    unique = uuid.uuid4().hex[:12]
    if surface in ("messenger", "comment"):
        if surface == "messenger":
            millis = int(time.time() * 1000)
            item = messenger_message(PAGE_ID, author, text, f"mid.sim{unique}", millis)
            payload = facebook_webhook(PAGE_ID, messaging=[item])
        else:
            comment = page_comment(author, text, f"{PAGE_ID}_{unique}", f"{PAGE_ID}_post1")
            payload = facebook_webhook(PAGE_ID, changes=[comment])
        secret = env["FACEBOOK_APP_SECRET"]
        return (
            "facebook",
            payload,
            lambda body: facebook_signature(body, secret),
            "X-Hub-Signature-256",
        )
    if surface.startswith("instagram-"):
        if surface == "instagram-dm":
            millis = int(time.time() * 1000)
            item = instagram_message(INSTAGRAM_ID, author, text, f"aWdsim{unique}", millis)
            payload = instagram_webhook(INSTAGRAM_ID, messaging=[item])
        else:
            change = instagram_comment(author, text, f"1789{unique}", "17900000000000001")
            payload = instagram_webhook(INSTAGRAM_ID, changes=[change])
        secret = env["INSTAGRAM_APP_SECRET"]
        return (
            "instagram",
            payload,
            lambda body: facebook_signature(body, secret),
            "X-Hub-Signature-256",
        )
    if surface == "x-dm":
        payload = x_direct_message(X_USER_ID, author, text, f"sim{unique}")
    else:
        payload = x_mention(X_USER_ID, author, f"@housing {text}", str(uuid.uuid4().int % 10**18))
    secret = env["TWITTER_CONSUMER_SECRET"]
    return (
        "twitter",
        payload,
        lambda body: twitter_signature(body, secret),
        ("x-twitter-webhooks-signature"),
    )


def send(rasa_url: str, surface: str, text: str, author: str, platforms: FakePlatforms) -> str:
    """Sign and post one message (or put a comment where the poller reads it); returns
    the webhook's answer (or where the comment is)."""
    if surface in ("youtube-comment", "linkedin-comment"):
        return comment_on(platforms, surface, text, author)
    platform, payload, sign, header = webhook(surface, text, author)
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/{platform}/webhook",
        data=body,
        headers={"Content-Type": "application/json", header: sign(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return f"{response.status} {response.read().decode()}"


def show_calls(platforms: FakePlatforms, seen: int, wait: float) -> int:
    """Print the platform calls that arrive within `wait` seconds of the last one."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        calls = platforms.received()
        for call in calls[seen:]:
            print(f"  <- {call.describe()}", flush=True)
            deadline = time.monotonic() + 2.0
        seen = len(calls)
        time.sleep(0.2)
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("surface", nargs="?", choices=SURFACES)
    parser.add_argument("text", nargs="?")
    parser.add_argument("--as", dest="author", default="5550001", help="the sender's platform id")
    parser.add_argument("--wait", type=float, default=20.0, help="seconds to wait for replies")
    args = parser.parse_args(argv)
    rasa_url = f"http://127.0.0.1:{Settings.from_env().rasa_port}"
    with FakePlatforms(port=simulator_port()) as platforms:
        stage(platforms)
        print(f"Fake platform APIs on {platforms.url}; assistant at {rasa_url}", flush=True)
        try:
            if args.surface:
                answer = send(rasa_url, args.surface, args.text or "", args.author, platforms)
                print(f"-> {args.surface}: {args.text}  [{answer}]", flush=True)
                show_calls(platforms, 0, args.wait)
                return 0
            return interactive(rasa_url, platforms, args.author, args.wait)
        except urllib.error.URLError as error:
            print(
                f"error: the assistant did not take the message ({error}). "
                "Is it running with simulated platforms (make run-simulated)?",
                file=sys.stderr,
            )
            return 1


def interactive(rasa_url: str, platforms: FakePlatforms, author: str, wait: float) -> int:
    surface, seen = "messenger", 0
    print("Type a message. Switch surface with " + ", ".join(f"/{s}" for s in SURFACES) + ";")
    print("/quit to stop.", flush=True)
    while True:
        try:
            line = input(f"{surface}> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line in ("/quit", "/exit"):
            return 0
        if line.lstrip("/") in SURFACES:
            surface = line.lstrip("/")
            continue
        if line:
            print(f"  [{send(rasa_url, surface, line, author, platforms)}]", flush=True)
            seen = show_calls(platforms, seen, wait)


if __name__ == "__main__":
    sys.exit(main())
