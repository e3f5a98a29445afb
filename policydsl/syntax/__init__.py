"""Stage 1, syntax: source text → AST.

    grammar.py    loads grammar/policy.lark and builds the LALR parser
    builder.py    parse trees → AST nodes (ast.py) with source spans
    errors.py     Lark's exceptions → diagnostics written for policy authors
    reader.py     `parse`: one file, resuming after errors to report them all
    formatter.py  the canonical layout (`policydsl fmt`)
"""

from policydsl.syntax.grammar import MAX_INT_DIGITS, SHIPPED_BASELINE, grammar_text, parser
from policydsl.syntax.reader import ParseResult, parse

__all__ = ["MAX_INT_DIGITS", "SHIPPED_BASELINE", "ParseResult", "grammar_text", "parse", "parser"]
