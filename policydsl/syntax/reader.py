"""Source text → AST: parse a file, and after a syntax error resume at the next declaration,
so that one run reports every error it can."""

from __future__ import annotations

import re

import attrs
from lark import Token, Tree
from lark.exceptions import UnexpectedInput, VisitError

from policydsl.syntax import ast
from policydsl.diagnostics import Diagnostic
from policydsl.source import Source, Span, point

from policydsl.gcpause import gc_paused
from policydsl.syntax.builder import AstBuilder, SyntaxProblem
from policydsl.syntax.errors import _RESUME, _STRING_OR_COMMENT, _syntax_diagnostic
from policydsl.syntax.grammar import MAX_SYNTAX_ERRORS, MAX_TREE_DEPTH, SHIPPED_BASELINE, parser

@attrs.frozen
class ParseResult:
    policy: ast.Policy | None
    diagnostics: tuple[Diagnostic, ...]


def parse(text: str, name: str = "<string>") -> ParseResult:
    """Parse one policy file. Never raises on bad input: problems come back as diagnostics."""
    with gc_paused():  # linear time on large files (see policydsl.gcpause)
        return _parse(text, name)


def _parse(text: str, name: str) -> ParseResult:
    source = Source(name, text)
    if not _COMMENT.sub("", text).strip():
        return ParseResult(None, (_empty_file(source),))
    diagnostics: list[Diagnostic] = []
    comments: list[ast.Comment] = []
    policy = _parse_part(source, text, "start", 0, diagnostics, comments)
    if diagnostics:
        return ParseResult(None, tuple(diagnostics))
    assert isinstance(policy, ast.Policy)
    return ParseResult(attrs.evolve(policy, comments=tuple(comments)), ())


_COMMENT = re.compile(r"#[^\n]*")


def _empty_file(source: Source) -> Diagnostic:
    """PD102 for a file with nothing but blanks and comments: say what a policy starts with."""
    what = "the file is empty" if not source.text.strip() else "the file holds only comments"
    return Diagnostic(code="PD102", message=f"{what}: a policy starts with a `platform` or `merchant` policy header",
                      span=point(source, 1, 1),
                      hint=f'write `platform policy "NAME" version "V"` for a platform baseline, or '
                           f'`merchant policy "NAME" version "V" extends "{SHIPPED_BASELINE}"` for a merchant policy')


def _parse_part(source: Source, text: str, start: str, line_offset: int,
                diagnostics: list[Diagnostic], comments: list[ast.Comment]) -> object | None:
    """Parse `text` (a suffix of the source beginning at line_offset+1); after a syntax error,
    resume at the next line that starts a declaration so that later errors are reported too."""
    while True:
        try:
            tree = parser().parse(text, start=start)
        except UnexpectedInput as exc:
            diagnostics.extend(_problems_before(source, text, start, line_offset, exc))
            diagnostics.append(_syntax_diagnostic(exc, source, line_offset, text))
            if len(diagnostics) >= MAX_SYNTAX_ERRORS:
                return None
            error_line = (exc.line or 1)
            if error_line > 1 and exc.column == 1 and _RESUME.match(text, _line_start(text, error_line)):
                error_line -= 1  # the unexpected token begins a declaration: resume right there
            resume = _next_declaration(text, error_line)
            if resume is None:
                return None
            skipped_lines = text[:resume].count("\n")
            line_offset += skipped_lines
            text = text[resume:]
            start = "declarations_only"
            continue
        break
    if line_offset:
        tree = _shift_lines(tree, line_offset)
    deep = _too_deep(tree, source)
    if deep:
        diagnostics.extend(deep)
        return None
    if start == "start":
        comments.extend(_comments(source, text))
    transformer = AstBuilder(source)
    try:
        result = transformer.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, SyntaxProblem):
            diagnostics.append(exc.orig_exc.diagnostic)
            return None
        raise
    diagnostics.extend(transformer.problems)
    return None if transformer.problems else result


def _problems_before(source: Source, text: str, start: str, line_offset: int,
                     exc: UnexpectedInput) -> list[Diagnostic]:
    """PD103/PD104 problems in the declarations before the one holding a syntax error.

    They are found while building the AST, which a failed parse never reaches, so the
    declarations that precede the failing one are parsed and built on their own."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if exc.line is not None and 1 <= exc.line <= len(line_starts):
        error_pos = line_starts[exc.line - 1]
    else:
        error_pos = len(text)
    last = None
    for match in _RESUME.finditer(text):
        if match.start() > error_pos:
            break
        last = match
    if last is None or not text[:last.start()].strip():
        return []
    try:
        tree = parser().parse(text[:last.start()], start=start)
    except UnexpectedInput:
        return []
    if line_offset:
        tree = _shift_lines(tree, line_offset)
    if _too_deep(tree, source):
        return []
    transformer = AstBuilder(source)
    try:
        transformer.transform(tree)
    except VisitError:
        return []
    return transformer.problems


def _line_start(text: str, line: int) -> int:
    """The offset at which 1-based `line` of `text` begins."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _next_declaration(text: str, after_line: int) -> int | None:
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if after_line >= len(line_starts):
        return None
    match = _RESUME.search(text, line_starts[after_line])
    return match.start() if match else None


def _shift_lines(tree: Tree, offset: int) -> Tree:
    for sub in tree.iter_subtrees():
        if not sub.meta.empty:
            sub.meta.line += offset
            sub.meta.end_line += offset
        for child in sub.children:
            if isinstance(child, Token) and child.line is not None:
                child.line += offset
                child.end_line += offset
    return tree




def _comments(source: Source, text: str) -> list[ast.Comment]:
    """Every `#` comment of a text that parsed (so every string in it is terminated).

    A scan rather than `Lark.lex`, which builds a new lexer (and, with interegular installed,
    checks every pair of terminals for collisions) on each call: most of the time of a parse."""
    out = []
    line, line_start, pos = 1, 0, 0
    for m in _STRING_OR_COMMENT.finditer(text):
        if not m.group().startswith("#"):
            continue
        newlines = text.count("\n", pos, m.start())
        if newlines:
            line += newlines
            line_start = text.rfind("\n", 0, m.start()) + 1
        pos = m.start()
        column = m.start() - line_start + 1
        out.append(ast.Comment(text=m.group(), span=Span(source, line, column, line, column + len(m.group()))))
    return out


def _too_deep(tree: Tree, source: Source) -> list[Diagnostic]:
    """PD107 for each declaration whose parse tree is deeper than MAX_TREE_DEPTH (conditions
    nested in parentheses, `not`, `and`/`or`), at the first node too deep. Every later stage
    walks conditions recursively, so the depth is bounded here, before any of them runs; the
    walk itself is iterative."""
    out = []
    for declaration in tree.children:
        if not isinstance(declaration, Tree):
            continue
        stack = [(declaration, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_TREE_DEPTH:
                meta = node.meta
                line, column = (meta.line, meta.column) if not meta.empty else (declaration.meta.line, 1)
                out.append(Diagnostic(
                    code="PD107", span=point(source, line, column),
                    message="conditions are nested too deeply here (parentheses, `not`, `and`/`or` more than "
                            f"about {MAX_TREE_DEPTH // 2} levels)",
                    hint="name parts of the condition with `let` and combine the names"))
                break
            stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return out
