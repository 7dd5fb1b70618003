"""Draw a timeline as SVG: one lane per answer field, one labelled box per period of equal value."""
from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from reform_rules.answer.explain import LABELS, kind_label
from reform_rules.answer.timeline import Timeline
from reform_rules.basics.i18n import translator
from reform_rules.law.answer_fields import AnswerField, AnswerShape

PALETTE = ["#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#e0e7ff", "#ccfbf1", "#fee2e2", "#f3e8ff"]
WIDTH, LEFT, LANE_H, TOP = 1100, 170, 46, 56


def lanes(shape: AnswerShape) -> list[AnswerField]:
    """The answer fields a timeline draws, one lane each."""
    return [f for f in shape.fields if f.in_lanes]


def lane_label(f: AnswerField, answer: dict, names: dict[str, str], lang: str, open_rules: frozenset = frozenset(),
           shape: AnswerShape | None = None) -> str:
    w = LABELS[lang]
    value = answer.get(f.id)
    if f.kind == "id":
        if isinstance(value, dict):
            value = value.get("id")
        return names.get(value, value) if value else (w["undetermined"] if f.carry else "")
    if f.kind == "status":
        own = [p for p in value or [] if not f.lane or p["status"] in f.lane]
        return ", ".join(f"{names.get(p['id'], p['id'])}: {f.value_label(p['status'], lang)}" for p in own) or w["none"]
    if f.kind == "obligation":
        if not value:
            pending = any(q["rule"] in open_rules for q in answer.get("open_questions", []))
            return w["undetermined"] if pending else w["none"]
        parts = []
        for o in value:
            count = "?" if o["count"] is None else str(o["count"])
            kind = kind_label(shape, o["kind"], o["count"], lang) if shape else o["kind"]
            parts.append(f"{count}× {kind}" + (f" ({w['waived']})" if o["waived"] else ""))
        return "; ".join(parts)
    if f.kind == "value":
        return f.value_label(value, lang) if value else w["undetermined"]
    return str(value)


def render_svg(tl: Timeline, names: dict[str, str], lang: str = "da", open_rules: frozenset = frozenset(),
               mark: date | None = None, shape: AnswerShape | None = None) -> str:
    """A self-contained SVG picture of ``tl``; ``open_rules`` are rules whose obligations are open questions.

    ``mark``: a date to draw as a line across the lanes (the date a caseworker asked about).
    """
    drawn = lanes(shape) if shape else []
    span = (tl.end - tl.start).days + 1
    height = TOP + LANE_H * len(drawn) + 40

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
        out.append(f'<line x1="{xx:.1f}" y1="{TOP - 8}" x2="{xx:.1f}" y2="{height - 30}" stroke="#999" '
                   'stroke-dasharray="3,3"/>')
        out.append(f'<text x="{xx + 2:.1f}" y="{TOP - 12}" fill="#555">{year}</text>')
    for li, field in enumerate(drawn):
        y = TOP + li * LANE_H
        out.append(f'<g class="lane" data-lane="{field.id}">')
        out.append(f'<text x="10" y="{y + LANE_H / 2 + 4:.1f}" font-weight="bold">{escape(field.label[lang])}</text>')
        # merge neighbouring periods that show the same value in this lane
        boxes: list[list] = []
        for p in tl.periods:
            label = lane_label(field, p.answer, names, lang, open_rules, shape)
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
    periods = translator(lang).gettext("Periods")
    out.append(f'<text x="10" y="{height - 10}" fill="#555">{escape(periods)}: {len(tl.periods)}</text>')
    out.append("</svg>")
    return "\n".join(out)
