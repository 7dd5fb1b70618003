"""Draw a timeline as SVG: one lane per answer field, one labelled box per period of equal value."""
from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from .explain import LABELS, PROGRAMME_STATUS, SANCTIONABLE, kind_label
from .timeline import Timeline

LANE_TITLES = {
    "da": {"phase": "Fase", "target_group": "Målgruppe", "programmes": "Borgerens forløb",
           "obligations": "Kontaktkrav", "sanctionable": "Sanktioner"},
    "en": {"phase": "Phase", "target_group": "Target group", "programmes": "Citizen's programmes",
           "obligations": "Contact requirements", "sanctionable": "Sanctions"},
}
PALETTE = ["#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#e0e7ff", "#ccfbf1", "#fee2e2", "#f3e8ff"]
WIDTH, LEFT, LANE_H, TOP = 1100, 170, 46, 56


def _label(field: str, answer: dict, names: dict[str, str], lang: str, open_rules: frozenset = frozenset()) -> str:
    w = LABELS[lang]
    value = answer.get(field)
    if field == "phase":
        return names.get(value, value) if value else ""
    if field == "target_group":
        return names.get(value["id"], value["id"]) if value else w["undetermined"]
    if field == "programmes":
        own = [p for p in value or [] if p["status"] in ("grandfathered", "undetermined")]
        return ", ".join(f"{names.get(p['id'], p['id'])}: {PROGRAMME_STATUS[p['status']][lang]}" for p in own) or w["none"]
    if field == "obligations":
        if not value:
            pending = any(q["rule"] in open_rules for q in answer.get("open_questions", []))
            return w["undetermined"] if pending else w["none"]
        parts = []
        for o in value:
            count = "?" if o["count"] is None else str(o["count"])
            kind = kind_label(o["kind"], o["count"], lang)
            parts.append(f"{count}× {kind}" + (f" ({w['waived']})" if o["waived"] else ""))
        return "; ".join(parts)
    if field == "sanctionable":
        return SANCTIONABLE[value][lang] if value else w["undetermined"]
    return str(value)


def render_svg(tl: Timeline, names: dict[str, str], lang: str = "da", open_rules: frozenset = frozenset(),
               mark: date | None = None) -> str:
    """A self-contained SVG picture of ``tl``; ``open_rules`` are rules whose obligations are open questions.

    ``mark``: a date to draw as a line across the lanes (the date a caseworker asked about).
    """
    lanes = list(LANE_TITLES[lang])
    span = (tl.end - tl.start).days + 1
    height = TOP + LANE_H * len(lanes) + 40

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - 10) * (day - tl.start).days / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
           f'<title>{escape(tl.citizen)}</title>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(tl.citizen)}: '
           f'{tl.start.isoformat()} – {tl.end.isoformat()}</text>']
    for year in range(tl.start.year + 1, tl.end.year + 1):
        xx = x(date(year, 1, 1))
        out.append(f'<line x1="{xx:.1f}" y1="{TOP - 8}" x2="{xx:.1f}" y2="{height - 30}" stroke="#999" stroke-dasharray="3,3"/>')
        out.append(f'<text x="{xx + 2:.1f}" y="{TOP - 12}" fill="#555">{year}</text>')
    for li, field in enumerate(lanes):
        y = TOP + li * LANE_H
        out.append(f'<g class="lane" data-lane="{field}">')
        out.append(f'<text x="10" y="{y + LANE_H / 2 + 4:.1f}" font-weight="bold">{escape(LANE_TITLES[lang][field])}</text>')
        # merge neighbouring periods that show the same value in this lane
        boxes: list[list] = []
        for p in tl.periods:
            label = _label(field, p.answer, names, lang, open_rules)
            if boxes and boxes[-1][2] == label:
                boxes[-1][1] = p.end
            else:
                boxes.append([p.start, p.end, label])
        for bi, (s, e, label) in enumerate(boxes):
            x0, x1 = x(s), x(e) + (WIDTH - LEFT - 10) / span
            colour = PALETTE[(bi + li) % len(PALETTE)]
            out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1):.1f}" height="{LANE_H - 8}" '
                       f'fill="{colour}" stroke="#555" stroke-width="0.6"><title>{escape(label)} '
                       f'({s.isoformat()} – {e.isoformat()})</title></rect>')
            chars = int((x1 - x0) / 6.2)
            if chars >= 3:
                text = label if len(label) <= chars else label[: max(chars - 1, 1)] + "…"
                out.append(f'<text x="{x0 + 3:.1f}" y="{y + LANE_H / 2 + 4:.1f}">{escape(text)}</text>')
        out.append("</g>")
    if mark is not None and tl.start <= mark <= tl.end:
        xm = x(mark) + (WIDTH - LEFT - 10) / span / 2
        out.append(f'<g class="mark"><line x1="{xm:.1f}" y1="{TOP - 8}" x2="{xm:.1f}" y2="{height - 30}" '
                   f'stroke="#a4262c" stroke-width="2"/><text x="{xm + 3:.1f}" y="{height - 18}" fill="#a4262c" '
                   f'font-weight="bold">{mark.isoformat()}</text></g>')
    out.append(f'<text x="10" y="{height - 10}" fill="#555">'
               f'{"Perioder" if lang == "da" else "Periods"}: {len(tl.periods)}</text>')
    out.append("</svg>")
    return "\n".join(out)
