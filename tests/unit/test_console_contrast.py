"""The console's colours pass WCAG AA: every rule of its style sheets (console.css, whose
palette every sheet uses, and any other under static/) that sets a text colour, against
the background it is drawn on (its own, or the page's), 4.5:1 at least; links on every
light background they may sit on; form borders 3:1 (WCAG 1.4.11)."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "bot" / "console" / "static"
CSS = STATIC / "console.css"
TEXT, NON_TEXT = 4.5, 3.0


def variables(css):
    root = re.search(r":root\s*{(.*?)}", css, re.S).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", root))


def rules(css):
    """(selector, {property: value}) of every rule, comments and @media wrappers removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*{((?:[^{}]*{[^{}]*})*)\s*}", r"\1", css)
    found = []
    for selector, body in re.findall(r"([^{}]+){([^{}]*)}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+);?", body)
        )
        found.append((" ".join(selector.split()), declarations))
    return found


def resolve(value, names):
    value = value.strip()
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if match:
        return names[match.group(1)]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), f"a colour not from the palette: {value}"
    return value


def luminance(colour):
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one, other):
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


SOURCE = CSS.read_text()
NAMES = variables(SOURCE)
RULES = [rule for sheet in sorted(STATIC.glob("*.css")) for rule in rules(sheet.read_text())]
PAGE = NAMES["--bg"]


def test_the_contrast_formula_matches_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # a known AA fail


@pytest.mark.parametrize(
    "selector, declarations", [r for r in RULES if "color" in r[1]], ids=lambda v: str(v)[:40]
)
def test_every_text_colour_is_readable_on_its_background(selector, declarations):
    text = resolve(declarations["color"], NAMES)
    background = resolve(declarations.get("background-color", "var(--bg)"), NAMES)
    assert contrast(text, background) >= TEXT, (selector, text, background)


def test_there_are_rules_to_check():
    assert sum("color" in d for _, d in RULES) >= 20


def test_links_are_readable_on_every_light_background():
    backgrounds = {
        resolve(d["background-color"], NAMES) for _, d in RULES if "background-color" in d
    }
    light = {b for b in backgrounds if luminance(b) > 0.5}
    assert PAGE in light and len(light) >= 5
    for link in (NAMES["--link"], NAMES["--link-visited"]):
        for background in light:
            assert contrast(link, background) >= TEXT, (link, background)


def test_form_borders_and_the_focus_ring_stand_out():
    assert contrast(NAMES["--border"], PAGE) >= NON_TEXT
    # The focus ring: a dark outline with a yellow halo, visible on light and dark.
    assert contrast(NAMES["--focus-text"], PAGE) >= NON_TEXT
    assert contrast(NAMES["--focus"], NAMES["--header-bg"]) >= NON_TEXT
