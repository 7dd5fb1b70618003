"""``reform impact``: what a change date does to a whole caseload, counted with the batch core.

For a date AT (by default the first day of the last phase, read from the rules: the latest
``valid.from`` among the rules of the ``phase`` family), it counts

- how many citizens move from which target group on the day before AT to which on AT;
- how many are in a grandfathered programme on AT (programme status ``grandfathered``), per
  programme, and until when (the end of their programme spell, by month; open-ended apart);
- how many citizens' obligations change from the day before to AT, and which requirements are
  gained or lost;
- per month (the first day of each month, by default over the years from the first to the year
  after the last phase change in the rules) the number of citizens per target group.

Nothing here knows a date, a group or a benefit: they come from the rules and the input.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

import numpy as np

from reform_rules.answer.explain import names_by_id
from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics import dates
from reform_rules.basics.errors import BatchError
from reform_rules.basics.i18n import N_, Words
from reform_rules.caseload.batch import Batch
from reform_rules.caseload.files import CHUNK_ROWS, Prefetch, file_format, iter_jsonl, progress_bar, read_csv_table
from reform_rules.caseload.grouped import Groups, run_citizens_grouped, run_table_grouped

NONE = "(none)"
ERRORS_KEPT = 20   # rows in error the report lists (all are in the errors file beside it)


def last_phase_start(base: RuleBase) -> date:
    """The first day of the last phase the rules know (the latest ``valid.from`` of a phase rule)."""
    starts = [r.valid_from for r in base.ruleset.in_family("phase") if r.valid_from]
    if not starts:
        raise BatchError("the rules have no phase with a start date; give --at")
    return max(starts)


def default_months(base: RuleBase) -> list[date]:
    """The first day of every month from January of the first phase change to December of the year after the last."""
    starts = sorted({r.valid_from for r in base.ruleset.in_family("phase") if r.valid_from} |
                    {r.valid_to + timedelta(days=1) for r in base.ruleset.in_family("phase") if r.valid_to})
    if not starts:
        raise BatchError("the rules have no phase dates; give --from and --to")
    return month_starts(date(starts[0].year, 1, 1), date(starts[-1].year + 1, 12, 1))


def month_starts(first: date, last: date) -> list[date]:
    out, day = [], date(first.year, first.month, 1)
    while day <= last:
        out.append(day)
        day = dates.add_months(day, 1)
    return out


@dataclass
class Impact:
    at: date
    before: date
    citizens: int = 0
    errors: int = 0
    moves: Counter = field(default_factory=Counter)                 # (old group, new group) → citizens
    grandfathered: dict = field(default_factory=lambda: defaultdict(Counter))  # programme → {end month | None: n}
    obligations_changed: int = 0
    gained: Counter = field(default_factory=Counter)
    lost: Counter = field(default_factory=Counter)
    months: list = field(default_factory=list)
    monthly: dict = field(default_factory=lambda: defaultdict(Counter))  # month → {group: n}
    names: dict = field(default_factory=dict)                           # lang → {group id: name}
    error_rows: list = field(default_factory=list)                      # the rows in error: (row, id, message)

    def groups(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.months:
            for g in self.monthly[m]:
                seen.setdefault(g, None)
        return sorted(seen, key=lambda g: (g == NONE, g))


def compute_impact(base: RuleBase, inp: Path, at: date | None = None, months: Sequence[date] | None = None,
                   chunk_rows: int = CHUNK_ROWS, dialect=None, progress: bool | None = None,
                   prefetched: Prefetch | None = None) -> Impact:
    """The impact of ``at`` on the caseload in ``inp`` (``prefetched``: its CSV being read already)."""
    at = at or last_phase_start(base)
    before = at - timedelta(days=1)
    months = list(months) if months is not None else default_months(base)
    days = [before, at] + [m for m in months if m not in (before, at)]
    batch = Batch(base, days, want_csv=False, want_json=False)
    result = Impact(at=at, before=before, months=list(months),
                    names={lang: names_by_id(base.ruleset, lang) for lang in ("da", "en")})
    fmt = file_format(inp, "input")
    bar = None
    try:
        if fmt == "csv":
            table, bad, _ = prefetched.get() if prefetched is not None else read_csv_table(inp, dialect)
            _errors(result, bad)
            bar = progress_bar(table.num_rows * len(days), progress, "reform impact", "answers")
            tick = bar.update if bar else None
            chunks = (run_table_grouped(batch, table.slice(o, n), first_row=o + 1, tick=tick)
                      for o, n in chunk_spans(table.num_rows, chunk_rows))
        else:
            bar = progress_bar(None, progress, "reform impact", "answers")
            tick = bar.update if bar else None
            chunks = (run_citizens_grouped(batch, items, n, tick=tick)
                      for items, n in iter_jsonl(inp, base.ruleset.vocabulary, chunk_rows))
        for chunk in chunks:
            _count(result, batch, chunk, days)
    finally:
        if bar:
            bar.close()
    return result


def chunk_spans(rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """(first row, rows) of each chunk; a last chunk of less than a quarter of ``chunk_rows`` joins the one
    before it (a chunk costs a pass over every date)."""
    spans = [(o, min(chunk_rows, rows - o)) for o in range(0, rows, chunk_rows)]
    if len(spans) > 1 and spans[-1][1] < chunk_rows // 4:
        (o, n), (_, m) = spans[-2:]
        spans[-2:] = [(o, n + m)]
    return spans


def _errors(result: Impact, errors: list[tuple[int, str, str]]) -> None:
    result.errors += len(errors)
    result.error_rows += errors


def _count(result: Impact, batch: Batch, chunk: Groups, days: list[date]) -> None:
    """Add one chunk's groups to the counts."""
    _errors(result, chunk.errors)
    result.citizens += chunk.citizens
    if not len(chunk.weights):
        return
    at, before = result.at, result.before
    index = {d: i for i, d in enumerate(days)}
    templates = batch.templates
    tg = [(t["answer"].target_group or {}).get("id", NONE) for t in templates]
    t_before, t_at = chunk.per_day[index[before]], chunk.per_day[index[at]]
    pairs, inverse = np.unique(np.stack([t_before, t_at]), axis=1, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=chunk.weights, minlength=pairs.shape[1]).astype(np.int64)
    for (a, b), k in zip(pairs.T.tolist(), counts.tolist(), strict=True):
        result.moves[(tg[a], tg[b])] += k
        obs_a = {(o.requirement, o.waived) for o in templates[a]["answer"].obligations}
        obs_b = {(o.requirement, o.waived) for o in templates[b]["answer"].obligations}
        if obs_a != obs_b:
            result.obligations_changed += k
            for req in {r for r, w in obs_b if not w} - {r for r, w in obs_a if not w}:
                result.gained[req] += k
            for req in {r for r, w in obs_a if not w} - {r for r, w in obs_b if not w}:
                result.lost[req] += k
    # grandfathered programmes on AT, and the end of each citizen's programme spell
    held: dict[str, list[int]] = defaultdict(list)
    for tid in np.unique(t_at).tolist():
        for p in templates[tid]["answer"].programmes:
            if p["status"] == "grandfathered":
                held[p["id"]].append(tid)
    for pid, tids in held.items():
        groups = np.flatnonzero(np.isin(t_at, tids))
        for end, k in chunk.programme_ends(groups, at, pid).items():
            result.grandfathered[pid][(end.year, end.month) if end else None] += k
    for m in result.months:
        counts = np.bincount(chunk.per_day[index[m]], weights=chunk.weights, minlength=len(tg)).astype(np.int64)
        for tid in np.flatnonzero(counts).tolist():
            result.monthly[m][tg[tid]] += int(counts[tid])


