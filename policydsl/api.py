"""The library facade: load policy files once, then decide many requests.

    >>> import policydsl
    >>> ps = policydsl.load("my-shop.policy")          # baseline found by name
    >>> ps.decide(facts).to_dict()["actions"]

Functions here return result values holding every diagnostic; only `load`
and `PolicySet.decide` raise (`PolicyDslError`, `FactsInputError`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

import attrs

from policydsl import ir
from policydsl.compile.loader import describe_origin, load_module, origin_of
from policydsl.diagnostics import Diagnostic, PolicyDslError
from policydsl.evaluate.decision import ActionEntry, Decision, decision_from_dict, dumps
from policydsl.evaluate.facts import FactsInputError, FlatFacts, load_json, validate
from policydsl.evaluate.interpreter import evaluate
from policydsl.semantics import Analysis, analyze
from policydsl.source import Source, point
from policydsl.syntax import ast, parse

if TYPE_CHECKING:
    from policydsl.check.partial import PartialResult
    from policydsl.check.whatif import WhyResult
    from policydsl.check.diff import DiffResult


# ---- reading and parsing files --------------------------------------------------------

@attrs.frozen
class Parsed:
    source: Source
    policy: ast.Policy | None
    diagnostics: tuple[Diagnostic, ...]


def read_source(path: str | Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read a UTF-8 text file; unreadable or non-UTF-8 input becomes a diagnostic."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Diagnostic(code="PD001", message=f"cannot read `{name}`: {exc.strerror or exc}",
                                 file=name)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        src = Source(name, data.decode("utf-8", errors="replace"))
        return None, [Diagnostic(code="PD105", message="the file is not UTF-8 text", span=point(src, line, col),
                                 hint="save the file as UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(name, text), []


def parse_file(path: str | Path) -> Parsed:
    source, diags = read_source(path)
    if source is None:
        return Parsed(Source(str(path), ""), None, tuple(diags))
    return parse_text(source.text, source.name)


def parse_text(text: str, name: str) -> Parsed:
    """Parse policy text held in memory (an editor's buffer) under the display name `name`."""
    source = Source(name, text)
    result = parse(source.text, source.name)
    return Parsed(result.policy.span.source if result.policy and result.policy.span else source,
                  result.policy, result.diagnostics)


# ---- finding the baseline ------------------------------------------------------------------

def shipped_platform_dir() -> Path:
    """Where the packaged platform policies live (inside the wheel, or the checkout's policies/)."""
    packaged = resources.files("policydsl").joinpath("policies").joinpath("platform")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "policies" / "platform"


@functools.cache
def _shipped_baselines() -> dict[str, Path]:
    out: dict[str, Path] = {}
    directory = shipped_platform_dir()
    for path in sorted(directory.glob("*.policy")):
        parsed = parse_file(path)
        if parsed.policy is not None and not parsed.policy.is_merchant:
            out.setdefault(parsed.policy.name, path)
    return out


def find_baseline(name: str) -> Path | None:
    """The shipped platform policy whose header names it `name`."""
    return _shipped_baselines().get(name)


# ---- analysing a policy set --------------------------------------------------------------------

@attrs.frozen
class LoadResult:
    """The outcome of loading one policy set: IR when well-formed, and every diagnostic."""

    analysis: Analysis | None
    diagnostics: tuple[Diagnostic, ...]
    platform: Parsed | None = None
    merchant: Parsed | None = None

    @property
    def policy_set(self) -> ir.PolicySet | None:
        return self.analysis.policy_set if self.analysis else None

    @property
    def ok(self) -> bool:
        return self.policy_set is not None and not any(d.is_error for d in self.diagnostics)


def load_set(paths: Sequence[str | Path], baseline: str | Path | None = None) -> LoadResult:
    """Parse and analyse one policy set: a platform file, a merchant file (its baseline found by
    name unless `baseline` is given), or a platform file plus a merchant file."""
    parsed = [parse_file(p) for p in paths]
    if any(p.diagnostics for p in parsed):
        return load_parsed(parsed)
    return load_parsed(parsed, parse_file(baseline) if baseline is not None else None)


def load_parsed(parsed: Sequence[Parsed], baseline: Parsed | None = None) -> LoadResult:
    """`load_set` on files already parsed (from disk or an editor's memory); `baseline`, when given,
    is the platform policy a merchant file is analysed against instead of the one found by name."""
    diags = [d for p in parsed for d in p.diagnostics]
    if diags:
        return LoadResult(None, tuple(diags))
    platforms = [p for p in parsed if not p.policy.is_merchant]
    merchants = [p for p in parsed if p.policy.is_merchant]
    if baseline is not None:
        base = baseline
        if base.diagnostics:
            return LoadResult(None, base.diagnostics)
        platforms.insert(0, base)
    if len(merchants) > 1:
        hint = "load each merchant file as its own policy set: one `policydsl.load()` per file"
        first = merchants[0].source.name
        return LoadResult(None, tuple(
            Diagnostic(code="PD002", message=f"a policy set holds one merchant policy, and `{first}` is one already",
                       span=m.policy.header.span, hint=hint, data={"problem": "several merchant policies"})
            for m in merchants[1:]))
    if baseline is not None and not merchants:
        given = ", ".join(f"`{p.source.name}`" for p in parsed)
        return LoadResult(None, (Diagnostic(
            code="PD002", message=f"a baseline was given for {given}, a platform policy: a baseline is the platform "
                                  f"policy a merchant file is checked against",
            span=parsed[0].policy.header.span if parsed else None,
            hint="give the baseline only with a merchant file (or leave it out)"),))
    if len(platforms) > 1:
        names = ", ".join(f"`{p.source.name}`" for p in platforms)
        return LoadResult(None, (Diagnostic(code="PD002", message=f"a policy set holds one platform policy; given: "
                                                                  f"{names}",
                                            hint="give one platform policy, one merchant policy (its baseline is "
                                                 "found by name), or one of each"),))
    if not platforms and not merchants:
        return LoadResult(None, (Diagnostic(code="PD002", message="no policy file was given",
                                            hint="give one platform policy, or a merchant policy"),))
    if not platforms:
        merchant = merchants[0]
        wanted = merchant.policy.header.extends
        path = find_baseline(wanted)
        if path is None:
            known = ", ".join(f"`{n}`" for n in _shipped_baselines()) or "none"
            return LoadResult(None, (Diagnostic(code="PD212", message=f"no baseline named `{wanted}` is installed",
                                                span=merchant.policy.header.span,
                                                hint=f"installed baselines: {known}; or give its file (`--baseline PATH`, "
                                                     f"`baseline=` in Python, the `baseline` setting in an editor)"),))
        base = parse_file(path)
        if base.diagnostics:
            return LoadResult(None, base.diagnostics)
        platforms = [base]
    platform = platforms[0]
    merchant = merchants[0] if merchants else None
    analysis = analyze(platform.policy, merchant.policy if merchant else None)
    return LoadResult(analysis, analysis.diagnostics, platform, merchant)


# ---- the two engines: the reference interpreter and the compiled module ---------------------------

ENGINES = ("compiled", "interpreter")


class Backend(Protocol):
    """One way of deciding: validate JSON-like facts, then decide flat facts."""

    name: str
    ir: ir.PolicySet

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts: ...

    def decision(self, flat: FlatFacts) -> Decision: ...

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]: ...

    def decision_text(self, flat: FlatFacts) -> str:
        """The decision's JSON text as `policydsl eval` prints it: `dumps(decision_dict(flat))`."""
        ...

    def decide_text_fast(self, data: Any, text: str | None = None) -> str | None:
        """`decision_text(validate(data))` for JSON-like facts of the usual shape that are valid,
        else None (without looking further: `validate` then diagnoses them). `text`: the JSON text
        `data` was read from by a decoder that keeps the last copy of a key given twice (None is
        returned when some key was). May raise on a bug in the engine; `decision_text` then
        reports it."""
        ...


