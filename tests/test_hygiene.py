"""Packaging hygiene: the licence text matches pyproject, the changelog keeps its format, the metadata
names its classifiers and URLs, and every public name of the library says what it is."""

from __future__ import annotations

import inspect
import re
import tomllib

import pytest

import policydsl
from core_helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_license_file_is_the_apache_2_text_pyproject_names():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["license"] == {"text": "Apache-2.0"}
    assert "License :: OSI Approved :: Apache Software License" in PYPROJECT["classifiers"]
    assert re.match(r"\s*Apache License\s+Version 2\.0, January 2004\s+http://www\.apache\.org/licenses/", text)
    for heading in ("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "1. Definitions.",
                    "9. Accepting Warranty or Additional Liability.", "END OF TERMS AND CONDITIONS",
                    "APPENDIX: How to apply the Apache License to your work."):
        assert heading in text, heading


def test_classifiers_and_urls():
    classifiers = PYPROJECT["classifiers"]
    minimum = PYPROJECT["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert versions and min(versions, key=lambda v: tuple(map(int, v.split(".")))) == minimum
    assert "Typing :: Typed" in classifiers and (ROOT / "policydsl" / "py.typed").is_file()
    assert classifiers == sorted(set(classifiers), key=classifiers.index)  # no duplicates
    urls = PYPROJECT["urls"]
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls)
    assert all(u.startswith("https://github.com/policydsl/policydsl") for u in urls.values())


def test_the_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "keepachangelog.com/en/1.1.0" in text
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, flags=re.M)
    assert releases[0] == ("Unreleased", "")
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) and d for v, d in releases[1:])
    assert policydsl.__version__ in [v for v, _ in releases]
    dates = [d for _, d in releases[1:]]
    assert dates == sorted(dates, reverse=True)
    sections = re.findall(r"^### (.+)$", text, flags=re.M)
    assert set(sections) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    for version, _ in releases:  # every heading has its link
        assert re.search(rf"^\[{re.escape(version)}\]: https://", text, flags=re.M), version


def public_objects():
    """Every name policydsl exports, and the public methods and properties of its classes."""
    for name in policydsl.__all__:
        if name == "__version__":
            continue
        obj = getattr(policydsl, name)
        yield name, obj
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and (callable(value) or isinstance(value, property)):
                    yield f"{name}.{attr}", value


@pytest.mark.parametrize(("name", "obj"), list(public_objects()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_public_name_has_a_docstring(name, obj):
    doc = obj.__doc__
    assert doc and doc.strip(), f"{name} has no docstring"
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):  # attrs' generated text does not count
        pytest.fail(f"{name} has only a generated docstring")


def test_the_names_the_issue_lists_are_covered():
    names = {n for n, _ in public_objects()}
    assert {"Decision", "Decision.to_dict", "PolicySet.decide_json", "PolicySet.decide", "load", "load_set"} <= names
