"""How alerts are sent: email through SMTP, and a JSON post to a chat webhook (P12).

Both run inside the outbox worker, so a failure is sorted as the platforms' are: a
mail server or webhook that is down, slow or busy is transient (the outbox tries again
with backoff, and the alert is late, not lost); a refusal that trying again will not
mend (a mailbox that does not exist, a webhook that is gone) is permanent, and the
alert goes to the dead letters staff see. The webhook's body, {"text": "..."}, is the
shape Slack's and Microsoft Teams' incoming webhooks take.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Mapping

import requests

from bot.alerts.content import Alert
from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver
from bot.platforms.http import TIMEOUT
from bot.settings import SmtpSettings

# The outbox rows of alerts name this instead of a platform: their deliverer's key.
ALERTS = "alerts"

SendEmail = Callable[[str, Alert], str]
PostWebhook = Callable[[str, str], str]


def smtp_sender(smtp: SmtpSettings) -> SendEmail:
    """Sends one alert email to one address through the configured mail server."""

    def send(address: str, alert: Alert) -> str:
        missing = smtp.missing()
        if missing:
            # Waits in the outbox until the operator sets them and restarts.
            raise PlatformError(f"alert email is off: set {', '.join(missing)}", transient=True)
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = address
        message["Subject"] = alert.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
        message.set_content(alert.body)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
                if smtp.starttls:
                    server.starttls(context=ssl.create_default_context())
                if smtp.user:
                    server.login(smtp.user, smtp.password or "")
                server.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise PlatformError(
                f"SMTP refused {address}: {codes}", transient=all(c < 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as error:
            # 4xx: try later. 5xx other than a refused address: also later, since a
            # wrong password or a full quota is mended by an operator, not by dropping.
            raise PlatformError(f"SMTP said {error.smtp_code}", transient=True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise PlatformError(f"SMTP: {error.__class__.__name__}", transient=True) from None
        return str(message["Message-ID"])

    return send


def webhook_poster(session: requests.Session) -> PostWebhook:
    """Posts one alert's text to one webhook address."""

    def post(url: str, text: str) -> str:
        try:
            response = session.post(
                url, json={"text": text}, timeout=TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as error:
            # Not the error's text: it holds the address, which is a secret.
            raise PlatformError(f"webhook: {error.__class__.__name__}", transient=True) from None
        status = response.status_code
        response.close()
        if 200 <= status < 300:
            return f"webhook:{status}"
        transient = status == 429 or status >= 500
        retry_after = response.headers.get("Retry-After")
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise PlatformError(f"webhook answered HTTP {status}", transient, retry_after=wait)

    return post


def alert_deliverer(send: SendEmail, post: PostWebhook, webhooks: Mapping[str, str]) -> Deliver:
    """Makes the outbox's alert calls: an email to an address, a post to a webhook key."""

    def deliver(message: Outbound, now: datetime) -> str:
        alert = Alert.from_text(message.text or "")
        if message.operation is Operation.ALERT_EMAIL:
            return send(message.target, alert)
        if message.operation is Operation.ALERT_WEBHOOK:
            url = webhooks.get(message.target)
            if url is None:
                # Taken out of association.yml (or its variable unset) since it was queued.
                raise PlatformError(f"no webhook {message.target} is configured", False)
            return post(url, alert.text)
        raise PlatformError(f"{message.operation.value} is not an alert", transient=False)

    return deliver
