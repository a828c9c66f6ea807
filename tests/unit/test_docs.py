"""The README and the pages under docs/ link only to what a clone of the repository has.

Every relative Markdown link must name a file in the repository, without `..` taking it
outside the top folder, and an `#anchor` must name a heading of the file it points at
(as GitHub makes anchors: lower case, punctuation dropped, spaces as hyphens).
"""

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and [text](target "title"); images too. Code spans and blocks are
# removed first, so a link written as an example is not taken as one.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(page: Path) -> list:
    """The link targets written in `page`, outside code."""
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return LINK.findall(text)


def anchors(page: Path) -> set:
    """The anchors GitHub gives the headings of `page`."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_there_are_pages_for_operators_staff_trainers_and_the_policy():
    names = {page.name for page in PAGES}
    assert {"operators.md", "staff.md", "trainers.md", "policy.md"} <= names


def problems(page: Path, root: Path = ROOT) -> list:
    """What is wrong with the relative links of `page`, a file under `root`."""
    root = root.resolve()
    found = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # a web address (https:, mailto:), not a file of the repository
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page.resolve()
        if file != root and root not in file.parents:
            found.append(f"{target}: outside the repository")
        elif not file.exists():
            found.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            found.append(f"{target}: no heading #{anchor} in {file.name}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page):
    assert problems(page) == []


def test_a_link_outside_the_repository_to_no_file_or_to_no_heading_is_caught(tmp_path):
    """The check above can fail: each fault a newcomer would meet is reported."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## A heading\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n\n[rules](../../shared/DESIGN.md), [gone](gone.md), "
        "[bad anchor](other.md#no-heading), [good](other.md#a-heading), [self](#page), "
        "[web](https://example.org/x), `[in code](nowhere.md)`\n\n"
        "```\n[in a block](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert problems(page, root=tmp_path) == [
        "../../shared/DESIGN.md: outside the repository",
        "gone.md: no such file",
        "other.md#no-heading: no heading #no-heading in other.md",
    ]


def test_no_page_names_a_path_outside_the_repository():
    for page in PAGES:
        assert "../shared" not in page.read_text(encoding="utf-8"), page.name
