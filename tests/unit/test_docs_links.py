"""No stale pointer: every relative link in the docs reaches a file (and a heading, when it names
one), and every file path the docs or the code mention exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: where the code and the docs write paths from: the repository, and the two packages' roots
BASES = [ROOT, ROOT / "functions" / "repolink", ROOT / "local" / "repolink_local", ROOT / "local"]
SOURCES = [
    *PAGES,
    *sorted((ROOT / "functions").rglob("*.py")),
    *sorted((ROOT / "local" / "repolink_local").rglob("*.py")),
    *sorted((ROOT / "tests").rglob("*.py")),
    *sorted((ROOT / "bench").glob("*.py")),
    ROOT / "Makefile",
    ROOT / "template.yaml",
    ROOT / "pyproject.toml",
]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
#: the folders a pointer into this project starts with: the repository's, and its packages'
#: (another library's paths, or a Git sync configFile in a team's repository, are not pointers here)
_OURS = (
    "functions|local|tests|docs|bench|events|schemas|statemachines|\\.ci|"
    "repolink|repolink_local|handlers|workflow|targets|adapters|models|standins|iam"
)
#: a path into the project, ending in a file name with one of its extensions
_PATH = re.compile(
    rf"(?<![\w/.-])((?:\.\./)?(?:{_OURS})/(?:[\w.-]+/)*[\w.-]+\.(?:py|md|json|yaml|mmd|toml|txt|svg))\b"
)


def _slug(heading: str) -> str:
    """A heading's anchor, as GitHub makes it."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def _links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found += [(page, target) for target in _LINK.findall(text) if not re.match(r"[a-z]+:", target)]
    return found


@pytest.mark.parametrize(
    ("page", "target"), _links(), ids=lambda x: x.name if isinstance(x, Path) else str(x)
)
def test_every_relative_link_in_the_docs_reaches_its_file_and_heading(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    reached = (page.parent / path).resolve() if path else page
    assert reached.exists(), f"{page.relative_to(ROOT)} links {target}: no such file"
    if anchor and reached.suffix == ".md":
        assert anchor in _anchors(reached), f"{page.relative_to(ROOT)} links {target}: no such heading"


def test_every_file_path_the_docs_and_the_code_mention_exists() -> None:
    stale = []
    for source in SOURCES:
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            for path in _PATH.findall(line):
                if re.search(r"https?://\S*" + re.escape(path), line):
                    continue  # part of a URL
                bases = [source.parent, *BASES]
                if not any((base / path).exists() for base in bases):
                    stale.append(f"{source.relative_to(ROOT)}:{number}: {path}")
    assert stale == [], "\n".join(stale)
