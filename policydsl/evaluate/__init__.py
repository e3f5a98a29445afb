"""Evaluation: facts validation, the reference interpreter, and the Decision it returns
(with its text form for `eval --explain`)."""
