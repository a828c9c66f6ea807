"""Settings: read from the environment in one place, when the program starts.

A local `.env` file is read where present; variables already in the environment win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from cryptography.fernet import Fernet
from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """The settings this program runs with. Names match the environment variables."""

    association_file: Path
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_api_token: str | None = None
    security_answers_key: str | None = None
    demo_tenancies: Path | None = PROJECT_ROOT / "demo" / "tenancies.yml"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: Path | None = None,
    ) -> Settings:
        """Read the settings from `environ` (default: the process environment) and `.env`."""
        env_file = dotenv_path if dotenv_path is not None else PROJECT_ROOT / ".env"
        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        values.update(os.environ if environ is None else environ)
        return cls(
            association_file=_path(
                values.get("ASSOCIATION_FILE"), PROJECT_ROOT / "association.yml"
            ),
            database_url=values.get("DATABASE_URL") or cls.database_url,
            rasa_port=_port(values, "RASA_PORT", cls.rasa_port),
            action_port=_port(values, "ACTION_PORT", cls.action_port),
            rasa_api_token=values.get("RASA_API_TOKEN") or None,
            security_answers_key=_fernet_key(values.get("SECURITY_ANSWERS_KEY")),
            demo_tenancies=(
                None
                if values.get("DEMO_TENANCIES", "").lower() in ("off", "none", "false")
                else _path(values.get("DEMO_TENANCIES"), cls.demo_tenancies)
            ),
        )


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _port(values: Mapping[str, str], name: str, default: int) -> int:
    raw = values.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name} must be a port number (1-65535), got {raw!r}")
    return int(raw)


def _fernet_key(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        Fernet(raw)
    except ValueError as error:
        raise SettingsError(
            "SECURITY_ANSWERS_KEY must be a Fernet key (32 bytes, url-safe base64); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from error
    return raw


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
