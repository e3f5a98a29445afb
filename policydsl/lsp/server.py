"""The language server: pygls wiring of documents, diagnostics, hover, completion, navigation,
code actions and formatting. Run it with `policydsl lsp` (stdio)."""

from __future__ import annotations

import asyncio

import attrs
from lsprotocol import types

try:  # pygls 2
    from pygls.lsp.server import LanguageServer
except ImportError:  # pragma: no cover - pygls 1.x
    from pygls.server import LanguageServer  # type: ignore[no-redef]
from pygls import uris

from policydsl._version import __version__
from policydsl.lsp import actions, completion, hover, navigation
from policydsl.lsp.convert import lsp_diagnostics, set_position_encoding
from policydsl.lsp.documents import Analysis, Baselines, analyse
from policydsl.lsp.symbols import Index


@attrs.define
class Document:
    """What the server knows of one open document: its last analysis, the index of the last
    version that parsed (so hover and completion work while a line is half typed), and the
    diagnostics last published for it (code actions read their fixes)."""

    analysis: Analysis
    index: Index
    published: list[types.Diagnostic]


class PolicyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("policydsl", __version__)
        self.baselines = Baselines()
        self.documents: dict[str, Document] = {}
        self.latest: dict[str, int] = {}  # the newest version announced by didChange, per document

    def refresh(self, uri: str, version: int | None = None) -> None:
        """Analyse the document's current text and publish its diagnostics."""
        doc = self.workspace.get_text_document(uri)
        name = uris.to_fs_path(uri) or uri
        analysis = analyse(doc.source, uri, name, self.baselines)
        old = self.documents.get(uri)
        if analysis.policy is not None or old is None:
            baseline = analysis.baseline.policy if analysis.baseline is not None else None
            index = Index.build(analysis.policy, baseline)
        else:
            index = old.index
        published = lsp_diagnostics(analysis, index)
        self.documents[uri] = Document(analysis, index, published)
        self.publish(uri, published, version if version is not None else doc.version)

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        params = types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        if hasattr(self, "text_document_publish_diagnostics"):
            self.text_document_publish_diagnostics(params)
        else:  # pragma: no cover - pygls 1.x before the generated methods
            self.publish_diagnostics(uri, diagnostics, version)

    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source


#: seconds a change waits for a newer one before it is analysed (the reader needs a moment per message)
DEBOUNCE = 0.02

server = PolicyServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PolicyServer, params: types.InitializeParams) -> None:
    """Use the position encoding pygls agreed with the client. `initializationOptions: {"baseline": PATH}` checks merchant files against PATH instead of
    the installed baseline their `extends` names (as `policydsl check --baseline`)."""
    set_position_encoding(str(getattr(ls.workspace, "position_encoding", None) or "utf-16"))
    options = params.initialization_options
    if isinstance(options, dict) and options.get("baseline"):
        ls.baselines = Baselines(options["baseline"])


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PolicyServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: PolicyServer, params: types.DidChangeTextDocumentParams) -> None:
    """Analyse the newest text only: a change waits DEBOUNCE seconds, and gives way when a newer
    one has arrived meanwhile, so typing during a check does not pile up a backlog of checks
    (bench/bench_lsp.py: ten changes sent at once, one publish)."""
    uri, version = params.text_document.uri, params.text_document.version
    ls.latest[uri] = version
    await asyncio.sleep(DEBOUNCE)
    if ls.latest.get(uri) == version:
        ls.refresh(uri, version)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PolicyServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PolicyServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)
    ls.publish(params.text_document.uri, [], None)


def _document(ls: PolicyServer, uri: str) -> Document | None:
    if uri not in ls.documents:
        ls.refresh(uri)
    return ls.documents.get(uri)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: PolicyServer, params: types.HoverParams) -> types.Hover | None:
    doc = _document(ls, params.text_document.uri)
    return hover.hover(ls.text_of(params.text_document.uri), doc.index, params.position) if doc else None


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" ", "{", ","]))
def on_completion(ls: PolicyServer, params: types.CompletionParams) -> types.CompletionList:
    doc = _document(ls, params.text_document.uri)
    items = completion.completions(ls.text_of(params.text_document.uri), doc.index, params.position) if doc else []
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: PolicyServer, params: types.DefinitionParams) -> list[types.Location]:
    doc = _document(ls, params.text_document.uri)
    return navigation.definition(ls.text_of(params.text_document.uri), doc.index, params.position) if doc else []


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: PolicyServer, params: types.ReferenceParams) -> list[types.Location]:
    doc = _document(ls, params.text_document.uri)
    if doc is None:
        return []
    return navigation.references(ls.text_of(params.text_document.uri), doc.index, params.position,
                                 params.context.include_declaration)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: PolicyServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    doc = _document(ls, params.text_document.uri)
    return navigation.outline(doc.index.document) if doc else []


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: PolicyServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    uri = params.text_document.uri
    return actions.formatting(ls.text_of(uri), uris.to_fs_path(uri) or uri)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def on_code_action(ls: PolicyServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    doc = _document(ls, params.text_document.uri)
    return actions.code_actions(params.text_document.uri, doc.published, params.range) if doc else []


def main() -> None:
    """Serve on stdin/stdout until the client says `exit`."""
    server.start_io()
