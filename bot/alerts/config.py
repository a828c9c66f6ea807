"""Who is alerted: the `alerts:` section of association.yml.

    alerts:
      on_call:                       # told at once of every urgent handoff, day or night
        email: [oncall@example.org]
        webhook: [env:ALERT_WEBHOOK_ON_CALL]
      teams:                         # told when a handoff's acknowledge-by time nears or passes
        Repairs:
          email: [repairs-leads@example.org, duty-manager@example.org]

A webhook address is a secret (whoever has it can post to the channel): write
`env:ALERT_WEBHOOK_<NAME>` and set that variable, rather than the address itself.
Only variables named ALERT_WEBHOOK_* may be named, so the file cannot send any other
secret anywhere. Team names must be teams the association has; a mistake fails at load.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Dict, Mapping, Tuple

import yaml

from bot.association import ConfigError

ENV_PREFIX = "env:"
WEBHOOK_VARIABLE = "ALERT_WEBHOOK_"
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class Webhook:
    """A chat webhook: `key` names it in the store and logs, `url` is the secret address."""

    key: str
    url: str = field(repr=False)


@dataclass(frozen=True)
class Recipients:
    """The email addresses and webhooks one group of people is alerted on."""

    emails: Tuple[str, ...] = ()
    webhooks: Tuple[Webhook, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.emails or self.webhooks)


@dataclass(frozen=True)
class AlertConfig:
    """Who is alerted: the on-call contacts, and each team's."""

    on_call: Recipients = Recipients()
    teams: Mapping[str, Recipients] = field(default_factory=dict)

    def webhooks(self) -> Dict[str, str]:
        """Every webhook's address by its key: what the deliverer posts to."""
        groups = [self.on_call, *self.teams.values()]
        return {hook.key: hook.url for group in groups for hook in group.webhooks}


def load_alerts(
    path: Path, team_names: Collection[str], variables: Mapping[str, str]
) -> AlertConfig:
    """Read the `alerts:` section of the association's file (none: nobody is alerted).

    Raises:
        ConfigError: a team, address or webhook in it cannot be used.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as error:
        raise ConfigError(f"association file not found: {path}") from error
    return parse_alerts(raw.get("alerts"), team_names, variables, source=str(path))


def parse_alerts(
    raw: Any, team_names: Collection[str], variables: Mapping[str, str], source: str = "alerts"
) -> AlertConfig:
    """Build the alert configuration from the parsed `alerts:` section.

    `team_names` are the association's teams; `variables` the ALERT_WEBHOOK_* settings.
    """
    if raw is None:
        return AlertConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: alerts must be a mapping with on_call and teams")
    unknown = set(raw) - {"on_call", "teams"}
    if unknown:
        raise ConfigError(
            f"{source}: alerts has unknown keys {sorted(unknown)}; use on_call, teams"
        )
    teams_raw = raw.get("teams") or {}
    if not isinstance(teams_raw, Mapping):
        raise ConfigError(f"{source}: alerts.teams must map team names to recipients")
    known = set(team_names)
    strangers = [str(name) for name in teams_raw if name not in known]
    if strangers:
        raise ConfigError(
            f"{source}: alerts.teams names unknown teams {strangers}; "
            f"the teams are: {', '.join(sorted(known))}"
        )
    return AlertConfig(
        on_call=_recipients(raw.get("on_call"), "alerts.on_call", variables, source),
        teams={
            str(name): _recipients(value, f"alerts.teams.{name}", variables, source)
            for name, value in teams_raw.items()
        },
    )


def _recipients(raw: Any, where: str, variables: Mapping[str, str], source: str) -> Recipients:
    if raw is None:
        return Recipients()
    if not isinstance(raw, Mapping) or set(raw) - {"email", "webhook"}:
        raise ConfigError(f"{source}: {where} must have only `email` and `webhook` lists")
    emails = _list(raw.get("email"), f"{where}.email", source)
    for address in emails:
        if not _EMAIL.match(address):
            raise ConfigError(f"{source}: {where}.email has {address!r}, not an email address")
    hooks = _list(raw.get("webhook"), f"{where}.webhook", source)
    return Recipients(
        emails=tuple(dict.fromkeys(a.lower() for a in emails)),
        webhooks=tuple(_webhook(h, f"{where}.webhook", variables, source) for h in hooks),
    )


def _webhook(spec: str, where: str, variables: Mapping[str, str], source: str) -> Webhook:
    if spec.startswith(ENV_PREFIX):
        name = spec[len(ENV_PREFIX) :]
        if not name.startswith(WEBHOOK_VARIABLE):
            raise ConfigError(
                f"{source}: {where} names {name!r}; webhook variables must be named "
                f"{WEBHOOK_VARIABLE}<SOMETHING>"
            )
        url = variables.get(name)
        if not url:
            raise ConfigError(f"{source}: {where} names {name}, which is not set: set it")
        key = spec
    else:
        # Written in the file: the store and logs know it only by a digest.
        url, key = spec, "url:" + hashlib.sha256(spec.encode()).hexdigest()[:16]
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{source}: {where}: a webhook must be an http(s) address")
    return Webhook(key=key, url=url)


def _list(raw: Any, where: str, source: str) -> Tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ConfigError(f"{source}: {where} must be a list of text")
    return tuple(v.strip() for v in raw)
