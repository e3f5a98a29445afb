// The VS Code client of the policydsl language server: starts `policydsl lsp` on stdio for
// .policy files. Highlighting comes from syntaxes/policy.tmLanguage.json; everything else
// (diagnostics, hover, completion, definition, references, formatting, quick fixes) from the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("policydsl");
  const serverOptions = {
    command: config.get("server.command", "policydsl"),
    args: config.get("server.args", ["lsp"]),
    transport: TransportKind.stdio,
  };
  const baseline = config.get("baseline", null);
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "policy" },
      { scheme: "untitled", language: "policy" },
    ],
    initializationOptions: baseline ? { baseline } : {},
  };
  client = new LanguageClient("policydsl", "policydsl language server", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `policydsl: could not start \`${serverOptions.command} lsp\` (${error.message}); ` +
        "install it with `pip install 'policydsl[lsp]'` or set policydsl.server.command"
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
