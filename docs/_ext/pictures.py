"""SVG pictures drawn from data the docs extension derives from the rules: no drawing library needed.

``timeline_svg`` draws the phases as bands along the years and, under each date on which rules
change, what that date brings; ``mapping_svg`` draws the old target groups on the left, the new
ones on the right and a line for every way a citizen goes from one to the other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
INK = "#263238"
MUTED = "#607d8b"
PHASE_COLOURS = ("#cfd8dc", "#ffe0b2", "#ffcc80", "#a5d6a7", "#90caf9", "#ce93d8")
TARGET_COLOURS = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#e53935", "#3949ab")


def text_width(text: str, size: float) -> float:
    """A fair estimate of the width of ``text`` in a sans-serif font of ``size`` px."""
    return len(text) * size * 0.58


def _pieces(word: str, width: float, size: float) -> list[str]:
    """A word too long for a line, split after its hyphens (rule ids are long hyphenated words)."""
    if text_width(word, size) <= width or "-" not in word:
        return [word]
    parts = re.split(r"(?<=-)", word)
    out, cur = [], ""
    for part in parts:
        if cur and text_width(cur + part, size) > width:
            out.append(cur)
            cur = part
        else:
            cur += part
    return out + [cur] if cur else out


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to ``width`` px; over-long hyphenated words break after a hyphen."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for piece in _pieces(word, width, size):
            glue = "" if line.endswith("-") and line and piece is not word else " "
            candidate = f"{line}{glue}{piece}" if line else piece
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
    if line:
        lines.append(line)
    return lines or [""]


def _t(x: float, y: float, text: str, size: float = 11, weight: str = "normal", anchor: str = "start",
       fill: str = INK, family: str = FONT, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{family}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}" fill="{fill}"{extra}>{escape(text)}</text>')


def _svg(width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="title desc">',
        f'<title id="title">{escape(title)}</title>',
        f'<desc id="desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        *body,
        "</svg>",
        "",
    ])


# --- the timeline ---------------------------------------------------------------------------------
@dataclass
class Phase:
    id: str
    name: str
    start: date | None
    end: date | None          # last day, inclusive


@dataclass
class DateBox:
    day: date
    heading: str                                   # e.g. "phase-1a begins"
    groups: list[tuple[str, list[str]]]           # (subject title, item labels)
    ending: list[tuple[str, list[str]]] = field(default_factory=list)
    ending_note: str = ""


def timeline_svg(phases: list[Phase], boxes: list[DateBox], axis_start: date, axis_end: date) -> str:
    n = max(len(boxes), 1)
    margin, gap = 30.0, 12.0
    width = max(1320.0, n * 210 + 2 * margin)
    x0, x1 = margin + 10, width - margin - 10
    span = (axis_end - axis_start).days

    def x(day: date) -> float:
        day = min(max(day, axis_start), axis_end)
        return x0 + (x1 - x0) * (day - axis_start).days / span

    body: list[str] = [
        _t(margin, 28, f"The reform, {axis_start.year}–{axis_end.year - 1}: phases and what each date brings",
           16, "bold"),
        _t(margin, 46, "Generated from rules/: the bands are the phase rules; under each date, the rules that start "
                       "on it, by subject.", 11, fill=MUTED),
    ]
    band_top, band_h, axis_y = 62.0, 40.0, 112.0
    for i, p in enumerate(phases):
        a = x(p.start) if p.start else x0
        b = x(date.fromordinal(p.end.toordinal() + 1)) if p.end else x1
        colour = PHASE_COLOURS[i % len(PHASE_COLOURS)]
        body.append(f'<rect x="{a:.1f}" y="{band_top}" width="{max(b - a, 1):.1f}" height="{band_h}" '
                    f'fill="{colour}" stroke="#ffffff" stroke-width="2"/>')
        if not p.start:
            body.append(f'<polygon points="{a - 8:.1f},{band_top + band_h / 2} {a:.1f},{band_top} {a:.1f},'
                        f'{band_top + band_h}" fill="{colour}"/>')
        if not p.end:
            body.append(f'<polygon points="{b + 8:.1f},{band_top + band_h / 2} {b:.1f},{band_top} {b:.1f},'
                        f'{band_top + band_h}" fill="{colour}"/>')
        mid = (a + b) / 2
        body.append(_t(mid, band_top + 17, p.id, 12, "bold", "middle"))
        label = p.name if text_width(p.name, 10) < (b - a) - 8 else ""
        if label:
            body.append(_t(mid, band_top + 32, label, 10, anchor="middle", fill=INK))
    body.append(f'<line x1="{x0}" y1="{axis_y}" x2="{x1}" y2="{axis_y}" stroke="{INK}" stroke-width="1.5"/>')
    for year in range(axis_start.year, axis_end.year + 1):
        d = date(year, 1, 1)
        if axis_start <= d <= axis_end:
            body.append(f'<line x1="{x(d):.1f}" y1="{axis_y - 4}" x2="{x(d):.1f}" y2="{axis_y + 4}" stroke="{INK}"/>')
            body.append(_t(x(d), axis_y + 16, str(year), 10, anchor="middle", fill=MUTED))
    box_top = axis_y + 56
    bw = (width - 2 * margin - (n - 1) * gap) / n
    heights = []
    box_svgs = []
    for i, box in enumerate(boxes):
        bx = margin + i * (bw + gap)
        cx = bx + bw / 2
        px = x(box.day)
        body.append(f'<circle cx="{px:.1f}" cy="{axis_y}" r="4" fill="{INK}"/>')
        body.append(f'<polyline points="{px:.1f},{axis_y} {px:.1f},{axis_y + 26} {cx:.1f},{box_top - 10} '
                    f'{cx:.1f},{box_top}" fill="none" stroke="{MUTED}" stroke-width="1" stroke-dasharray="3,2"/>')
        y = box_top + 20
        inner: list[str] = [_t(bx + 10, y, box.day.isoformat(), 13, "bold")]
        if box.heading:
            y += 15
            inner.append(_t(bx + 10, y, box.heading, 10.5, "bold", fill="#bf360c"))
        for title, items in box.groups:
            y += 5
            for line in wrap(title, bw - 20, 10.5):
                y += 12.5
                inner.append(_t(bx + 10, y, line, 10.5, "bold"))
            for item in items:
                for j, line in enumerate(wrap(item, bw - 30, 9.5)):
                    y += 12.5
                    inner.append(_t(bx + (12 if j == 0 else 20), y, ("• " if j == 0 else "") + line, 9.5))
        if box.ending:
            y += 17
            inner.append(_t(bx + 10, y, box.ending_note, 10.5, "bold", fill=MUTED))
            for title, items in box.ending:
                y += 14
                inner.append(_t(bx + 10, y, title, 10, "bold", fill=MUTED))
                for item in items:
                    for j, line in enumerate(wrap(item, bw - 30, 9.5)):
                        y += 12.5
                        inner.append(_t(bx + (12 if j == 0 else 20), y, ("• " if j == 0 else "") + line, 9.5,
                                        fill=MUTED))
        elif box.ending_note:
            y += 16
            inner.append(_t(bx + 10, y, box.ending_note, 9.5, fill=MUTED))
        h = y - box_top + 12
        heights.append(h)
        box_svgs.append((bx, h, inner))
    for bx, h, inner in box_svgs:
        body.append(f'<rect x="{bx:.1f}" y="{box_top}" width="{bw:.1f}" height="{h:.1f}" rx="6" fill="#fafafa" '
                    f'stroke="#b0bec5"/>')
        body.extend(inner)
    height = box_top + max(heights or [0]) + 20
    return _svg(width, height, "The reform timeline",
                "Phases of the reform as bands along the years, and the rules that start on each date.", body)


# --- the 13 → 5 mapping ---------------------------------------------------------------------------
@dataclass
class Node:
    key: str
    title: str
    subtitle: str
    dashed: bool = False


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""


def mapping_svg(left: list[Node], right: list[Node], edges: list[Edge], left_heading: str,
                right_heading: str) -> str:
    width = 1120.0
    lx, lw = 24.0, 400.0
    rx, rw = 700.0, 396.0
    row, top = 46.0, 92.0
    height_l = len(left) * row
    body: list[str] = [
        _t(lx, 28, "From the 13 target groups to the 5 new ones", 16, "bold"),
        _t(lx, 46, "Generated: citizens built from each old rule's conditions, answered by the rules on both days.",
           11, fill=MUTED),
        _t(lx, 76, left_heading, 12, "bold"),
        _t(rx, 76, right_heading, 12, "bold"),
    ]
    ly = {n.key: top + i * row + row / 2 - 4 for i, n in enumerate(left)}
    rrow = max(row, height_l / max(len(right), 1))
    ry = {n.key: top + i * rrow + rrow / 2 - 4 for i, n in enumerate(right)}
    colour = {n.key: TARGET_COLOURS[i % len(TARGET_COLOURS)] for i, n in enumerate(right)}
    by_source: dict[str, list[Edge]] = {}
    for e in edges:
        if e.source in ly and e.target in ry:
            by_source.setdefault(e.source, []).append(e)
    for source, out in by_source.items():
        out.sort(key=lambda e: ry[e.target])
        for k, e in enumerate(out):
            offset = (k - (len(out) - 1) / 2) * 12
            y1, y2 = ly[source] + offset, ry[e.target]
            a, b = lx + lw, rx
            c = colour[e.target]
            body.append(f'<path d="M{a:.1f},{y1:.1f} C{a + 130:.1f},{y1:.1f} {b - 130:.1f},{y2:.1f} {b:.1f},'
                        f'{y2:.1f}" fill="none" stroke="{c}" stroke-width="2.2" stroke-opacity="0.85"/>')
            body.append(f'<circle cx="{b:.1f}" cy="{y2:.1f}" r="3" fill="{c}"/>')
            if e.label and len(out) > 1:
                above = k < (len(out) - 1) / 2 or (len(out) == 1)
                body.append(_t(a + 10, y1 - 4 if above else y1 + 11, e.label, 8.5, fill=c))
    for n in left:
        y = ly[n.key]
        body.append(f'<rect x="{lx}" y="{y - 17:.1f}" width="{lw}" height="36" rx="5" fill="#eceff1" stroke="#b0bec5"/>')
        body.append(_t(lx + 8, y - 2, n.title, 11, "bold"))
        body.append(_t(lx + 8, y + 12, n.subtitle, 9.5, family=MONO, fill=MUTED))
    for n in right:
        y = ry[n.key]
        c = colour[n.key]
        dash = ' stroke-dasharray="5,3"' if n.dashed else ""
        body.append(f'<rect x="{rx}" y="{y - 17:.1f}" width="{rw}" height="36" rx="5" fill="#ffffff" stroke="{c}" '
                    f'stroke-width="2"{dash}/>')
        body.append(_t(rx + 8, y - 2, n.title, 11, "bold", fill=c))
        sub = n.subtitle
        while text_width(sub, 9.5) > rw - 16 and len(sub) > 4:
            sub = sub[:-2].rstrip(" ,") + "…" if not sub.endswith("…") else sub[:-3].rstrip(" ,") + "…"
        body.append(_t(rx + 8, y + 12, sub, 9.5, family=MONO, fill=MUTED))
    height = top + max(height_l, len(right) * rrow) + 20
    return _svg(width, height, "The 13 target groups and the 5 new ones",
                "Each line goes from an old target group to the group its citizens land in on the first days "
                "of the new structure.", body)


# --- the engine's architecture ----------------------------------------------------------------------
PIPELINE = (
    ("law", "rule files, vocabulary, citizen records"),
    ("logic", "Datalog, situations, the proof"),
    ("answer", "RuleBase.evaluate → Answer, reasons"),
    ("caseload", "batch, formats, impact"),
    ("cli · web", "reform …, the page, the API"),
)


def architecture_svg() -> str:
    """The package's stages as one pipeline, with where rule files and citizen files come in."""
    bw, bh, gap, x0, y0 = 128.0, 54.0, 22.0, 20.0, 96.0
    width = x0 * 2 + len(PIPELINE) * bw + (len(PIPELINE) - 1) * gap
    body = [_t(x0, 28, "reform_rules: one direction, from rule files to answers", 16, "bold"),
            _t(x0, 46, "Each box is a subpackage of reform_rules/ (basics/ serves all); a stage imports only the "
                       "stages before it (import-linter checks it).", 11, fill=MUTED),
            '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
            f'<path d="M0,0 L8,4 L0,8 z" fill="{INK}"/></marker></defs>']
    centres = {}
    for i, (name, what) in enumerate(PIPELINE):
        x = x0 + i * (bw + gap)
        centres[name] = x + bw / 2
        fill = "#e3f2fd" if name == "logic" else "#eceff1"
        body.append(f'<rect x="{x:.1f}" y="{y0}" width="{bw}" height="{bh}" rx="6" fill="{fill}" stroke="#90a4ae"/>')
        body.append(_t(x + bw / 2, y0 + 21, name, 13, "bold", "middle", family=MONO))
        for j, line in enumerate(wrap(what, bw - 12, 9.5)):
            body.append(_t(x + bw / 2, y0 + 36 + j * 11, line, 9.5, anchor="middle", fill=MUTED))
        if i:
            body.append(f'<line x1="{x - gap + 2:.1f}" y1="{y0 + bh / 2}" x2="{x - 3:.1f}" y2="{y0 + bh / 2}" '
                        f'stroke="{INK}" stroke-width="1.5" marker-end="url(#arrow)"/>')
    top = y0 - 30
    body.append(_t(centres["law"], top, "rules/*.yaml", 11, "bold", "middle", family=MONO))
    body.append(f'<line x1="{centres["law"]:.1f}" y1="{top + 5}" x2="{centres["law"]:.1f}" y2="{y0 - 3}" '
                f'stroke="{INK}" stroke-width="1.5" marker-end="url(#arrow)"/>')
    cy = y0 + bh + 56
    cx = centres["answer"]
    body.append(f'<rect x="{cx - bw / 2:.1f}" y="{cy - 18}" width="{bw}" height="36" rx="6" fill="#fff8e1" '
                f'stroke="#ffb300"/>')
    body.append(_t(cx, cy - 2, "citizen", 12, "bold", "middle", family=MONO))
    body.append(_t(cx, cy + 11, "facts on date D", 9.5, anchor="middle", fill=MUTED))
    body.append(f'<line x1="{cx:.1f}" y1="{cy - 18}" x2="{cx:.1f}" y2="{y0 + bh + 3}" stroke="{INK}" '
                f'stroke-width="1.5" marker-end="url(#arrow)"/>')
    body.append(_t(cx - bw / 2 - 8, cy + 4, "citizen file (YAML/JSON) →", 11, "bold", "end", family=MONO))
    height = cy + 40
    return _svg(width, height, "The engine's architecture",
                "law, logic, answer, caseload, and the command line and web page, in one pipeline.", body)
