"""The source registry for readers: each source by the name a person cites it by, and the seed copies.

A *seed* is a document copied into ``rules/seeds/`` (the registry's ``file``, or the file name of its
``where``). Its copy is served by the web app at ``/sources/<id>`` (the text, with line numbers and
the lines the rules quote marked) and ``/sources/<id>.txt`` (the copy as it is); the registry's
``where`` of a seed is never shown. Any other source links to its public ``url`` when it has one.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reform_rules.answer.explain import source_href, source_name, source_url
from reform_rules.law.model import Citation, RuleSet, Source

MAX_SEED_BYTES = 5_000_000
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|»([^«]+)«')


def seed_path(rules_dir: Path, src: Source) -> Path | None:
    """The copy of a seed in ``rules_dir/seeds/`` (None for other sources, or when it is missing)."""
    if src.kind != "seed":
        return None
    name = Path(getattr(src, "file", None) or src.where or "").name
    if not name:
        return None
    folder = (rules_dir / "seeds").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def normalise_text(text: str) -> tuple[str, list[int]]:
    """Text casefolded with runs of white space as one space, and the line of each character."""
    out: list[str] = []
    lines: list[int] = []
    line, space = 1, False
    for ch in text:
        if ch == "\n":
            line += 1
        if ch.isspace():
            space = True
            continue
        if space and out:
            out.append(" ")
            lines.append(line)
        space = False
        out.append(ch.casefold())
        lines.append(line)
    return "".join(out), lines


def phrases(citation: Citation) -> list[str]:
    """The quoted phrases of a citation (its ``quote``, and text in quotes in ``at``), long enough to find."""
    quote = getattr(citation, "quote", None)
    found: list[str] = [quote] if quote else []
    for m in _QUOTED.finditer(citation.at or ""):
        found.append(next(g for g in m.groups() if g))
    out = []
    for p in found:
        part = max(re.split(r"…|\.\.\.", p), key=len).strip()
        if len(part) >= 8:
            out.append(part)
    return out


class SeedTexts:
    """The seed copies of a rule set, read once: their text, and the lines a citation quotes."""

    def __init__(self, ruleset: RuleSet, rules_dir: Path):
        self.ruleset = ruleset
        self.rules_dir = rules_dir
        self._text: dict[str, str | None] = {}
        self._norm: dict[str, tuple[str, list[int]] | None] = {}

    def path(self, source_id: str) -> Path | None:
        src = self.ruleset.sources.get(source_id)
        return seed_path(self.rules_dir, src) if src else None

    def text(self, source_id: str) -> str | None:
        if source_id not in self._text:
            path = self.path(source_id)
            text = None
            if path is not None and path.stat().st_size <= MAX_SEED_BYTES:
                text = path.read_text("utf-8", errors="replace")
            self._text[source_id] = text
        return self._text[source_id]

    def lines_of(self, citation: Citation) -> list[int]:
        """The lines of the seed where the citation's quoted phrases are (empty when none is found)."""
        if citation.ref not in self._norm:
            text = self.text(citation.ref)
            self._norm[citation.ref] = normalise_text(text) if text is not None else None
        found = self._norm[citation.ref]
        if not found:
            return []
        norm, lines = found
        out = set()
        for phrase in phrases(citation):
            needle, _ = normalise_text(phrase)
            i = norm.find(needle)
            if i >= 0:
                out.add(lines[i])
        return sorted(out)

    def quoted_lines(self, source_id: str) -> list[int]:
        """Every line of a seed that some rule quotes."""
        out: set[int] = set()
        for rule in self.ruleset.rules:
            for c in rule.source:
                if c.ref == source_id:
                    out.update(self.lines_of(c))
        return sorted(out)

    def anchor(self, citation: Citation) -> str:
        """``#L12`` for the first line a seed citation quotes, else ``""``."""
        lines = self.lines_of(citation) if self.path(citation.ref) else []
        return f"#L{lines[0]}" if lines else ""


def source_json(src: Source, texts: SeedTexts | None = None, cited_by: list[str] | None = None) -> dict[str, Any]:
    """One source for readers: name, title, date, status, public address, the app's page; never a file path."""
    has_text = bool(texts and texts.path(src.id))
    return {"id": src.id, "name": source_name(src), "title": src.title, "label": getattr(src, "label", None),
            "kind": src.kind, "status": src.status, "date": src.date.isoformat() if src.date else None,
            "url": source_url(src), "href": source_href(src) if (src.kind != "seed" or has_text) else source_url(src),
            "page": f"/sources/{src.id}", "text": f"/sources/{src.id}.txt" if has_text else None,
            "reference": None if src.kind == "seed" else src.where, "note": src.note,
            "cited_by": list(cited_by or [])}


def cited_by(ruleset: RuleSet) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        for c in rule.source:
            users = out.setdefault(c.ref, [])
            if rule.id not in users:
                users.append(rule.id)
    return out


__all__ = ["SeedTexts", "cited_by", "phrases", "seed_path", "source_json"]
