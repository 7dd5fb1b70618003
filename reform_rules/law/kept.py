"""A validated rule set kept on disk, so that the next command on the same rules starts without reading them.

Reading and validating the rule files (YAML, the schemas, the cross-checks) is about half of a command's start
(0.6 of 1.2 s for ``reform query``). The RuleSet it produces depends only on the bytes of the rule files and on
the code that reads them, so it is kept under a key made of both (SHA-256): an edited rule file, or another
version of the program, is another key and is read and validated anew (its errors reported as always).
Only what read without an error is kept.

Where: ``$REFORM_CACHE_DIR``, else ``$XDG_CACHE_HOME/reform-rules``, else ``~/.cache/reform-rules``;
``REFORM_CACHE_DIR=off`` keeps nothing. The entries are Python pickles, which can run code when loaded, so a
directory is used only when it is the user's own and no one else may write in it (as ``~/.cache`` is); any
other directory, and any entry that cannot be read back, is passed over and the rules are read as usual.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Callable

from reform_rules.law.model import RuleSet

KEPT = 16   # rule sets kept (the newest); a rule editor's every save is a new one
_CODE = Path(__file__).resolve().parent.parent   # the package: the code that reads the rules is part of the key
_code_digest: bytes | None = None


def cache_dir() -> Path | None:
    """The directory rule sets are kept in (None: keep nothing)."""
    chosen = os.environ.get("REFORM_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    home = Path(xdg) if xdg else Path.home() / ".cache"
    return home / "reform-rules"


def _private(directory: Path) -> bool:
    """The directory is the user's own and only theirs to write in (a pickle found there is one they made)."""
    try:
        st = directory.stat()
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else st.st_uid
    return stat.S_ISDIR(st.st_mode) and st.st_uid == owner and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _code() -> bytes:
    """A digest of the package's own files that shape a RuleSet (the readers, the schemas, the model)."""
    global _code_digest
    if _code_digest is None:
        h = hashlib.sha256()
        for sub in ("basics", "law", "law/schemas"):
            for path in sorted((_CODE / sub).glob("*.*")):
                if path.suffix in (".py", ".json"):
                    h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _code_digest = h.digest()
    return _code_digest


def _key(files: list[Path]) -> str:
    h = hashlib.sha256(_code())
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def kept_or_read(directory: Path, files: list[Path], read: Callable[[Path], RuleSet]) -> RuleSet:
    """The rule set of ``directory`` (its rule files ``files``) as kept, or ``read(directory)`` and kept."""
    where = cache_dir()
    try:
        key = _key(files) if where is not None else None
    except OSError:   # a file that cannot be read: the reader says so
        key = None
    if where is None or key is None:
        return read(directory)
    entry = where / f"{key}.ruleset"
    if _private(where):
        try:
            with open(entry, "rb") as fh:
                ruleset = pickle.load(fh)
            if isinstance(ruleset, RuleSet):
                ruleset.directory = str(directory)
                return ruleset
        except Exception:   # missing, half-written, from another Python: read the rules instead
            pass
    ruleset = read(directory)
    _keep(where, entry, ruleset)
    return ruleset


def _keep(where: Path, entry: Path, ruleset: RuleSet) -> None:
    """Write the entry (whole or not at all) and drop all but the newest ``KEPT``; never an error."""
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where):
            return
        fd, tmp = tempfile.mkstemp(dir=where, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(ruleset, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(where.glob("*.ruleset"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
    except Exception:   # a full disk, a read-only home, an unpicklable value: only slower next time
        pass
