"""Every diagnostic code policydsl emits: its meaning, an input that triggers it, and the fix.

docs/error-codes.md holds the same table (a test keeps the two equal); `policydsl explain
CODE` prints an entry."""

from __future__ import annotations

from typing import NamedTuple


class CodeDoc(NamedTuple):
    meaning: str
    example: str  # Markdown, as in the docs table
    fix: str


CODES: dict[str, CodeDoc] = {
    # usage and input files
    'PD001': CodeDoc(
        'a file cannot be read',
        '`policydsl check missing.policy` (no such file), or `eval … --facts nope.json`',
        "Check the path and the file's permissions."),
    'PD002': CodeDoc(
        'the files given do not form one policy set (usage)',
        '`policydsl eval a.policy b.policy --facts f.json` with two platform policies, or two merchant policies',
        'Give one platform policy, or one merchant policy (its baseline is found by the name in '
        '`extends`, or given with `--baseline`).'),
    # syntax
    'PD100': CodeDoc(
        'unexpected character',
        "`when request.product_used & request.quality_issue`; `'quoted'`; `// comment`; a Chinese "
        'character outside a string',
        'Combine conditions with `and`/`or`/`not`; strings use double quotes; comments start with `#`; '
        'names are ASCII.'),
    'PD101': CodeDoc(
        'unexpected word or symbol; the message says what was expected',
        '`rul s1 when …` (hint: did you mean `rule`?); `when a == b must x` (missing `then`); `rule '
        'Refund …` (names are lower_case)',
        'Write what the message lists as expected at the caret.'),
    'PD102': CodeDoc(
        'the file ends in the middle of a declaration',
        'a last line `rule r when request.product_used then`; an empty file (no policy header)',
        'Finish the declaration, here with an effect such as `must accept_request`; a file starts with '
        '`platform policy "NAME" version "V"` or `merchant policy "NAME" version "V" extends "BASELINE"`.'),
    'PD103': CodeDoc(
        'invalid string literal (unknown escape)',
        '`clause G1 "path C:\\new\\q"`',
        'Use only `\\"` `\\\\` `\\n` `\\t` `\\uXXXX`; write a backslash as `\\\\`.'),
    'PD104': CodeDoc(
        '`=` used in a condition; conditions compare with `==`',
        '`when request.reason = quality`',
        'Write `request.reason == quality`.'),
    'PD105': CodeDoc(
        'the file is not UTF-8 text',
        'a policy saved as GBK or Latin-1',
        'Save the file as UTF-8.'),
    'PD106': CodeDoc(
        'a number is out of range (more than 18 digits)',
        '`param p = 10000000000000000000 days`; `when order.extensions_used > 1000…000` with 5,000 digits',
        'Write the value you mean; durations, counts and limits are far smaller.'),
    # names and types
    'PD107': CodeDoc(
        'conditions are nested too deeply',
        'a condition with 150 nested parentheses, or 300 `not`s in a row',
        'Name parts of the condition with `let` and combine the names.'),
    'PD201': CodeDoc(
        'unknown fact or name',
        '`when request.typ == refund_only` (hint: did you mean `request.type`?); `when past_no_reasn`',
        'Use a declared fact path or `let` name; the hint names the nearest one.'),
    'PD202': CodeDoc(
        'unknown action',
        '`then must reopen_after_sale` (hint: did you mean `reopen_after_sales`?)',
        'Use an action the platform declares with `action NAME: pro_buyer` / `pro_merchant`.'),
    'PD203': CodeDoc(
        'unknown clause ID, or no scenario declared for it',
        '`rule r cites S3.9 …`; `when scenario S3.7`; `expect scenario S2.9`',
        'Cite a declared `clause`; test only clauses that have a `scenario` declaration.'),
    'PD204': CodeDoc(
        'unknown parameter or capability',
        '`period quality = qualty_days from the day after order.signed_at`; merchant `set no_reson_days '
        '= 10 days`; merchant `capability extnsion: …`',
        'Use a parameter declared with `param` or a capability declared with `capability`.'),
    'PD205': CodeDoc(
        'unknown period',
        '`expired quality_claim`; `most favourable of quality, sanbo`',
        'Use a period declared with `period`.'),
    'PD206': CodeDoc(
        'unknown type, enum value, category or group',
        '`request.evidence == verifed`; `fact order.settled: boolean`; `order.category in '
        'fresh_and_plant`; merchant `set no_reason_days for fresh_fod = 10 days`',
        'Use a declared type (`bool`, `count`, `timestamp`, or an `enum`), a value of that enum, or a '
        'declared `group`.'),
    'PD207': CodeDoc(
        'a name is declared twice',
        '`action assist_return: pro_buyer` twice; a merchant `rule never_refuse_outright …` (a platform '
        "rule's name); one rule giving `must x, may x`",
        'Rename or remove one; to change a platform rule, name yours differently and add `replaces` / `overrides`.'),
    'PD208': CodeDoc(
        'type mismatch',
        '`when order.extensions_used` (a count is not a condition); `request.reason < quality`; '
        '`order.used is null` on a non-`?` fact; merchant `set no_reason_days = 10` (a count for a '
        'duration)',
        'Compare counts and durations, test bools directly, compare enums with `==`/`!=`, and give '
        'parameters a value of their declared unit.'),
    'PD209': CodeDoc(
        'not allowed in a merchant policy, or not tunable',
        'merchant `param refund_days = 30 days`; merchant `set sanbao_days = 20 days` (fixed by the '
        'platform); `set quality_days for apparel = …` (not per value)',
        'Merchants add rules and `set` only parameters declared `may only increase`/`decrease` (per '
        'value only where declared `per`).'),
    'PD210': CodeDoc(
        'test data names an unknown fact',
        '`facts base { request.damage: none }`; `given base { order.extension_used: 3 }`',
        'Use the declared fact path (the hint names the nearest).'),
    'PD211': CodeDoc(
        '`overrides` names an unknown rule',
        'merchant `rule generous cites S2.1 overrides s2_1_reopen when …`',
        'Name an existing rule (hint: `s2_1_reopen_by_agreement`).'),
    'PD212': CodeDoc(
        'baseline problem: wrong header, or `extends` names a baseline that is not loaded or installed',
        '`merchant policy "shop" version "1" extends "other-platform"`',
        'Fix the `extends` name, or pass the baseline file with `--baseline PATH`.'),
    'PD213': CodeDoc(
        'a required declaration is missing or malformed (time zone, `now`, capability)',
        'a platform policy without `now request.at`; `timezone "+25:00"`; a capability without `within 1 '
        'year after order.paid_at`; `expect extension eligible` where no capability is declared',
        'Add `now <timestamp fact>`, a fixed offset such as `"+08:00"`, and every part of the capability.'),
    'PD214': CodeDoc(
        'circular definition',
        '`let a = b` with `let b = a`; `scenario S3 = … and scenario S3.1`; `remedy accept_request > '
        'assist_return > accept_request`; `rule r overrides r`',
        'Define names in terms of earlier ones; remedy chains run from the strongest remedy to the weakest.'),
    'PD215': CodeDoc(
        'test uses an unknown facts block',
        '`test "…" given bsae { … }` (hint: did you mean `base`?)',
        'Name a block declared with `facts NAME { … }`.'),
    'PD216': CodeDoc(
        "an in-file test's facts are not facts `policydsl eval` accepts",
        'a `given` value `request.at: "2026-10-08T10:00:00"` (no UTC offset), or a test that leaves a fact out',
        'Give every fact, as the facts JSON would: the message names the PD4xx problem and the fact.'),
    'PD217': CodeDoc(
        "a condition is nested too deeply once its `let`s and scenarios are expanded",
        'a chain of 200 `let`s, each `let lN = order.b and not lM` of the one before',
        'Flatten the chain: combine several conditions in one `let` with `and`/`or`.'),
    # favourability (merchant vs baseline)
    'PD301': CodeDoc(
        'a merchant rule (or a merchant period joining a baseline period) is less favourable to the buyer '
        'than the baseline (with a counterexample)',
        '`rule s3_1_reopen_if_possible cites M1, S3.1 replaces s3_1_case2_verified_defect when … then '
        'should reopen_after_sales` (the baseline requires `must`)',
        "Give the buyer at least the baseline's modality wherever the rule applies; the note's "
        'counterexample facts reproduce the case with `policydsl eval`.'),
    'PD302': CodeDoc(
        'a merchant setting lowers a parameter the platform allows only to increase',
        '`set no_reason_days = 5 days`; `set no_reason_days for apparel = 3 days`; `set quality_days = 10 days`',
        'Use a value at least the platform default (7 days no-reason, 15 days quality).'),
    'PD303': CodeDoc(
        "a merchant capability claim differs from the platform's ceiling",
        '`capability extension: at most 5 times`',
        "Remove the declaration: N3's 3 extensions × 7 days within a year of payment is a platform capability."),
    'PD304': CodeDoc(
        'warning: a rule never fires',
        '`rule never cites S2.1 when request.reason == quality and request.reason == no_reason then …`',
        'Fix the condition, or delete the rule.'),
    'PD305': CodeDoc(
        'warning: a rule is fully shadowed and changes no decision',
        'a merchant rule giving `must reopen_after_sales` exactly where the baseline already does',
        'Delete the rule, or make it grant more than the baseline.'),
    'PD306': CodeDoc(
        'the checker cannot decide this policy (outside the decidable fragment)',
        'merchant `period express = order.failed_repairs hours after order.signed_at` (an exact period whose '
        'length is read from a fact)',
        'Give the period a fixed length or a parameter; every other construct of the language is decided exactly.'),
    'PD307': CodeDoc(
        'warning: a rule cites no clause',
        '`rule help when scenario S2.1 then should soothe_buyer` (its decisions would show `"cites": []`)',
        'Cite the clause the rule encodes: `rule help cites M1, S2.1 when …`.'),
    'PD308': CodeDoc(
        'warning: a clause is declared and nothing cites it',
        '`clause M1 "15-day returns"` in a file whose `set no_reason_days = 15 days` does not say `cites M1`',
        'Cite it from the rule, setting, period or capability that encodes it, or delete the clause.'),
    'PD309': CodeDoc(
        'warning: one effect of a rule never changes a decision',
        '`then must offer_small_compensation, may inform_resale_affected` where the baseline already gives '
        '`may inform_resale_affected` wherever the rule fires',
        'Drop the idle effect, or make it give the buyer more than the other rules do.'),
    'PD310': CodeDoc(
        'warning: `must_not` on a pro-buyer action',
        '`then must_not offer_small_compensation`',
        '`must_not` is for pro-merchant actions such as `refuse_outright`; in a merchant file forbidding '
        'a pro-buyer action is stricter than the baseline wherever the rule fires.'),
    # facts (request input)
    'PD401': CodeDoc(
        'facts are not valid JSON',
        '`{"order": {…},,}`; a number with 5,000 digits; a file that is not UTF-8',
        'Send one JSON object (or JSON Lines: one object a line).'),
    'PD402': CodeDoc(
        'a required fact is missing',
        '`request` without `"evidence"`',
        'Send every fact the policy declares (docs/semantics.md §1); nullable facts are sent as '
        '`null`; only facts declared `may be omitted` can be left out.'),
    'PD403': CodeDoc(
        'an unknown fact key',
        '`"order": {"colour": "red", …}`; `"request": {"evidense": …}`',
        'Remove the key, or fix its spelling (the hint names the nearest fact).'),
    'PD404': CodeDoc(
        'a fact has the wrong type',
        '`"settled": 1`; `"extensions_used": "3"` or `3.0`; `"paid_at": null`; `"negotiation": "open"`; '
        'a top-level array',
        'Booleans are `true`/`false`, counts are whole JSON numbers, groups are objects, the facts a JSON object.'),
    'PD405': CodeDoc(
        'an enum fact has an unknown value',
        '`"reason": "no-reason"`; `"category": "furniture"`',
        'Use one of the values the message lists.'),
    'PD406': CodeDoc(
        'a timestamp is not RFC 3339 with an offset',
        '`"paid_at": "2026-10-01T12:00:00"`; `"at": "2026-10-20"`; `"2026-02-30T10:00:00+08:00"`; a year '
        'outside 0001–9999 in China time',
        'Write a full timestamp with an offset: `2026-10-01T12:00:00+08:00` or `…Z`.'),
    'PD407': CodeDoc(
        'a count is negative',
        '`"extensions_used": -1`',
        'Counts are 0 or more.'),
    'PD408': CodeDoc(
        'facts contradict each other (e.g. signed before paid)',
        '`"signed_at"` before `"paid_at"`; `"request.at"` before `"paid_at"`',
        'Correct the timestamps: payment comes before signing and before the request.'),
    'PD409': CodeDoc(
        'a fact or group is given more than once (a duplicate JSON key)',
        '`{"order": {"category": "books", "category": "apparel", …}}`',
        'Give each fact once; JSON readers disagree on which copy counts, so policydsl does not pick one.'),
    # semantic diff and mutation testing
    'PD501': CodeDoc(
        'warning: a mutant of the policy survives its in-file tests',
        '`policydsl test --mutate shop.policy` where no test fails when `must reopen_after_sales` becomes `should`',
        'Add a `test` block whose expectation the change breaks (the message says what was changed), or drop '
        'the part no decision depends on.'),
    'PD502': CodeDoc(
        'two policy sets cannot be compared: they read different facts',
        '`policydsl diff old.policy new.policy` where `new.policy` requires a fact `order.region` that '
        '`old.policy` lacks',
        'Diff versions of one policy that declare the same facts, orderings, `now` and time zone; a fact only '
        'one of them declares must be `may be omitted`.'),
    'PD503': CodeDoc(
        'the diff cannot be decided (outside the decidable fragment)',
        '`policydsl diff` on a policy with `period express = order.failed_repairs hours after order.signed_at`',
        'Give the period a fixed length or a parameter; every other construct is decided exactly.'),
    'PD504': CodeDoc(
        '`diff --merchants` needs a platform policy as NEW',
        '`policydsl diff a.policy shop.policy --merchants policies/merchants` with a merchant `shop.policy`',
        'Give the new platform baseline as NEW.'),
    'PD505': CodeDoc(
        'the mutation score is below `--min-score`',
        '`policydsl test --mutate shop.policy --min-score 100` with one surviving mutant',
        'Add tests that kill the surviving mutants (PD501), or lower `--min-score`.'),
    'PD506': CodeDoc(
        'mutation testing needs the file\'s own tests to pass',
        '`policydsl test --mutate shop.policy` where a `test` block of `shop.policy` fails',
        'Run `policydsl test` and fix the failing tests first; a mutant is killed only by a test that passes '
        'on the file itself.'),
    # partial decisions and `why` (exact, solver-decided; the bounds of the search)
    'PD520': CodeDoc(
        'warning: a month or year period counts from an unknown timestamp, so month lengths are only bounded',
        '`policydsl eval after_sales.policy --facts f.json --partial` with `order.paid_at` left out (N3\'s '
        'window of 1 year after payment)',
        'Give the timestamp if you can; otherwise read the ask list\'s ranges for it as exact to within the '
        'difference of month lengths (every listed decision is still replayed through the evaluator).'),
    'PD521': CodeDoc(
        'warning: the search was cut short (too many possible decisions, condition alternatives or sets '
        'of facts to try)',
        '`eval --partial` with most facts left out, where more than 32 decisions are possible',
        'Give more of the facts; what is listed is exact, but the list is not complete.'),
    'PD522': CodeDoc(
        'unknown action or modality in `policydsl why` (or `PolicySet.why`)',
        '`policydsl why after_sales.policy --facts f.json --action accept --modality must`; '
        '`policy.why(facts, "accept_request", "always")`',
        'Name an action the policy set declares (the hint names the nearest) and one of must, should, may, '
        'must_not.'),
    'PD523': CodeDoc(
        'partial decisions or `why` cannot be decided for this policy set (outside the decidable fragment)',
        '`eval --partial` on a merchant set with `period express = order.failed_repairs hours after '
        'order.signed_at`',
        'Give the period a fixed length or a parameter, as for PD306.'),
}

#: Each code's one-line meaning.
ERROR_CODES: dict[str, str] = {code: doc.meaning for code, doc in CODES.items()}
