"""Every diagnostic code policydsl emits, with a one-line meaning (docs/error-codes.md mirrors this)."""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    # usage and input files
    "PD001": "a file cannot be read",
    "PD002": "the files given do not form one policy set (usage)",
    # syntax
    "PD100": "unexpected character",
    "PD101": "unexpected word or symbol; the message says what was expected",
    "PD102": "the file ends in the middle of a declaration",
    "PD103": "invalid string literal (unknown escape)",
    "PD104": "`=` used in a condition; conditions compare with `==`",
    "PD105": "the file is not UTF-8 text",
    "PD106": "a number is out of range (more than 18 digits)",
    # names and types
    "PD201": "unknown fact or name",
    "PD202": "unknown action",
    "PD203": "unknown clause ID, or no scenario declared for it",
    "PD204": "unknown parameter or capability",
    "PD205": "unknown period",
    "PD206": "unknown type, enum value, category or group",
    "PD207": "a name is declared twice",
    "PD208": "type mismatch",
    "PD209": "not allowed in a merchant policy, or not tunable",
    "PD210": "test data names an unknown fact",
    "PD211": "`overrides` names an unknown rule",
    "PD212": "baseline problem: wrong header, or `extends` names a baseline that is not loaded or installed",
    "PD213": "a required declaration is missing or malformed (time zone, `now`, capability)",
    "PD214": "circular definition",
    "PD215": "test uses an unknown facts block",
    # favourability (merchant vs baseline)
    "PD301": "a merchant rule is less favourable to the buyer than the baseline (with a counterexample)",
    "PD302": "a merchant setting lowers a parameter the platform allows only to increase",
    "PD303": "a merchant capability claim differs from the platform's ceiling",
    "PD304": "warning: a merchant rule never fires",
    "PD305": "warning: a merchant rule is fully shadowed and changes no decision",
    "PD306": "the checker cannot decide this policy (outside the decidable fragment)",
    # facts (request input)
    "PD401": "facts are not valid JSON",
    "PD402": "a required fact is missing",
    "PD403": "an unknown fact key",
    "PD404": "a fact has the wrong type",
    "PD405": "an enum fact has an unknown value",
    "PD406": "a timestamp is not RFC 3339 with an offset",
    "PD407": "a count is negative",
    "PD408": "facts contradict each other (e.g. signed before paid)",
    "PD409": "a fact or group is given more than once (a duplicate JSON key)",
}
