"""policydsl: a policy-as-code language and compiler for e-commerce after-sales policy.

    import policydsl
    shop = policydsl.load("my-shop.policy")     # parse and check once
    shop.decide(facts).to_dict()                # decide many times

The names below are imported on first use, so that `policydsl --help` (and any tool that
imports one stage) does not pay for the whole pipeline.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from policydsl._version import __version__

_LAZY = {"PolicySet": "policydsl.api", "load": "policydsl.api", "load_set": "policydsl.api",
         "Decision": "policydsl.evaluate.decision", "Diagnostic": "policydsl.diagnostics",
         "PolicyDslError": "policydsl.diagnostics", "FactsInputError": "policydsl.evaluate.facts"}

if TYPE_CHECKING:
    from policydsl.api import PolicySet, load, load_set
    from policydsl.diagnostics import Diagnostic, PolicyDslError
    from policydsl.evaluate.decision import Decision
    from policydsl.evaluate.facts import FactsInputError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policydsl' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["Decision", "Diagnostic", "FactsInputError", "PolicyDslError", "PolicySet", "load", "load_set",
           "__version__"]
