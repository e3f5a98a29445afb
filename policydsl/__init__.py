"""policydsl: a policy-as-code language and compiler for e-commerce after-sales policy.

    import policydsl
    shop = policydsl.load("my-shop.policy")     # parse and check once
    shop.decide(facts).to_dict()                # decide many times
"""

from policydsl._version import __version__  # noqa: E402

from policydsl.api import PolicySet, load, load_set  # noqa: E402
from policydsl.evaluate.decision import Decision  # noqa: E402
from policydsl.diagnostics import Diagnostic, PolicyDslError  # noqa: E402
from policydsl.evaluate.facts import FactsInputError  # noqa: E402

__all__ = ["Decision", "Diagnostic", "FactsInputError", "PolicyDslError", "PolicySet", "load", "load_set",
           "__version__"]
