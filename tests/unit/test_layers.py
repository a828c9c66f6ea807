"""The layout's walls, read from the imports: Rasa and Sanic stay in their rooms, and
dependencies run one way, from the channels down to the shared types.

    channels (and console) -> screening, feedback, protection, trainer -> alerts -> {handoff, tenancy, moderation,
    platforms, association, repairs} -> {outbox, outbox_worker, intake, privacy, text} -> {events,
    store, settings, secret_masking, clock}; actions -> {tenancy, handoff, association, repairs,
    feedback, alerts} and below.

Only the product is read (bot/ and actions/); scripts/, bench/ and tests/ drive it
from outside and may import what they need to.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import its own layer and those below, never one above.
LAYERS = (
    ("bot.events", "bot.keys", "bot.store", "bot.settings", "bot.secret_masking", "bot.clock"),
    ("bot.outbox", "bot.outbox_worker", "bot.intake", "bot.privacy", "bot.text"),
    (
        "bot.handoff",
        "bot.tenancy",
        "bot.moderation",
        "bot.platforms",
        "bot.association",
        "bot.repairs",
        "bot.service_alerts",
    ),
    ("bot.alerts",),
    ("bot.screening", "bot.feedback", "bot.protection", "bot.trainer"),
    ("bot.channels", "bot.console", "bot.sandbox"),
)
# What the thin actions may reach, besides the two lowest layers.
ACTIONS_MAY_IMPORT = (
    "bot.tenancy",
    "bot.handoff",
    "bot.association",
    "bot.repairs",
    "bot.feedback",
    "bot.alerts",
    "bot.service_alerts",
)
RASA = ("rasa", "rasa_sdk")
RASA_ROOMS = ("bot/channels/", "actions/")
SANIC_ROOMS = (*RASA_ROOMS, "bot/console/")


def _product() -> list[Path]:
    return sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").rglob("*.py")])


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, absolute, with its line: `from . import x` resolved."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            if name == "bot":
                # `from bot import moderation` imports the package bot.moderation.
                found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _layer(module: str) -> int | None:
    for level, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return level
    return None


def _within(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == r or module.startswith(r + ".") for r in roots)


def _where(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def wall_breaches() -> list[str]:
    """Every import in the product that crosses a wall, as 'file:line: why'."""
    breaches = []
    for path in _product():
        where, module = _where(path), _module(path)
        own = _layer(module)
        for line, imported in _imports(path):
            top = imported.split(".")[0]
            if top in RASA and not where.startswith(RASA_ROOMS):
                breaches.append(f"{where}:{line}: imports {imported} outside {RASA_ROOMS}")
            if top == "sanic" and not where.startswith(SANIC_ROOMS):
                breaches.append(f"{where}:{line}: imports {imported} outside {SANIC_ROOMS}")
            target = _layer(imported)
            if target is None:
                continue
            if where.startswith("actions/"):
                if target > 1 and not _within(imported, ACTIONS_MAY_IMPORT):
                    breaches.append(f"{where}:{line}: an action imports {imported}")
            elif own is not None and target > own:
                breaches.append(f"{where}:{line}: layer {own} imports {imported} (layer {target})")
    return breaches


def test_every_module_of_the_product_has_a_layer():
    unplaced = [
        _where(p)
        for p in _product()
        if p.parts[-2:] != ("bot", "__init__.py")
        and not _where(p).startswith("actions/")
        and _layer(_module(p)) is None
    ]
    assert unplaced == []


def test_rasa_and_sanic_stay_behind_their_walls_and_layers_import_only_downwards():
    assert wall_breaches() == []


@pytest.mark.parametrize(
    "where, source, why",
    [
        ("bot/moderation/extra.py", "from rasa.shared.core.events import SlotSet\n", "outside"),
        ("bot/tenancy/extra.py", "import rasa_sdk\n", "outside"),
        ("bot/screening/extra.py", "from sanic import Sanic\n", "outside"),
        ("bot/privacy/extra.py", "from bot.platforms.facebook import delivery\n", "layer 1"),
        ("bot/store.py", "from bot import outbox\n", "layer 0"),
        ("bot/platforms/extra.py", "from bot.screening.coordinator import Screening\n", "layer 2"),
        ("bot/moderation/extra.py", "from ..channels import base\n", "layer 2"),
        ("actions/extra.py", "from bot.screening import coordinator\n", "an action"),
    ],
)
def test_the_walls_would_catch_a_breach(monkeypatch, tmp_path, where, source, why):
    """A module that broke a wall is caught: the check reads what is really there."""
    copy = tmp_path / "repo"
    for package in ("bot", "actions"):
        for path in ROOT.joinpath(package).rglob("*.py"):
            target = copy / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    (copy / where).write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", copy)
    breaches = wall_breaches()
    assert len(breaches) == 1 and breaches[0].startswith(f"{where}:1:") and why in breaches[0]
