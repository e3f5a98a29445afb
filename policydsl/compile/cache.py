"""The on-disk cache of compiled policy modules.

Code objects are cached keyed by the SHA-256 of the IR's JSON form, the policydsl version,
the source of the compile and IR stages and the Python version: $POLICYDSL_CACHE_DIR (empty: no
cache), else ~/.cache/policydsl. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import sys
import tempfile
import types
from pathlib import Path

from policydsl import ir
from policydsl._version import __version__
from policydsl.compile import codegen
from policydsl.ir import g3, jsonform


def cache_dir() -> Path | None:
    """$POLICYDSL_CACHE_DIR (an empty value turns the cache off), else ~/.cache/policydsl."""
    configured = os.environ.get("POLICYDSL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    return Path.home() / ".cache" / "policydsl"


def generator_sources() -> list[Path]:
    """Every source file generated code depends on: the compile stage (the generator and the
    runtime it copies), the IR stage it reads (normalisation, G3, the nodes) and the leaves they
    import (source positions, the version)."""
    package = Path(codegen.__file__).parent.parent
    return sorted({*Path(codegen.__file__).parent.glob("*.py"), *Path(g3.__file__).parent.glob("*.py"),
                   package / "source.py", package / "_version.py"})


@functools.cache
def _generator_fingerprint() -> str:
    """Changes whenever the code generator, the runtime it copies or the IR code it uses changes."""
    digest = hashlib.sha256()
    for path in generator_sources():
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(ps: ir.PolicySet) -> str:
    """SHA-256 of the IR's JSON, the policydsl version, the generator and the Python version."""
    digest = hashlib.sha256()
    for part in (jsonform.to_json(ps), __version__, _generator_fingerprint(), sys.implementation.cache_tag or "",
                 sys.version):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def read_cache(key: str) -> types.CodeType | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        code = marshal.loads((directory / f"{key}.code").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def write_cache(key: str, code: types.CodeType) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, directory / f"{key}.code")
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs a compile next time
