"""Safe YAML loading that remembers the line of every value, so errors can name it.

Refused outright, before anything is built: files over the size limit, anchors and aliases
(they serve no purpose in a rule file and are the way to a "billion laughs" bomb), duplicate
keys (PyYAML would silently keep the last one), and text that is not UTF-8.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yaml.constructor
import yaml.reader

from reform_rules.basics.errors import format_path  # noqa: F401 - rendered in one place (reform_rules.basics.errors)

MAX_BYTES = 1_000_000


@dataclass
class Document:
    """A loaded YAML or JSON document and the line on which each value starts."""

    file: str
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: tuple) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


class LoadError(Exception):
    def __init__(self, file: str, line: int, message: str):
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _build(node: yaml.Node, path: tuple, doc: Document, constructor: yaml.constructor.SafeConstructor) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadError(doc.file, key_node.start_mark.line + 1,
                                f"{format_path(path)}: a key must be a plain word")
            key = _scalar(key_node, constructor)
            key = key if isinstance(key, (str, int)) else str(key)
            if key in out:
                raise LoadError(doc.file, key_node.start_mark.line + 1,
                                f"{format_path(path + (key,))}: duplicate key '{key}'")
            out[key] = _build(value_node, path + (key,), doc, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, constructor) for i, item in enumerate(node.value)]
    return _scalar(node, constructor)


def _scalar(node: yaml.Node, constructor: yaml.constructor.SafeConstructor) -> Any:
    if node.tag == _TIMESTAMP:
        return node.value  # dates stay text; validation parses them and names the bad ones
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError):
        return node.value  # a scalar YAML cannot type (e.g. a bare '='): keep its text for validation


def read_text(path: Path, label: str, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path`` (at most ``max_bytes``); LoadError naming the file otherwise."""
    return _read(path, label, max_bytes)


def _read(path: Path, label: str, max_bytes: int) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(label, 1, f"cannot read the file ({exc.strerror})") from None
    if size > max_bytes:
        raise LoadError(label, 1, f"file is {size:,} bytes; the limit is {max_bytes:,} bytes")
    raw = b""
    try:
        raw = path.read_bytes()
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError(label, line, f"file is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise LoadError(label, 1, f"cannot read the file ({exc.strerror})") from None


MAX_DEPTH = 50


_QUOTE_OR_BRACKET = re.compile(r'\\.|["\[\]{}]')  # one token at a time: linear, whatever the line
_BLOCK_START = re.compile(r"[ ]*((?:[-?:][ \t]+)*)")


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> tuple[int, int]:
    """How deeply ``text`` (YAML or JSON) nests, counted cheaply before any parser sees it: brackets
    (``[``, ``{``; outside double-quoted strings), and in block YAML the indentation levels open on a
    line plus the run of ``- ``, ``? ``, ``: `` indicators that starts it (``- - - x`` is three levels).
    An over-estimate is possible (a bracket inside a single-quoted or plain string), never an
    under-estimate of bracket or indicator nesting. Returns ``(depth, line)`` of the first line that
    passes ``limit`` (or of the deepest line when none does)."""
    deepest, deepest_line = 0, 1
    indents: list[int] = []
    brackets = 0
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and brackets == 0:
            block = _block_depth(line, len(line) - len(stripped), indents)
        else:
            block = len(indents)
        inner, brackets = _bracket_depth(line, brackets)
        depth = block + inner
        if depth > deepest:
            deepest, deepest_line = depth, number
            if deepest > limit:
                break
    return deepest, deepest_line


def _block_depth(line: str, indent: int, indents: list[int]) -> int:
    """The block-YAML depth of a content line at ``indent``: the open indentation levels (``indents``,
    updated) plus its run of ``- ``, ``? ``, ``: `` indicators."""
    while indents and indents[-1] >= indent:
        indents.pop()
    indents.append(indent)
    start = _BLOCK_START.match(line)   # always matches (every part is optional)
    run = start.group(1) if start else ""
    return len(indents) + run.count("-") + run.count("?") + run.count(":")


def _bracket_depth(line: str, brackets: int) -> tuple[int, int]:
    """The deepest bracket nesting on ``line`` (starting ``brackets`` deep, outside double-quoted
    strings), and the brackets still open at its end."""
    inner = brackets
    quoted = False
    for m in _QUOTE_OR_BRACKET.finditer(line):
        ch = m.group()
        if len(ch) == 2:  # an escape in a double-quoted string; elsewhere a backslash is only a character
            if quoted:
                continue
            ch = ch[1]
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "[{":
            brackets += 1
            inner = max(inner, brackets)
        elif ch in "]}" and brackets:
            brackets -= 1
    return inner, brackets


def _check_depth(text: str, label: str) -> None:
    """Refuse absurd nesting (brackets, or block YAML's ``- - - …``) before the (slow, recursive) parser meets it."""
    depth, line = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise LoadError(label, line, f"nested too deeply (more than {MAX_DEPTH} levels)")


_FAILED = object()
_C_LOADER = getattr(yaml, "CSafeLoader", None)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def _compose(text: str, label: str, loader: type) -> yaml.Node | None:
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            assert event.start_mark is not None   # the parsers (Python and C) mark every event
            raise LoadError(label, event.start_mark.line + 1, "YAML anchors and aliases (&, *) are not allowed")
    return yaml.compose(text, Loader=loader)


def _compose_fast(text: str, label: str) -> Any:
    """Compose with libyaml (ten times faster) when it is there; ``_FAILED`` sends any file
    with a problem to the pure-Python parser, whose messages are the ones we explain."""
    if _C_LOADER is None or _NON_PRINTABLE.search(text):
        return _FAILED
    try:
        return _compose(text, label, _C_LOADER)
    except LoadError:
        raise
    except Exception:  # noqa: BLE001 - whatever libyaml objects to, the Python parser words it
        return _FAILED


def parse_text(text: str, label: str) -> Document:
    """Parse YAML (JSON is YAML) text into a Document with line marks."""
    doc = Document(file=label, data=None)
    bad = next((i for i, ch in enumerate(text) if ch == "\x00"), None)
    if bad is not None:
        raise LoadError(label, text.count("\n", 0, bad) + 1, "the file contains a NUL character (is it binary?)")
    _check_depth(text, label)
    node = _compose_fast(text, label)
    try:
        if node is _FAILED:
            node = _compose(text, label, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        if "\t" in text.splitlines()[line - 1] if line - 1 < len(text.splitlines()) else False:
            problem += " (a tab character; indent with spaces)"
        raise LoadError(label, line, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        raise LoadError(label, text.count("\n", 0, exc.position) + 1,
                        f"a character YAML does not allow ({exc.character!r})") from None
    except yaml.YAMLError as exc:
        raise LoadError(label, 1, f"YAML error: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise LoadError(label, 1, "document is nested too deeply") from None
    if node is None:
        return doc
    # A constructor remembers every node it built (constructed_objects): one per parse, dropped
    # with it, so nothing read — citizen data included — outlives the Document, and threads
    # (the web server) never share one.
    doc.data = _build(node, (), doc, yaml.constructor.SafeConstructor())
    return doc


def load_file(path: str | Path, label: str | None = None, max_bytes: int = MAX_BYTES) -> Document:
    """Load one YAML or JSON file safely; raises LoadError naming file and line."""
    path = Path(path)
    label = label or str(path)
    return parse_text(_read(path, label, max_bytes), label)


def dumps_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
