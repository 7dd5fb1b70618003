"""The HTML report of ``reform impact``: a chart that scales to a phone, tables that fit one (each in
its own scrolling box, first column sticky), every table as CSV and XLSX to download, the rows in error.

Groups are named by the titles the rules declare (``reform_rules.answer.explain`` names), never by an
internal id alone; every word comes from ``impact.WORDS`` (the one catalogue); everything from data is escaped.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import math

from reform_rules.answer.explain import safe_text
from reform_rules.caseload.impact import ERRORS_KEPT, NONE, Impact, words_of
from reform_rules.caseload.layout import safe_error

try:   # the optional [excel] extra: without it, tables are offered as CSV only
    from openpyxl import Workbook
except ImportError:  # pragma: no cover - the test extra has it
    Workbook = None

PALETTE = ["#0067a5", "#f38400", "#008856", "#be0032", "#875692", "#f3c300", "#a1caf1", "#c2b280", "#848482",
           "#e68fac", "#f99379", "#604e97", "#f6a600", "#b3446c", "#dcd300", "#882d17", "#8db600", "#654522",
           "#e25822", "#2b3d26"]   # Kelly's colours of maximum contrast
LEGEND_COLUMNS = 2
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# one line of the report's style sheet, kept here so that the template's lines stay short
_TABLE_CSS = ("table{border-collapse:collapse;margin:.5em 0}"
              "td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px;white-space:nowrap}")


def nice_ticks(top: float, most: int = 6) -> list[int]:
    """Even ticks from 0 past ``top``: a step of 1, 2 or 5 × 10^k, at most ``most`` intervals."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    return list(range(0, int(math.ceil(top / step)) * step + 1, step))


def group_name(g: str, r: Impact, lang: str) -> str:
    """A group's title in words (the rules' name; the id only when the rules give none)."""
    if g == NONE:
        return words_of(lang)["none"]
    return r.names.get(lang, {}).get(g) or safe_text(g)


