"""policydsl: a policy-as-code language and compiler for e-commerce after-sales policy."""

__version__ = "0.1.0"
