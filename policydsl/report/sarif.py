"""SARIF 2.1.0 (OASIS) for code scanning: one run, a rule per code used with its documentation,
and a result per diagnostic located in its file relative to the checkout (`%SRCROOT%`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from policydsl.codes import CODES
from policydsl.diagnostics import Diagnostic
from policydsl.report.common import HOME_URL, full_message, help_uri

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_ID = "%SRCROOT%"


def _rule(code: str) -> dict[str, object]:
    doc = CODES.get(code)
    meaning = doc.meaning if doc else code
    level = "warning" if meaning.lower().startswith("warning:") else "error"
    rule: dict[str, object] = {"id": code, "shortDescription": {"text": meaning[:1].upper() + meaning[1:]}}
    if doc is not None:
        rule["fullDescription"] = {"text": f"{meaning[:1].upper() + meaning[1:]}. Example: {doc.example}. "
                                           f"Fix: {doc.fix}"}
        rule["help"] = {"text": doc.fix, "markdown": f"**Example:** {doc.example}\n\n**Fix:** {doc.fix}"}
    rule["helpUri"] = help_uri(code)
    rule["defaultConfiguration"] = {"level": level}
    return rule


def _artifact(path: str, root: Path) -> dict[str, object]:
    """The file relative to `root` under `%SRCROOT%`; a file outside it by its absolute file URI."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": ROOT_ID}


def _location(d: Diagnostic, root: Path) -> dict[str, object] | None:
    if d.path is None:
        return None
    physical: dict[str, object] = {"artifactLocation": _artifact(d.path, root)}
    if d.span is not None:
        one_line = d.span.end_line == d.span.line
        physical["region"] = {
            "startLine": d.span.line,
            "startColumn": d.span.column,
            "endLine": d.span.end_line,
            "endColumn": max(d.span.end_column, d.span.column + 1) if one_line else max(1, d.span.end_column),
        }
    return {"physicalLocation": physical}


def render_sarif(diagnostics: Iterable[Diagnostic], *, tool_version: str, root: str | Path | None = None,
                 baseline: str | None = None) -> str:
    """The SARIF log of one `policydsl check` run. `root` (default: the working directory) is the
    checkout the relative artifact URIs are resolved against."""
    base = Path(os.path.abspath(root if root is not None else os.getcwd()))
    ds = list(diagnostics)
    codes = sorted({d.code for d in ds})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in ds:
        result: dict[str, object] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error" if d.is_error else "warning",
            "message": {"text": full_message(d, baseline)},
        }
        location = _location(d, base)
        if location is not None:
            result["locations"] = [location]
        if d.data:
            result["properties"] = dict(d.data)
        results.append(result)
    root_uri = base.as_uri().rstrip("/") + "/"
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "policydsl",
                "version": tool_version,
                "informationUri": HOME_URL,
                "rules": [_rule(code) for code in codes],
            }},
            "originalUriBaseIds": {ROOT_ID: {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
