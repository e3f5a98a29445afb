"""`policydsl check`: check each file as its own policy set and collect every diagnostic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from policydsl.api import LoadResult, load_set
from policydsl.diagnostics import Diagnostic


@attrs.frozen
class CheckReport:
    files: tuple[Path, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def valid(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def exit_code(self) -> int:
        """0 valid, 1 favourability violations only, 2 any syntax, name, type or usage error."""
        return self.exit_code_with(deny_warnings=False)

    def exit_code_with(self, *, deny_warnings: bool) -> int:
        """As `exit_code`; with `deny_warnings` (CI), warnings alone exit 1 instead of 0."""
        errors = [d for d in self.diagnostics if d.is_error]
        if not errors:
            return 1 if deny_warnings and self.diagnostics else 0
        return 1 if all(d.code.startswith("PD3") and d.code != "PD306" for d in errors) else 2


def check_file(path: Path, baseline: str | Path | None = None) -> list[Diagnostic]:
    """Syntax, names and types; for a merchant file also favourability against its baseline."""
    return check_loaded(load_set([path], baseline))


def check_loaded(result: LoadResult) -> list[Diagnostic]:
    """The diagnostics of a loaded policy set, then (when it has no error) the checker's:
    favourability for a merchant set, rules that never fire or matter for a platform set."""
    diags = list(result.diagnostics)
    ps = result.policy_set
    if ps is not None and not any(d.is_error for d in diags):
        from policydsl.check import check_merchant, check_platform

        diags.extend((check_merchant(ps) if ps.baseline is not None else check_platform(ps)).diagnostics)
    return diags


def check_files(paths: Sequence[Path], baseline: str | Path | None = None) -> CheckReport:
    diags: list[Diagnostic] = []
    for path in paths:
        diags.extend(check_file(path, baseline))
    return CheckReport(tuple(paths), tuple(diags))
