// Drive `policydsl lsp` with the JSON-RPC library vscode-languageclient is built on.
const cp = require("child_process");
const path = require("path");
const { pathToFileURL } = require("url");
const fs = require("fs");
const rpc = require("vscode-jsonrpc/node");
const [cmd, ...args] = process.argv.slice(2);
const file = path.resolve(args.pop());
const proc = cp.spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
conn.listen();
(async () => {
  const init = await conn.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  console.log("server:", init.serverInfo.name, "capabilities:", Object.keys(init.capabilities).sort().join(", "));
  conn.sendNotification("initialized", {});
  const uri = pathToFileURL(file).href;
  const published = new Promise((resolve) => conn.onNotification("textDocument/publishDiagnostics", resolve));
  conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "policy", version: 1, text: fs.readFileSync(file, "utf8") } });
  const diags = await published;
  console.log("diagnostics:", diags.diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code}`).join("; ") || "none");
  await conn.sendRequest("shutdown");
  conn.sendNotification("exit");
})();