# -- text ----------------------------------------------------------------------------------------------------------
# The report's words: English msgids, Danish in the one catalogue (reform_rules.basics.i18n).
WORDS = Words({
    "title": N_("Impact of {at} (compared with {before}): {n} citizens"),
    "errors": N_(", {k} rows in error (not counted)"),
    "moves": N_("Target groups: from (day before) -> to"),
    "unchanged": N_("  (unchanged)"),
    "moved": N_("  {k} citizens change target group"),
    "gf": N_("Grandfathered programmes on {at}: {k} citizens"),
    "until": N_("    until {y} (the last in {last}): {k}"),
    "open": N_("    open-ended (no end given): {k}"),
    "obligations": N_("Obligations change for {k} citizens"),
    "monthly": N_("Citizens per target group on the first of each month (columns: see the key below)"),
    "month": N_("month"),
    "key": N_("key"),
    "none": N_("(none)"),
    "h_monthly": N_("Citizens per target group on the first of each month"),
    "h_moves": N_("Target groups: from the day before to {at}"),
    "from": N_("from"),
    "to": N_("to"),
    "citizens": N_("citizens"),
    "h_gf": N_("Grandfathered programmes on {at}, by the end of the programme"),
    "programme": N_("programme"),
    "until_h": N_("until"),
    "open_h": N_("open-ended"),
    "h_obligations": N_("Obligations"),
    "gained_lost": N_("requirement gained (+) or lost (-)"),
    "h_per_month": N_("Per month"),
    "compared": N_("{n} citizens compared on {before} and {at}"),
    "not_counted": N_("; {k} rows in error were not counted"),
    "chart": N_("Citizens per target group per month"),
    "h_errors": N_("Rows in error"),
    "errors_first": N_("The first {k} of {n} rows in error (not counted):"),
    "row": N_("row"),
    "message": N_("error"),
    "errors_file": N_("All rows in error: {path}"),
    "download": N_("Download:"),
    "group": N_("target group"),
})

