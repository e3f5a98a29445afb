"""The VS Code support in editors/vscode: its TextMate grammar knows every keyword of
grammar/policy.lark, and covers every character of the shipped policies with a scope."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
TM = json.loads((VSCODE / "syntaxes" / "policy.tmLanguage.json").read_text(encoding="utf-8"))
LARK = (ROOT / "grammar" / "policy.lark").read_text(encoding="utf-8")
SHIPPED = sorted((ROOT / "policies").rglob("*.policy"))


def python_regex(oniguruma: str) -> re.Pattern[str]:
    """An Oniguruma regex of the grammar as a Python one: named groups `(?<n>` become `(?P<n>`,
    `\\h` (a hex digit) a class; the grammar uses nothing else Python lacks."""
    translated = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", oniguruma).replace(r"\h", "[0-9A-Fa-f]")
    return re.compile(translated)


def lark_keywords() -> set[str]:
    """The string literals of the grammar that are words, and the words its keyword-like regex
    terminals (MODALITY, POLARITY, UNIT, …) alternate between."""
    words = set(re.findall(r'"([a-z_]+)"', LARK))
    for alternatives in re.findall(r"^[A-Z]+(?:\.\d+)?: /\(([a-z_|]+)\)\\b/", LARK, flags=re.M):
        words.update(alternatives.split("|"))
    return words


def keyword_patterns() -> list[re.Pattern[str]]:
    return [python_regex(p["match"]) for p in TM["repository"]["keywords"]["patterns"]]


def test_the_grammar_json_is_a_textmate_grammar_for_policy_files():
    assert TM["scopeName"] == "source.policy" and TM["fileTypes"] == ["policy"]
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    language = package["contributes"]["languages"][0]
    assert language["id"] == "policy" and language["extensions"] == [".policy"]
    grammar = package["contributes"]["grammars"][0]
    assert grammar["scopeName"] == TM["scopeName"] and (VSCODE / grammar["path"]).resolve() == \
        (VSCODE / "syntaxes" / "policy.tmLanguage.json").resolve()
    config = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert {"open": "\"", "close": "\"", "notIn": ["string", "comment"]} in config["autoClosingPairs"]
    assert ["{", "}"] in config["brackets"] and ["(", ")"] in config["brackets"]
    assert package["main"] == "./extension.js" and (VSCODE / "extension.js").is_file()
    assert "vscode-languageclient" in package["dependencies"]
    assert "node_modules/" in (VSCODE / ".gitignore").read_text(encoding="utf-8").split()  # never vendored
    for ref in re.findall(r'"include": "#([\w-]+)"', json.dumps(TM)):
        assert ref in TM["repository"], ref
    for regex in re.findall(r'"(?:match|begin|end)": ("(?:[^"\\]|\\.)*")', json.dumps(TM)):
        python_regex(json.loads(regex))  # every regex compiles


def test_the_keywords_are_the_grammars():
    assert {"rule", "cites", "replaces", "favourable", "omitted", "must_not", "pro_buyer", "hours", "eligible",
            "true"} <= lark_keywords()


@pytest.mark.parametrize("word", sorted(lark_keywords()))
def test_every_keyword_is_matched_whole_and_only_as_a_word(word):
    patterns = keyword_patterns()
    assert any((m := p.match(word)) and m.group(0) == word for p in patterns), word
    assert not any((m := p.match(word + "_x")) and m.group(0) == word for p in patterns), word
    assert not any(p.search("x_" + word) for p in patterns), word


# ---- a small TextMate tokenizer: single-line `match` rules and `begin`/`end` rules ------------------

def rules(patterns: list[dict]) -> list[dict]:
    """Patterns with `include`s of the repository expanded, in order."""
    out: list[dict] = []
    for p in patterns:
        if "include" in p:
            target = TM["repository"][p["include"].lstrip("#")]
            out.extend(rules(target["patterns"]) if "patterns" in target and "begin" not in target else [target])
        elif "patterns" in p and "begin" not in p and "match" not in p:
            out.extend(rules(p["patterns"]))
        else:
            out.append(p)
    return out


TOP = rules(TM["patterns"])


def earliest(line: str, pos: int, candidates: list[tuple[re.Pattern[str], object]]):
    """As TextMate: the match that starts first; of those starting together, the first rule's."""
    best = None
    for regex, rule in candidates:
        m = regex.search(line, pos)
        if m is not None and (best is None or m.start() < best[0].start()):
            best = (m, rule)
    return best


def uncovered(line: str) -> str:
    """The characters of `line` no rule of the grammar gives a scope (whitespace aside)."""
    top = [(python_regex(r.get("match") or r["begin"]), r) for r in TOP]
    gaps = []
    pos = 0
    while pos < len(line):
        found = earliest(line, pos, top)
        if found is None:
            gaps.append(line[pos:])
            break
        m, rule = found
        gaps.append(line[pos:m.start()])
        pos = m.end()
        if "begin" in rule:  # inside: the end, or inner rules, until the line ends
            inner = [(python_regex(rule["end"]), "end")] + [(python_regex(r["match"]), r) for r in rules(rule["patterns"])]
            while pos < len(line):
                hit = earliest(line, pos, inner)
                if hit is None:
                    pos = len(line)
                    break
                pos = max(hit[0].end(), pos + 1)
                if hit[1] == "end":
                    break
        elif m.end() == m.start():
            pos += 1
    return "".join(gaps).strip()


def test_the_tokenizer_sees_gaps():
    assert uncovered("rule r cites S1 when a.b == 3 days then must x  # ok") == ""
    assert uncovered('clause M1 "a \\"quoted\\" title"') == ""
    assert uncovered("rule r ; x") == ";"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_line_tokenises_without_gaps(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [(n, line) for n, line in enumerate(lines, 1) if uncovered(line)] == []
