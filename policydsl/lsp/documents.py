"""One open document's analysis: the same diagnostics as `policydsl check` on text held in
memory, and the parsed baseline a merchant file extends (cached until the file changes)."""

from __future__ import annotations

from pathlib import Path

import attrs

from policydsl.api import LoadResult, Parsed, find_baseline, load_parsed, parse_file, parse_text
from policydsl.diagnostics import Diagnostic
from policydsl.syntax import ast
from policydsl.tools.check_files import check_loaded


@attrs.frozen
class Analysis:
    """A document's text, its parse, its baseline (for a merchant file) and every diagnostic."""

    uri: str
    name: str  # the display name spans carry: the document's file system path
    text: str
    parsed: Parsed
    baseline: Parsed | None
    result: LoadResult
    diagnostics: tuple[Diagnostic, ...]

    @property
    def policy(self) -> ast.Policy | None:
        return self.parsed.policy


class Baselines:
    """Parsed platform baselines by header name, re-read only when the file's mtime changes
    (the saved file: unsaved edits to an open baseline reach merchant files once saved).
    `override` (a path) replaces the lookup by name, like `policydsl check --baseline`."""

    def __init__(self, override: str | Path | None = None) -> None:
        self.override = Path(override) if override is not None else None
        self._cache: dict[Path, tuple[int, Parsed]] = {}

    def path_for(self, name: str) -> Path | None:
        return self.override if self.override is not None else find_baseline(name)

    def get(self, name: str) -> Parsed | None:
        path = self.path_for(name)
        if path is None:
            return None
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = -1
        hit = self._cache.get(path)
        if hit is None or hit[0] != stamp:
            hit = (stamp, parse_file(path))
            self._cache[path] = hit
        return hit[1]


def analyse(text: str, uri: str, name: str, baselines: Baselines) -> Analysis:
    """Parse, resolve, type-check and lint `text`; for a merchant file also the exact check
    against its baseline (policydsl.tools.check_files.check_loaded, as `policydsl check`)."""
    parsed = parse_text(text[1:] if text.startswith("\ufeff") else text, name)
    baseline = None
    if parsed.policy is not None and parsed.policy.is_merchant:
        baseline = baselines.get(parsed.policy.header.extends)
    result = load_parsed([parsed], baseline)
    return Analysis(uri, name, text, parsed, baseline, result, tuple(check_loaded(result)))
