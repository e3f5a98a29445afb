"""The `policydsl` command line. Thin: parse options, call the library, render, map to exit codes.

Exit codes (README: exit codes): 0 ok, 1 policy violations or failed tests, 2 usage, syntax or input errors.
Importing this package registers every command on `main`; each command imports the library
parts it needs when it runs, so `policydsl --help` stays fast.
"""

from policydsl.cli import authoring, building, deciding  # noqa: F401 - registers the commands
from policydsl.cli.app import main, run
from policydsl.cli.common import ENGINES, ExitCode

__all__ = ["ENGINES", "ExitCode", "main", "run"]