class PolicyEvaluationError(RuntimeError):
    """An engine failed on facts that passed validation: a bug in policydsl. The compiled
    engine's message names the policy element whose code failed (from the module's line map)."""


class InterpreterBackend:
    """The reference evaluator (policydsl.evaluate.interpreter)."""

    name = "interpreter"

    def __init__(self, ps: ir.PolicySet) -> None:
        self.ir = ps

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts:
        return validate(data, self.ir, source)

    def decision(self, flat: FlatFacts) -> Decision:
        try:
            return evaluate(self.ir, flat)
        except Exception as exc:  # validated facts cannot cause this: a bug, reported like the compiled engine's
            raise PolicyEvaluationError(f"the reference interpreter failed: {type(exc).__name__}: {exc}") from exc

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]:
        return self.decision(flat).to_dict()

    def decision_text(self, flat: FlatFacts) -> str:
        return dumps(self.decision_dict(flat))

    def decide_text_fast(self, data: Any, text: str | None = None) -> str | None:
        return None


class CompiledBackend:
    """The policy set's generated module, compiled in memory (cached on disk)."""

    name = "compiled"

    def __init__(self, ps: ir.PolicySet) -> None:
        self.ir = ps
        self.module = load_module(ps)
        self._validate: Callable[[Any], FlatFacts] = self.module.validate
        self._facts_error: type[Exception] = self.module.FactsError
        self._decide: Callable[[FlatFacts], dict[str, Any]] = self.module.decide_validated
        self._decide_text: Callable[[FlatFacts], str] = self.module.decide_validated_json
        self.decide_text_fast: Callable[[Any, str | None], str | None] = self.module.decide_json_fast
        self._entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] = {}  # finite: one per rule tie

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]:
        try:
            return self._decide(flat)
        except Exception as exc:
            origin = origin_of(self.module, exc)
            where = describe_origin(self.ir, origin) if origin is not None else "the generated module"
            raise PolicyEvaluationError(f"compiled code for {where} failed: {type(exc).__name__}: {exc}") from exc

    def decision_text(self, flat: FlatFacts) -> str:
        try:
            return self._decide_text(flat)
        except Exception as exc:  # a bug: reported as decide_validated's (whose line map names the element)
            self.decision_dict(flat)
            raise PolicyEvaluationError(f"compiled code (decide_validated_json) failed: {type(exc).__name__}: {exc}"
                                        ) from exc

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts:
        try:
            return self._validate(data)
        except self._facts_error:  # diagnose again for spans and Diagnostic values
            return validate(data, self.ir, source)

    def decision(self, flat: FlatFacts) -> Decision:
        return decision_from_dict(self.decision_dict(flat), self._entries)