def render_svg(r: Impact, lang: str = "en", width: int = 640, plot_h: int = 260) -> str:
    """Stacked bars: citizens per target group on the first of each month; a legend in words below."""
    t = words_of(lang)
    esc = html.escape
    groups = r.groups()
    left, right, top = 64, 8, 16
    # two legend columns when every name fits half the width (about 6.6 px a character at 12 px), else one
    longest = max((len(group_name(g, r, lang)) for g in groups), default=0)
    columns = LEGEND_COLUMNS if longest * 6.6 + 16 <= (width - left - right) / LEGEND_COLUMNS else 1
    legend_rows = max(1, -(-len(groups) // columns))
    height = top + plot_h + 36 + 18 * legend_rows
    plot_w = width - left - right
    ticks = nice_ticks(max([sum(r.monthly[m].values()) for m in r.months] + [1]))
    scale = ticks[-1]
    n = max(len(r.months), 1)
    bar = plot_w / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMidYMin meet" role="img" aria-label="{esc(t["chart"])}" class="chart">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>']
    for value in ticks:
        y = top + plot_h - plot_h * value / scale
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                     f'{value:,}</text>')
    for j, m in enumerate(r.months):
        x = left + j * bar
        y = top + plot_h
        for gi, g in enumerate(groups):
            k = r.monthly[m].get(g, 0)
            if not k:
                continue
            h = plot_h * k / scale
            y -= h
            parts.append(f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[gi % len(PALETTE)]}"><title>{m.isoformat()[:7]} '
                         f'{esc(group_name(g, r, lang))}: {k:,}</title></rect>')
        if j % max(1, -(-n // 6)) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
                         f'text-anchor="middle">{m.isoformat()[:7]}</text>')
    for j, m in enumerate(r.months):
        if m == r.at:
            x = left + j * bar
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="black" '
                         f'stroke-dasharray="4 3"/>')
    for gi, g in enumerate(groups):
        x = left + (gi % columns) * (plot_w / columns)
        y = top + plot_h + 36 + (gi // columns) * 18
        parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{PALETTE[gi % len(PALETTE)]}"/>')
        parts.append(f'<text class="legend" x="{x + 14:.1f}" y="{y}" font-size="12">'
                     f'{esc(group_name(g, r, lang))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _downloads(name: str, head: list[str], rows: list[list], t: dict[str, str]) -> str:
    """Links that download a table as CSV and (with openpyxl) XLSX, as data: URIs (the report stays one file)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows([[_cell_safe(v) for v in row] for row in rows])
    links = [f'<a download="{name}.csv" href="data:text/csv;charset=utf-8;base64,'
             f'{base64.b64encode(buf.getvalue().encode("utf-8-sig")).decode()}">CSV</a>']
    if Workbook is not None:
        book = Workbook()
        sheet = book.active
        sheet.append(head)
        for row in rows:
            sheet.append([_cell_safe(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        links.append(f'<a download="{name}.xlsx" href="data:{XLSX};base64,{base64.b64encode(out.getvalue()).decode()}">'
                     f'XLSX</a>')
    return f'<p class="downloads">{html.escape(t["download"])} {" ".join(links)}</p>'


def _cell_safe(value):
    """A cell a spreadsheet never runs as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _table(name: str, head: list[str], rows: list[list], t: dict[str, str]) -> str:
    """A table in its own scrolling box (first column sticky), and its downloads."""
    esc = html.escape
    cells = "".join("<tr>" + "".join(f"<td class=n>{v:,}</td>" if isinstance(v, int) else f"<td>{esc(str(v))}</td>"
                                      for v in row) + "</tr>" for row in rows)
    return (f'<div class="scroll" id="{name}"><table><thead><tr>{"".join(f"<th>{esc(h)}</th>" for h in head)}</tr>'
            f"</thead><tbody>{cells}</tbody></table></div>\n" + _downloads(name, head, rows, t))


def render_html(r: Impact, lang: str = "en", errors_file: str | None = None) -> str:
    t = words_of(lang)
    esc = html.escape
    at, before = r.at.isoformat(), r.before.isoformat()
    groups = r.groups()
    name = lambda g: group_name(g, r, lang)   # noqa: E731
    moves = [[name(a), name(b), k] for (a, b), k in sorted(r.moves.items(), key=lambda kv: (-kv[1], kv[0]))]
    gf = [[name(pid), t["open_h"] if e is None else f"{e[0]:04d}-{e[1]:02d}", k]
          for pid, ends in sorted(r.grandfathered.items())
          for e, k in sorted(ends.items(), key=lambda kv: (kv[0] is None, kv[0] or (0, 0)))]
    obs = [[f"+ {name(q)}", k] for q, k in sorted(r.gained.items())] + \
        [[f"- {name(q)}", k] for q, k in sorted(r.lost.items())]
    # the monthly table: a row per group, a column per month (narrow: it scrolls in its own box)
    monthly = [[name(g)] + [r.monthly[m].get(g, 0) for m in r.months] for g in groups]
    title = t["title"].format(at=at, before=before, n=f"{r.citizens:,}").split(" (")[0]
    compared = t["compared"].format(n=f"{r.citizens:,}", before=before, at=at) + \
        (t["not_counted"].format(k=f"{r.errors:,}") if r.errors else "")
    errors = ""
    if r.errors:
        items = "".join(f"<tr><td class=n>{row:,}</td><td>{esc(cid)}</td><td>{esc(msg)}</td></tr>"
                        for row, cid, msg in (safe_error(*e) for e in sorted(r.error_rows)[:ERRORS_KEPT]))
        link = (f'<p>{esc(t["errors_file"].format(path=""))}<a href="{esc(errors_file, quote=True)}">'
                f"{esc(errors_file)}</a></p>") if errors_file else ""
        first = t["errors_first"].format(k=len(r.error_rows[:ERRORS_KEPT]), n=f"{r.errors:,}")
        errors = (f'<h2>{esc(t["h_errors"])}</h2><p>{esc(first)}'
                  f'</p><div class="scroll" id="errors"><table><thead><tr><th>{esc(t["row"])}</th><th>id</th>'
                  f'<th>{esc(t["message"])}</th></tr></thead><tbody>{items}</tbody></table></div>{link}')
    return f"""<!doctype html>
<html lang="{'da' if lang == 'da' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em;color:#222;max-width:60em}}
.chart{{max-width:100%;height:auto}}.scroll{{overflow-x:auto;max-width:100%}}
{_TABLE_CSS}
td.n{{text-align:right}}th{{background:#f3f3f3}}
.scroll tr>:first-child{{position:sticky;left:0;background:#fff;white-space:normal;min-width:8em}}
.scroll th:first-child{{background:#f3f3f3}}</style>
</head><body>
<h1>{esc(title)}</h1>
<p>{esc(compared)}.</p>
<h2>{esc(t['h_monthly'])}</h2>
{render_svg(r, lang)}
{_table("monthly", [t['group']] + [m.isoformat()[:7] for m in r.months], monthly, t)}
<h2>{esc(t['h_moves'].format(at=at))}</h2>
{_table("moves", [t['from'], t['to'], t['citizens']], moves, t)}
<h2>{esc(t['h_gf'].format(at=at))}</h2>
{_table("grandfathered", [t['programme'], t['until_h'], t['citizens']], gf, t)}
<h2>{esc(t['h_obligations'])}</h2>
<p>{esc(t['obligations'].format(k=f"{r.obligations_changed:,}"))}.</p>
{_table("obligations", [t['gained_lost'], t['citizens']], obs, t)}
{errors}
</body></html>
"""
