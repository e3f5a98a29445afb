"""How long the language server takes from a `didChange` to its `publishDiagnostics`, over stdio,
on the shipped files: the platform baseline and each merchant example (valid and rejected).

    python bench/bench_lsp.py              # the table (20 changes a file)
    python bench/bench_lsp.py --changes 50

The server is started as editors start it (`python -m policydsl lsp`) and driven by a small
synchronous JSON-RPC client written here, so the times include the protocol, the JSON of the
diagnostics and the pipe: each change replaces the whole text (alternately with and without a
trailing comment line) and the clock stops at the publishDiagnostics carrying that version.
The last column is the same analysis in this process, without the protocol (median of 5).
The analysis behind each publish is `policydsl check`'s: parse, names, types, lints and, for a
merchant file, the exact favourability check (for the baseline: rules that never fire or matter).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILES = ([ROOT / "policies" / "platform" / "after_sales.policy"]
         + sorted((ROOT / "policies" / "merchants").glob("*.policy"))
         + sorted((ROOT / "policies" / "merchants" / "rejected").glob("*.policy")))


class Client:
    """A minimal LSP client over a subprocess's pipes."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        self.next_id = 0

    def send(self, method: str, params: Any, request: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def receive(self) -> dict[str, Any]:
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def request(self, method: str, params: Any) -> Any:
        wanted = self.send(method, params, request=True)
        while True:
            message = self.receive()
            if message.get("id") == wanted and "method" not in message:
                return message.get("result")

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        while True:
            message = self.receive()
            params = message.get("params") or {}
            if message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri \
                    and params.get("version") == version:
                return params["diagnostics"]

    def close(self) -> None:
        self.request("shutdown", None)
        self.send("exit", None)
        self.proc.wait(timeout=30)


#: (file, a typo) rows: the same file with an unknown action, as while one types; analysis stops
#: after names and types, so the exact check does not run
TYPO = (ROOT / "policies" / "merchants" / "fruit_shop.policy", ("must reopen_after_sales", "must reopen_after_sale"))


def bench_file(client: Client, path: Path, changes: int, typo: tuple[str, str] | None = None
               ) -> tuple[list[float], int]:
    uri = path.resolve().as_uri() if typo is None else path.resolve().with_suffix(".typo.policy").as_uri()
    text = path.read_text(encoding="utf-8")
    if typo is not None:
        text = text.replace(*typo)
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "policy", "version": 1,
                                                          "text": text}})
    first = client.diagnostics(uri, 1)
    times = []
    for version in range(2, changes + 2):
        new = text + ("# edited\n" if version % 2 else "")
        t0 = time.perf_counter()
        client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": new}]})
        client.diagnostics(uri, version)
        times.append(time.perf_counter() - t0)
    client.send("textDocument/didClose", {"textDocument": {"uri": uri}})
    return times, len(first)


def in_process(path: Path, repeat: int = 5) -> float:
    """Median ms of the server's analysis alone (no protocol): policydsl.lsp.documents.analyse
    and the conversion to LSP diagnostics, the baseline already cached."""
    from policydsl.lsp.convert import lsp_diagnostics
    from policydsl.lsp.documents import Baselines, analyse
    from policydsl.lsp.symbols import Index

    baselines = Baselines()
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        analysis = analyse(text, uri, str(path.resolve()), baselines)
        lsp_diagnostics(analysis, Index.build(analysis.policy, analysis.baseline.policy if analysis.baseline else None))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="didChange notifications per file")
    args = parser.parse_args()
    client = Client([sys.executable, "-m", "policydsl", "lsp"])
    t0 = time.perf_counter()
    client.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {}})
    client.send("initialized", {})
    print(f"server start + initialize: {(time.perf_counter() - t0) * 1000:.0f} ms")
    print(f"{'file':<58} {'lines':>5} {'diags':>5} {'median ms':>9} {'p90 ms':>7} {'max ms':>7} "
          f"{'in-process':>10}")
    for path in FILES:
        times, count = bench_file(client, path, args.changes)
        ms = sorted(t * 1000 for t in times)
        lines = path.read_text(encoding="utf-8").count("\n")
        p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
        print(f"{str(path.relative_to(ROOT)):<58} {lines:>5} {count:>5} {statistics.median(ms):>9.1f} "
              f"{p90:>7.1f} {ms[-1]:>7.1f} {in_process(path):>10.1f}")
    times, count = bench_file(client, TYPO[0], args.changes, TYPO[1])
    ms = sorted(t * 1000 for t in times)
    print(f"{str(TYPO[0].relative_to(ROOT)) + ' with a typo':<58} {'':>5} {count:>5} {statistics.median(ms):>9.1f} "
          f"{ms[min(len(ms) - 1, int(0.9 * len(ms)))]:>7.1f} {ms[-1]:>7.1f}")
    burst(client, ROOT / "policies" / "merchants" / "bookshop.policy")
    client.close()


def burst(client: Client, path: Path, n: int = 10) -> None:
    """`n` changes sent at once (fast typing): which versions get a publish, and when the last."""
    uri = path.resolve().as_uri()
    text = path.read_text(encoding="utf-8")
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "policy", "version": 1,
                                                          "text": text}})
    client.diagnostics(uri, 1)
    t0 = time.perf_counter()
    for version in range(2, n + 2):
        client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text + "#" * version + "\n"}]})
    published = []
    while not published or published[-1] != n + 1:
        message = client.receive()
        params = message.get("params") or {}
        if message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri:
            published.append(params["version"])
    print(f"burst of {n} changes to {path.relative_to(ROOT)}: published versions {published}, "
          f"the last {(time.perf_counter() - t0) * 1000:.0f} ms after the first change")


if __name__ == "__main__":
    main()