def make_backend(ps: ir.PolicySet, engine: str = "compiled", *, enforce_baseline: bool = True) -> Backend:
    """The backend for `engine`; without `enforce_baseline` the set is decided without G3."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine `{engine}`; expected one of {', '.join(ENGINES)}")
    if not enforce_baseline:
        ps = attrs.evolve(ps, baseline=None)
    return CompiledBackend(ps) if engine == "compiled" else InterpreterBackend(ps)


# ---- the public policy set ------------------------------------------------------------------------

class PolicySet:
    """A loaded, checked policy set. Load once; `decide` is cheap and thread-safe.

    `engine="compiled"` (the default) decides with the policy set's generated Python code,
    `engine="interpreter"` with the reference evaluator; both give the same decisions."""

    def __init__(self, policy_set: ir.PolicySet, *, enforce_baseline: bool = True, engine: str = "compiled") -> None:
        self.ir = policy_set
        self.enforce_baseline = enforce_baseline
        self.engine = engine
        self.backend: Backend = make_backend(policy_set, engine, enforce_baseline=enforce_baseline)

    @property
    def name(self) -> str:
        """The merchant policy's name for a merchant set, else the platform policy's."""
        return self.ir.merchant or self.ir.name

    def validate(self, facts: Mapping[str, Any], source: Source | None = None) -> dict[str, Any]:
        """Validate facts; raise FactsInputError listing every problem."""
        return validate(facts, self.ir, source)

    def decide(self, facts: Mapping[str, Any]) -> Decision:
        """Decide one request given as JSON-like data (docs/semantics.md §1)."""
        return self.backend.decision(self.backend.validate(facts))

    def _checked_ir(self) -> ir.PolicySet:
        return self.ir if self.enforce_baseline else attrs.evolve(self.ir, baseline=None)

    def partial(self, facts: Mapping[str, Any], source: Source | None = None) -> "PartialResult":
        """Decide a request with some facts unknown (left out, or null where the fact is not
        nullable): what is certain, what is possible and on which condition, and which unknown
        facts to ask for (docs/semantics.md §6). Raises FactsInputError for bad facts."""
        from policydsl.check.partial import partial

        return partial(self._checked_ir(), facts, source)

    def why(self, facts: Mapping[str, Any], action: str, modality: str | None = None, *, negate: bool = False,
            source: Source | None = None) -> "WhyResult":
        """The smallest changes to complete `facts` under which `action` gets `modality` (with
        `negate`: loses it; `modality=None` with `negate`: loses the modality it has now)
        (docs/semantics.md §7). Raises FactsInputError for bad facts, PolicyDslError (PD522) for an
        unknown action."""
        from policydsl.check.whatif import why

        ps = self._checked_ir()
        if modality is None and negate and action in {a.name for a in ps.actions}:
            modality = self.decide(facts).modality(action)
        return why(ps, facts, action, modality, negate, source)

    def diff(self, other: "PolicySet") -> "DiffResult":
        """Where this policy set (the old version) and `other` (the new) decide differently,
        exactly: each action and pair of modalities, with a counterexample facts object replayed
        through both (docs/semantics.md §8; `policydsl diff` on files). Raises PolicyDslError: PD502
        when the two read different facts."""
        from policydsl.check.diff import Incomparable, semantic_diff

        try:
            return semantic_diff(self._checked_ir(), other._checked_ir())
        except Incomparable as exc:
            raise PolicyDslError([Diagnostic(code="PD502", message=f"cannot compare the two policy sets: {exc}",
                                             hint="diff versions of one policy that read the same facts")]) from None

    def decide_json(self, text: str, name: str = "<facts>") -> Decision:
        """Decide one request given as facts JSON text, read strictly (PD4xx diagnostics name `name`)."""
        source = Source(name, text)
        return self.backend.decision(self.backend.validate(load_json(text, source), source))


def load(*paths: str | Path, baseline: str | Path | None = None, engine: str = "compiled") -> PolicySet:
    """Load and check a policy set; raise PolicyDslError with every diagnostic if it is not well-formed.
    `engine` is "compiled" (default) or "interpreter" (see PolicySet)."""
    result = load_set(paths, baseline)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        raise PolicyDslError(errors or [Diagnostic(code="PD002", message="no policy set was loaded")])
    return PolicySet(result.policy_set, engine=engine)


__all__ = ["ENGINES", "Backend", "CompiledBackend", "FactsInputError", "InterpreterBackend", "LoadResult",
           "PolicyEvaluationError", "PolicySet", "find_baseline", "load", "load_parsed", "load_set", "make_backend",
           "parse_file", "parse_text", "read_source"]
