"""Compilation: IR → a standalone Python module (codegen), the runtime every module carries,
and the loader that compiles it in a sandbox (with an on-disk cache)."""