def words_of(lang: str) -> dict[str, str]:
    """The report's words in ``lang`` (any other language: Danish, the one fallback rule)."""
    return WORDS[lang]


def _group(g: str, t: dict[str, str]) -> str:
    return t["none"] if g == NONE else g


def render_text(r: Impact, lang: str = "en") -> str:
    t = words_of(lang)
    out = [t["title"].format(at=r.at.isoformat(), before=r.before.isoformat(), n=f"{r.citizens:,}")
           + (t["errors"].format(k=f"{r.errors:,}") if r.errors else "")]
    out.append("")
    out.append(t["moves"])
    width = max([len(_group(a, t)) for a, _ in r.moves] + [12])
    for (a, b), k in sorted(r.moves.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "" if a != b else t["unchanged"]
        out.append(f"  {_group(a, t):<{width}}  ->  {_group(b, t):<{width}}  {k:>10,}{mark}")
    moved = sum(k for (a, b), k in r.moves.items() if a != b)
    out.append(t["moved"].format(k=f"{moved:,}"))
    out.append("")
    total_gf = sum(sum(c.values()) for c in r.grandfathered.values())
    out.append(t["gf"].format(at=r.at.isoformat(), k=f"{total_gf:,}"))
    for pid, ends in sorted(r.grandfathered.items()):
        out.append(f"  {pid}: {sum(ends.values()):,}")
        years: Counter = Counter()
        last: dict[int, tuple] = {}
        for (y, m), k in ((e, k) for e, k in ends.items() if e):
            years[y] += k
            last[y] = max(last.get(y, (y, m)), (y, m))
        for y in sorted(years):
            out.append(t["until"].format(y=y, last=f"{last[y][0]:04d}-{last[y][1]:02d}", k=f"{years[y]:,}"))
        if None in ends:
            out.append(t["open"].format(k=f"{ends[None]:,}"))
    out.append("")
    out.append(t["obligations"].format(k=f"{r.obligations_changed:,}"))
    for req, k in sorted(r.gained.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"  + {req}: {k:,}")
    for req, k in sorted(r.lost.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"  - {req}: {k:,}")
    out.append("")
    groups = r.groups()
    out.append(t["monthly"])
    head = f"{t['month']:<10}" + "".join(f"{'G' + str(i + 1):>9}" for i in range(len(groups)))
    out.append(head)
    for m in r.months:
        out.append(f"{m.isoformat()[:7]}   " + "".join(f"{r.monthly[m].get(g, 0):>9,}" for g in groups))
    out.append(f"{t['key']}:")
    names = r.names.get(lang, {})
    for i, g in enumerate(groups):
        out.append(f"  G{i + 1} = {_group(g, t)}" + (f" ({names[g]})" if g in names else ""))
    return "\n".join(out)
