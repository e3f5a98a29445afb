"""Shared fixtures. Helper modules live next to this file and are importable by name:

    from facts_strategies import valid_facts, base_facts, with_facts   # facts and hypothesis strategies
    from core_helpers import diag_of, one, underlined                   # language-core helpers
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # helper modules are importable under any import mode
    sys.path.insert(0, str(TESTS))

from core_helpers import BASELINE_PATH, BASELINE_TEXT, ENGINES  # noqa: E402
from facts_strategies import base_facts as _base_facts  # noqa: E402
from facts_strategies import valid_facts  # noqa: E402,F401  (re-exported for other test modules)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "packaging: builds the wheel (runs in CI; a few seconds, may fetch the "
                                       "build backend from PyPI)")


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE_PATH


@pytest.fixture(scope="session")
def baseline_text() -> str:
    return BASELINE_TEXT


@pytest.fixture(scope="session", params=ENGINES)
def baseline(request):
    """The shipped platform policy, loaded through the library API, once per engine: the reference
    interpreter (policydsl.evaluate.interpreter) and the compiled engine (the library's default)."""
    from policydsl.api import load

    return load(BASELINE_PATH, engine=request.param)


@pytest.fixture
def base_facts() -> dict:
    """A fresh copy of the baseline's `base` request (S2.1: unused general goods, past day 7)."""
    return _base_facts()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


# ---- hypothesis profiles (registered by the checker tests' owner; keep this block whole) ----
# `default` is hypothesis' own profile (100 examples). `thorough` is for nightly or pre-release
# runs, selected with either of:
#     HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_check_differential.py
#     python -m pytest tests/test_check_differential.py --hypothesis-profile=thorough
import os  # noqa: E402

from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("thorough", max_examples=2000, deadline=None)
_hypothesis_settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "default"))
# ---- end of hypothesis profiles ------------------------------------------------------------------------
