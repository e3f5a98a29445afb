"""The language server end to end: `python -m policydsl lsp` started over stdio by a real LSP
client (pytest-lsp), documents opened and changed, and every feature asked for once or more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the lsp extra is part of the test extra")
import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from policydsl.api import shipped_platform_dir  # noqa: E402
from policydsl.syntax.formatter import format_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MERCHANTS = ROOT / "policies" / "merchants"
BASELINE = (shipped_platform_dir() / "after_sales.policy").resolve()
lsp = pytest.mark.asyncio(loop_scope="module")  # every async test shares the module's server

BROKEN = '''merchant policy "typo-shop" version "1" extends "wechat-channels-after-sales"

clause M1 "Quality claims are always heard"

rule r1 cites M1, S3
  when order.categry == fresh_food
  then must reopen_after_sale
'''


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "policydsl", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                               root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "policydsl", "lsp"]))
async def utf8_client(lsp_client: LanguageClient):
    """A client that counts columns in UTF-8 bytes (LSP 3.17 `general.positionEncodings`)."""
    capabilities = types.ClientCapabilities(general=types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8]))
    result = await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


def uri(name: str) -> str:
    return (ROOT / "virtual" / name).as_uri()


async def open_doc(client: LanguageClient, doc_uri: str, text: str) -> list[types.Diagnostic]:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=doc_uri, language_id="policy", version=1, text=text)))
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == doc_uri:
            return params.diagnostics


def at(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of the first `needle` in `text`, `offset` characters in (ASCII lines)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


@lsp
async def test_a_broken_file_gets_its_diagnostics_with_codes_and_did_you_mean_fixes(client: LanguageClient):
    diags = await open_doc(client, uri("broken.policy"), BROKEN)
    by_code = {d.code: d for d in diags}
    assert sorted(by_code) == ["PD201", "PD202"]
    pd201 = by_code["PD201"]
    assert pd201.severity == types.DiagnosticSeverity.Error and pd201.source == "policydsl"
    assert pd201.range == types.Range(start=types.Position(line=5, character=7), end=types.Position(line=5, character=20))
    assert "did you mean `order.category`?" in pd201.message
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri("broken.policy")), range=by_code["PD202"].range,
        context=types.CodeActionContext(diagnostics=[by_code["PD202"]])))
    assert [a.title for a in actions] == ["Replace with `reopen_after_sales`"]
    edit = actions[0].edit.changes[uri("broken.policy")][0]
    assert edit.new_text == "reopen_after_sales" and edit.range == by_code["PD202"].range


NON_ASCII = (BROKEN.replace("order.categry", "order.category").replace("reopen_after_sale\n", "reopen_after_sales\n")
             + 'test "退货 😀" given { order.categry: fresh_food } expect no accept_request\n')


@lsp
async def test_columns_count_utf16_code_units_by_default(client: LanguageClient):
    """`退货 😀` is 5 code points, 6 UTF-16 code units (the emoji is a surrogate pair), 13 UTF-8 bytes."""
    diags = await open_doc(client, uri("non_ascii.policy"), NON_ASCII)
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in diags] == [
        ("PD210", 7, 21, 34)]


@lsp
async def test_columns_count_utf8_bytes_when_the_client_asks(utf8_client: LanguageClient):
    diags = await open_doc(utf8_client, uri("non_ascii.policy"), NON_ASCII)
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in diags] == [
        ("PD210", 7, 27, 40)]
    hover = await utf8_client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri("non_ascii.policy")),
        position=types.Position(line=7, character=50)))
    assert hover.contents.value == "**fresh_food**: a value of enum `category` (the baseline)"
    assert (hover.range.start.character, hover.range.end.character) == (42, 52)


@lsp
async def test_a_syntax_error_and_its_repair_on_change(client: LanguageClient):
    doc = uri("syntax.policy")
    diags = await open_doc(client, doc, BROKEN.replace(" == ", " = "))
    assert [d.code for d in diags] and all(d.code.startswith("PD1") for d in diags)
    fixed = BROKEN.replace("order.categry", "order.category").replace("reopen_after_sale\n", "reopen_after_sales\n")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
    params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert params.uri == doc and params.version == 2
    assert [d for d in params.diagnostics if d.severity == types.DiagnosticSeverity.Error] == []


@lsp
async def test_a_stricter_merchant_file_gets_the_counterexample_as_related_information(client: LanguageClient):
    path = MERCHANTS / "rejected" / "weakened_must_to_should.policy"
    diags = await open_doc(client, path.as_uri(), path.read_text(encoding="utf-8"))
    assert [d.code for d in diags] == ["PD301"]
    related = diags[0].related_information
    example = [r for r in related if r.message.startswith("counterexample: {")]
    assert len(example) == 1 and '"evidence":"verified"' in example[0].message
    baseline = [r for r in related if r.location.uri == BASELINE.as_uri()]
    assert baseline and baseline[0].message.startswith("baseline: must reopen_after_sales")
    assert "rule s3_1_case2_verified_defect" in BASELINE.read_text(encoding="utf-8").split("\n")[
        baseline[0].location.range.start.line]


@lsp
async def test_a_lowered_parameter_is_raised_back_by_a_code_action(client: LanguageClient):
    path = MERCHANTS / "rejected" / "lowered_quality_period.policy"
    text = path.read_text(encoding="utf-8")
    diags = await open_doc(client, path.as_uri(), text)
    assert [d.code for d in diags] == ["PD302"]
    assert any(r.message.startswith("counterexample: {") for r in diags[0].related_information)
    param_line = BASELINE.read_text(encoding="utf-8").split("\n").index(
        "param quality_days = 15 days may only increase cites S3, G3")
    assert any(r.location.uri == BASELINE.as_uri() and r.location.range.start.line == param_line
               for r in diags[0].related_information)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=diags[0].range,
        context=types.CodeActionContext(diagnostics=diags)))
    assert [a.title for a in actions] == ["Raise `quality_days` to the baseline's 15 days"]
    edit = actions[0].edit.changes[path.as_uri()][0]
    assert edit.new_text == "15 days"
    assert edit.range.start == at(text, "10 days cites M1") and edit.range.end == at(text, " cites M1")


@lsp
async def test_a_valid_merchant_file_has_no_errors(client: LanguageClient):
    path = MERCHANTS / "fruit_shop.policy"
    diags = await open_doc(client, path.as_uri(), path.read_text(encoding="utf-8"))
    assert [d.code for d in diags if d.severity == types.DiagnosticSeverity.Error] == []


async def hover_text(client: LanguageClient, doc: str, pos: types.Position) -> str:
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc), position=pos))
    assert result is not None
    return result.contents.value


@lsp
async def test_hover(client: LanguageClient):
    path = MERCHANTS / "fruit_shop.policy"
    text = path.read_text(encoding="utf-8")
    await open_doc(client, path.as_uri(), text)
    clause = await hover_text(client, path.as_uri(), at(text, "S1.1, S1.2", 1))
    assert clause.startswith("**clause S1.1** (the baseline): Fresh goods, unused")
    action = await hover_text(client, path.as_uri(), at(text, "must offer_small_compensation", 7))
    assert "**action offer_small_compensation**: pro_buyer" in action
    assert "- `should` by rule `s1_small_compensation` (S1)" in action
    fact = await hover_text(client, path.as_uri(), at(text, "request.evidence == verified", 3))
    assert fact.startswith("**fact request.evidence**: `evidence_state`")
    lowered = MERCHANTS / "rejected" / "lowered_quality_period.policy"
    ltext = lowered.read_text(encoding="utf-8")
    await open_doc(client, lowered.as_uri(), ltext)
    param = await hover_text(client, lowered.as_uri(), at(ltext, "set quality_days", 5))
    assert param.startswith("**param quality_days** = 15 days (the baseline): may only increase")
    assert "this file sets:\n- `10 days`" in param


async def labels(client: LanguageClient, doc: str, text: str, line: str) -> list[str]:
    """Completion labels at the end of `line`, a line appended to `text`."""
    full = text + line
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=10),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=full)]))
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=doc),
        position=types.Position(line=full.count("\n"), character=len(line))))
    return [i.label for i in result.items]


@lsp
async def test_completion_fits_the_place(client: LanguageClient):
    doc = uri("completion.policy")
    text = BROKEN.replace("order.categry", "order.category").replace("reopen_after_sale\n", "reopen_after_sales\n")
    await open_doc(client, doc, text)
    assert "rule" in await labels(client, doc, text, "")
    assert "reopen_after_sales" in await labels(client, doc, text, "  then must reo")
    assert await labels(client, doc, text, "  then must reopen_after_sales, ") == ["must", "should", "may", "must_not"]
    cites = await labels(client, doc, text, "rule r2 cites M1, ")
    assert {"M1", "S3.1", "G4b"} <= set(cites) and "order.category" not in cites
    values = await labels(client, doc, text, "  when order.category == ")
    assert values[:3] == ["fresh_food", "green_plants", "flowers"]
    condition = await labels(client, doc, text, "  when ")
    assert {"order.category", "request.product_used", "within", "scenario"} <= set(condition)
    assert "quality_days" in await labels(client, doc, text, "set ")
    assert "s3_1_case2_verified_defect" in await labels(client, doc, text, "rule r3 cites M1 replaces ")


@lsp
async def test_definition_jumps_into_the_baseline(client: LanguageClient):
    path = MERCHANTS / "rejected" / "weakened_must_to_should.policy"
    text = path.read_text(encoding="utf-8")
    await open_doc(client, path.as_uri(), text)
    found = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        position=at(text, "replaces s3_1_case2_verified_defect", 12)))
    assert len(found) == 1 and found[0].uri == BASELINE.as_uri()
    line = BASELINE.read_text(encoding="utf-8").split("\n")[found[0].range.start.line]
    assert line.startswith("rule s3_1_case2_verified_defect ") and found[0].range.start.character == 5


@lsp
async def test_references_in_the_file_and_the_baseline(client: LanguageClient):
    path = MERCHANTS / "fruit_shop.policy"
    text = path.read_text(encoding="utf-8")
    await open_doc(client, path.as_uri(), text)
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=at(text, "spoilage_guarantee"),
        context=types.ReferenceContext(include_declaration=True)))
    assert [(r.uri, r.range.start.line) for r in found] == [
        (path.as_uri(), text.count("\n", 0, text.index("spoilage_guarantee"))),
        (path.as_uri(), text.count("\n", 0, text.index("within spoilage_guarantee")))]
    baseline_refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=at(text, "must reopen_after_sales", 6),
        context=types.ReferenceContext(include_declaration=False)))
    uris = {r.uri for r in baseline_refs}
    assert uris == {path.as_uri(), BASELINE.as_uri()}
    assert sum(r.uri == BASELINE.as_uri() for r in baseline_refs) > 5


@lsp
async def test_the_outline_lists_the_declarations(client: LanguageClient):
    path = MERCHANTS / "fruit_shop.policy"
    await open_doc(client, path.as_uri(), path.read_text(encoding="utf-8"))
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    names = [(s.name, s.detail) for s in symbols]
    assert names[:6] == [("M1", "clause"), ("M2", "clause"), ("M3", "clause"), ("spoilage_guarantee", "period"),
                         ("spoiled_on_arrival", "let"), ("s1_compensation_first", "rule")]
    tests = sum(line.startswith("test ") for line in path.read_text(encoding="utf-8").splitlines())
    assert tests >= 8 and sum(detail == "test" for _, detail in names) == tests


@lsp
async def test_no_hover_inside_a_comment(client: LanguageClient):
    path = MERCHANTS / "fruit_shop.policy"
    text = path.read_text(encoding="utf-8")
    await open_doc(client, path.as_uri(), text)
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        position=at(text, "`should offer_small_compensation` becomes", 9))) is None


@lsp
async def test_formatting_is_policydsl_fmt(client: LanguageClient):
    doc = uri("messy.policy")
    messy = BROKEN.replace("order.categry", "order.category").replace("reopen_after_sale\n", "reopen_after_sales\n")
    messy = messy.replace("clause M1 ", "clause    M1   ").replace("\n  then", "   then")
    await open_doc(client, doc, messy)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=doc),
        options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    expected = format_source(messy, "messy.policy").output
    assert expected != messy and len(edits) == 1 and edits[0].new_text == expected
    assert edits[0].range.start == types.Position(line=0, character=0)
    assert edits[0].range.end == types.Position(line=messy.count("\n"), character=0)


def test_the_lsp_command_without_pygls_says_how_to_install_it():
    """A fresh interpreter in which `import pygls` fails: one line on stderr, exit 2."""
    code = ("import sys; sys.modules['pygls'] = None; sys.argv = ['policydsl', 'lsp']; "
            "from policydsl.cli import run; run()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("policydsl lsp: the language server needs pygls and lsprotocol; install them with "
                           "`pip install 'policydsl[lsp]'`\n")


def test_a_baseline_given_by_path_is_cached_until_it_changes(tmp_path):
    """`initializationOptions: {"baseline": PATH}`: merchant files are checked against PATH, parsed
    once, and parsed again when the file changes on disk."""
    import os

    from policydsl.lsp.documents import Baselines, analyse

    merchant = MERCHANTS / "rejected" / "lowered_quality_period.policy"
    text = merchant.read_text(encoding="utf-8")
    base = tmp_path / "base.policy"
    base.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    baselines = Baselines(base)
    first = analyse(text, merchant.as_uri(), str(merchant), baselines)
    assert [d.code for d in first.diagnostics] == ["PD302"]
    assert analyse(text, merchant.as_uri(), str(merchant), baselines).baseline is first.baseline  # cached
    base.write_text(base.read_text(encoding="utf-8").replace("param quality_days = 15 days", "param quality_days = 7 days"),
                    encoding="utf-8")
    os.utime(base, ns=(base.stat().st_atime_ns, base.stat().st_mtime_ns + 1_000_000_000))
    again = analyse(text, merchant.as_uri(), str(merchant), baselines)
    assert again.baseline is not first.baseline and [d.code for d in again.diagnostics if d.is_error] == []
