"""Run the staff app: `python -m bot.console` (scripts/processes.py starts it).

It serves the staff API under /api/ and the console's pages under / on
CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:5080 by default; staff accounts from
`python -m scripts.staff`), sends the staff alerts (bot/alerts/sending.py) and talks
to the Rasa server on RASA_PORT with RASA_API_TOKEN. It refuses to start without staff
tokens, without the store's keys (ENCRYPTION_KEYS, LOOKUP_KEY), with ASSISTANT_ENV=production
and RASA_API_TOKEN or CONSOLE_SESSION_SECRET unset (P9; in development those two are made
up, with a notice), with an `alerts:` section it cannot use, or with a team in
association.yml that no console role works for, saying what to change.
"""

from __future__ import annotations

import sys

from bot.alerts.sending import alert_sender
from bot.association import ConfigError, load_association
from bot.console.accounts import Role, StaffAccounts, teams_without_roles
from bot.console.app import create_app, utc_now
from bot.console.sessions import Sessions
from bot.console.tokens import TokensError, load_tokens
from bot.handoff.conversations import RasaConversations
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Teams
from bot.outbox import Outbox
from bot.privacy.logs import protect_logs
from bot.sandbox.service import build_sandbox
from bot.settings import Settings, SettingsError
from bot.store import KeyHolder, connect


def main() -> int:
    """Start the API and serve until stopped; 2 if a setting it needs is missing."""
    protect_logs()
    settings = Settings.from_env()
    try:
        tokens = load_tokens(settings.staff_tokens, settings.staff_tokens_file)
    except TokensError as error:
        print(f"error: the staff API cannot start: {error}", file=sys.stderr)
        return 2
    try:
        settings = settings.require(
            "ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN", "CONSOLE_SESSION_SECRET"
        )
    except SettingsError as error:
        print(f"error: the staff app cannot start: {error}", file=sys.stderr)
        return 2
    if not settings.rasa_api_token:
        print(
            "error: the staff API cannot start: set RASA_API_TOKEN, the token Rasa's HTTP"
            " API was started with (rasa run --enable-api --auth-token=...)",
            file=sys.stderr,
        )
        return 2
    engine = connect(settings.database_url, settings.data_keys())
    association = load_association(settings.association_file)
    unserved = teams_without_roles(team.name for team in association.teams)
    if unserved:
        names = ", ".join(unserved)
        teams = ", ".join(role.team for role in Role if role.team)
        print(
            f"error: the staff app cannot start: no console role works for the team(s)"
            f" {names} of {settings.association_file} (teams:), so their staff could never"
            f" see their queue. The roles work for {teams} (bot/console/accounts.py, Role):"
            " name the team as one of those, or add a role for it.",
            file=sys.stderr,
        )
        return 2
    rasa = RasaConversations(f"http://127.0.0.1:{settings.rasa_port}", settings.rasa_api_token)
    desk = StaffDesk(
        engine, Outbox(engine, key=settings.outbox_key), rasa, Teams.from_config(association.teams)
    )
    try:
        # Staff alerts go out from here whatever platform channels are on (P2).
        alerts = alert_sender(settings, utc_now)
    except ConfigError as error:
        print(f"error: the staff app cannot send alerts: {error}", file=sys.stderr)
        return 2
    app = create_app(
        desk,
        tokens,
        alerts=alerts,
        accounts=StaffAccounts(engine),
        sessions=Sessions(engine, settings.console_session_secret),
        settings=settings,
        # The sandbox only in sandbox mode (bot/sandbox/mode.py); None otherwise.
        sandbox=build_sandbox(settings, engine, utc_now),
    )
    # P9: which keys the console holds, recorded while it runs (key rotation waits on it).
    holder = KeyHolder(engine, "console").start()
    try:
        app.run(
            host=settings.console_host,
            port=settings.console_port,
            access_log=False,
            motd=False,
        )
    finally:
        holder.leave()
    return 0


if __name__ == "__main__":
    sys.exit(main())
