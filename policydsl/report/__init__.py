"""Machine-readable reports for CI: GitHub workflow commands, SARIF 2.1.0, JUnit XML and the JSON of
`policydsl test`. The text and JSON forms of diagnostics live beside the Diagnostic value
(policydsl.diagnostics)."""

from policydsl.report.github import render_github
from policydsl.report.sarif import render_sarif

__all__ = ["render_github", "render_sarif"]
