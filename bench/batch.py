"""Batch benchmark: a synthetic caseload as CSV, answered by ``reform batch`` in one pass.

Run: .venv/bin/python bench/batch.py [--sizes 10000,100000,1100000] [--date 2027-01-01] [--repeat 3] [--jsonl N] [--keep DIR]
     [--parquet]

With ``--parquet`` each size is also run Parquet in -> Parquet out (the same citizens written as a
Parquet file of string columns; ``reform batch IN.parquet --out OUT.parquet``), and its wall time is
printed beside the CSV figure.

For each size N it writes N synthetic citizens as a flat CSV (the layout of ``reform_rules/caseload/batch.py``),
runs the batch as the command line does (``reform batch IN.csv --date D --out OUT.csv``, in a
fresh process, so start-up, rule loading, reading and writing are all in the wall time) and prints
rows/s, the wall time, the in-memory evaluation time (what the batch reports on stderr, without
start-up and I/O) and the peak resident memory of that process. The last lines are the figures for
the largest size (1.1 million by default).

The synthetic mix (seeded, reproducible). Figures with a source are from the seed documents in
``rules/seeds/``; the rest are assumptions chosen to look like a Danish caseload, not statistics:

- N = 1,100,000: "Over 1,1 million ydelsesforløb i 2024" (seed 003, KL slides).
- sick-listed: "de fleste fra job (ca. 80 pct.)" (seed 003): 80 % ``sick_from: employment``.
- young people: "Unge under 30 år udgør 36 pct. af berørte jobparate borgere – og 34 pct. af berørte
  aktivitetsparate" (seed 003): 36 % of job-ready and 34 % of activity-ready kontanthjælp recipients
  are under 30.
- work duty: "Ca. 13.000 helårspersoner er omfattet af arbejdspligten" (seed 003): 13,000 of the
  1.1 million, all on kontanthjælp.
- trials: 25,000 dagpenge recipients in the 19 free-choice municipalities against 100,000 in the
  a-kasse trial (seed 003): 20 % of dagpenge recipients live in one of the 19.
- Copenhagen: "Hvert år ansøger omkring 40.000 borgere om sygedagpenge i København" (seed 002) — of
  roughly 300,000 sick-benefit spells a year nationally (assumption), about 13 % of the sick-listed
  are in Copenhagen; 11 % of everyone else.
- benefit shares (assumption): dagpenge 18 %, kontanthjælp 22 %, sygedagpenge 20 %,
  ressourceforløbsydelse 5 %, ledighedsydelse 3 %, revalideringsydelse 1 %, førtidspension 16 %,
  self-supporting 15 % (of whom 40 % in a flexjob and 1 % job-rotation substitutes).
- assessments of kontanthjælp (assumption): job-ready 40 %, education-ready 15 %, activity-ready
  40 %, not given 5 %; ressourceforløbsydelse: 60 % ressourceforløb, 40 % jobafklaringsforløb;
  revalideringsydelse: 90 % with the revalidering programme given.
- spells (assumption): typical time since the spell began — dagpenge 6 months, kontanthjælp 3 years,
  sygedagpenge 3 months, ressourceforløb 2 years, ledighedsydelse 1 year, revalidering 18 months,
  førtidspension 10 years, flexjob 3 years (exponential); 25 % have a planned end after the date,
  5 % ended shortly before it (so on the date they are self-supporting).
- other facts (assumption): 1 % without a date of birth, 2 % without a municipality, vocational
  education 45 %, the 25 % exemption used for 8 % of job-ready and dagpenge recipients; expected
  absence given for 70 % of the sick-listed (1–52 weeks), uncomplicated for 30 % of those from a job.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENEFITS = [  # (benefit cell, share, typical days since the spell began)
    ("dagpenge", 0.18, 182), ("kontanthjaelp", 0.22, 3 * 365), ("sygedagpenge", 0.20, 91),
    ("ressourceforloebsydelse", 0.05, 2 * 365), ("ledighedsydelse", 0.03, 365),
    ("revalideringsydelse", 0.01, 548), ("foertidspension", 0.16, 10 * 365), ("none", 0.15, 3 * 365)]
TRIAL = ["Assens", "Ballerup", "Brøndby", "Faaborg-Midtfyn", "Gentofte", "Gladsaxe", "Glostrup", "Herlev",
         "Hvidovre", "Høje-Taastrup", "Langeland", "Lyngby-Taarbæk", "Nordfyns", "Nyborg", "Rødovre",
         "Svendborg", "Vallensbæk", "Ærø"]   # the free-choice municipalities besides København (seed 003)
OTHERS = ["Aarhus", "Aalborg", "Odense", "Vejle", "Esbjerg", "Frederiksberg", "Randers", "Viborg", "Silkeborg",
          "Kolding", "Horsens", "Herning", "Roskilde", "Næstved", "Slagelse", "Sønderborg", "Holbæk", "Hjørring",
          "Helsingør", "Guldborgsund", "Frederikshavn", "Skive", "Holstebro", "Haderslev", "Fredericia"]
CSV_COLUMNS = ["id", "born", "municipality", "vocational_education", "exempted", "work_duty", "benefit",
               "assessment", "from", "to", "sick_from", "expected_absence_weeks", "uncomplicated", "programme",
               "programme_from", "programme_to"]
EPOCH = date(1970, 1, 1).toordinal()


def _dates(days: np.ndarray, present: np.ndarray) -> pa.Array:
    """ISO date strings (days since 1970) where ``present``, else null."""
    arr = pa.array(days.astype(np.int32), type=pa.date32(), mask=~present)
    return pc.cast(arr, pa.string())


def _municipalities() -> list[str]:
    """The other municipalities, from the rules' registry (an unknown name is a row in error)."""
    import yaml
    doc = yaml.safe_load((ROOT / "rules" / "municipalities.yaml").read_text(encoding="utf-8"))
    return [v["id"] for v in doc["values"]]


def _pick(rng, n: int, values: list[str], weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(values), size=n, p=w / w.sum())


def generate(n: int, day: date, seed: int = 2025) -> pa.Table:
    """``n`` synthetic citizens in the flat CSV layout, their situation centred on ``day``."""
    rng = np.random.default_rng(seed)
    today = day.toordinal() - EPOCH
    names = [b for b, _, _ in BENEFITS]
    b = _pick(rng, n, names, [s for _, s, _ in BENEFITS])
    is_ = {name: b == i for i, name in enumerate(names)}
    col: dict[str, pa.Array] = {}
    col["id"] = pc.binary_join_element_wise("c", pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), "")

    # assessments and ages
    kh = is_["kontanthjaelp"]
    assess = _pick(rng, n, ["jobparat", "uddannelsesparat", "aktivitetsparat", ""], [0.40, 0.15, 0.40, 0.05])
    young_share = np.select([assess == 0, assess == 1, assess == 2], [0.36, 0.95, 0.34], 0.3)
    young_share = np.where(kh, young_share, np.where(is_["dagpenge"], 0.25, 0.12))
    young = rng.random(n) < young_share
    age_days = np.where(young, rng.integers(18 * 365, 30 * 365, n), rng.integers(30 * 365 + 8, 67 * 365, n))
    minors = is_["none"] & (rng.random(n) < 0.05)
    age_days = np.where(minors, rng.integers(15 * 365, 18 * 365, n), age_days)
    born = today - age_days
    col["born"] = _dates(born, rng.random(n) >= 0.01)

    # municipality: 20 % of dagpenge recipients in the 19 free-choice municipalities, København ~11–13 %
    rest = [m for m in _municipalities() if m not in ["København", *TRIAL, *OTHERS]]
    muni_names = ["København"] + TRIAL + OTHERS + rest
    w_trial = [0.11] + [0.09 / len(TRIAL)] * len(TRIAL)
    w_other = [0.80 * 0.5 / len(OTHERS)] * len(OTHERS) + [0.80 * 0.5 / len(rest)] * len(rest)
    muni = _pick(rng, n, muni_names, w_trial + w_other)
    syg = is_["sygedagpenge"]
    muni = np.where(syg & (rng.random(n) < 0.02), 0, muni)  # København: ~13 % of the sick-listed
    muni_arr = pa.array(np.asarray(muni_names, dtype=object)[muni], type=pa.string(), mask=rng.random(n) < 0.02)
    col["municipality"] = muni_arr

    def flag(mask: np.ndarray) -> pa.Array:
        return pa.array(np.where(mask, "true", "false").astype(object), type=pa.string())

    jobready = kh & (assess <= 1)
    col["vocational_education"] = flag(rng.random(n) < 0.45)
    col["exempted"] = flag((jobready | is_["dagpenge"]) & (rng.random(n) < 0.08))
    col["work_duty"] = flag(kh & (rng.random(n) < 13_000 / (0.22 * 1_100_000)))

    # the benefit spell
    plain_none = is_["none"] & (rng.random(n) < 0.59)   # self-supporting with no spell on record
    typical = np.asarray([t for _, _, t in BENEFITS])[b]
    age_spell = np.minimum(rng.exponential(typical).astype(np.int64), age_days - 18 * 365)
    age_spell = np.maximum(age_spell, 0)
    start = today - age_spell
    ended = rng.random(n) < 0.05
    planned = ~ended & (rng.random(n) < 0.25)
    end = np.where(ended, today - rng.integers(1, 120, n), today + rng.integers(1, 700, n))
    start = np.where(ended, np.minimum(start, end - 1), start)
    has_spell = ~plain_none
    col["benefit"] = pa.array(np.asarray(names, dtype=object)[b], type=pa.string(), mask=~has_spell)
    col["assessment"] = pa.array(np.asarray(["jobparat", "uddannelsesparat", "aktivitetsparat", ""],
                                            dtype=object)[assess], type=pa.string(), mask=~kh | (assess == 3))
    col["from"] = _dates(start, has_spell)
    col["to"] = _dates(end, has_spell & (ended | planned))
    from_job = rng.random(n) < 0.80
    col["sick_from"] = pa.array(np.where(from_job, "employment", "unemployment").astype(object), type=pa.string(),
                                mask=~syg)
    weeks = rng.integers(1, 53, n)
    col["expected_absence_weeks"] = pc.cast(pa.array(weeks, mask=~syg | (rng.random(n) >= 0.70)), pa.string())
    col["uncomplicated"] = pa.array(np.full(n, "true", dtype=object), type=pa.string(),
                                    mask=~(syg & from_job & (rng.random(n) < 0.30)))

    # programmes beside the benefit that pays them
    rfy, rev, none = is_["ressourceforloebsydelse"], is_["revalideringsydelse"], is_["none"] & has_spell
    r = rng.random(n)
    prog = np.full(n, "", dtype=object)
    prog[rfy] = np.where(r[rfy] < 0.60, "ressourceforloeb", "jobafklaringsforloeb")
    prog[rev & (r < 0.90)] = "revalidering"
    prog[none & (r < 0.40 / 0.41)] = "fleksjob"
    prog[none & (r >= 0.40 / 0.41)] = "jobrotation"
    has_prog = prog != ""
    col["programme"] = pa.array(prog, type=pa.string(), mask=~has_prog)
    col["programme_from"] = _dates(start, has_prog)
    col["programme_to"] = _dates(end, has_prog & (ended | planned))
    return pa.table([col[c] for c in CSV_COLUMNS], names=CSV_COLUMNS)


def write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))  # no value needs quotes


def write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq
    pq.write_table(table, path)


def run_batch(inp: Path, out: Path, day: str) -> dict:
    """``reform batch`` in a fresh process; its wall time, peak memory and reported figures."""
    code = ("import resource, sys, time\n"
            "t = time.perf_counter()\n"
            "from reform_rules.cli.main import main\n"
            "try:\n"
            "    main(standalone_mode=False, args=sys.argv[1:])\n"
            "finally:\n"
            "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "    print(f'BENCH wall={time.perf_counter() - t:.3f} rss_kb={rss} helpers_kb={kids}', file=sys.stderr)\n")
    env = dict(os.environ, CI="1")  # no progress bar in the figures
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "batch", str(inp), "--date", day, "--out", str(out), "-v"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    outer = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"reform batch failed ({proc.returncode}):\n{proc.stderr}")
    m = re.search(r"BENCH wall=([\d.]+) rss_kb=(\d+) helpers_kb=(\d+)", proc.stderr)
    ev = re.search(r"evaluation ([\d.]+) s", proc.stderr)
    mapping = re.search(r"situations to answers ([\d.]+) s", proc.stderr)
    summary = [line for line in proc.stderr.splitlines() if line.startswith("reform batch:")]
    return {"outer": outer, "wall": float(m.group(1)), "rss_mb": int(m.group(2)) / 1024,
            "helpers_mb": int(m.group(3)) / 1024,
            "evaluation": float(ev.group(1)) if ev else float("nan"), "summary": summary,
            "mapping": float(mapping.group(1)) if mapping else float("nan")}


def jsonl_figures(n: int, day: date, seed: int, where: Path, day_text: str) -> None:
    """The same synthetic citizens as JSON Lines objects (the contract layout): the general, slower path."""
    import json
    from reform_rules import RuleBase
    from reform_rules.caseload.layout import row_record
    vocabulary = RuleBase.load().ruleset.vocabulary
    inp = where / f"caseload-{n}.jsonl"
    with open(inp, "w", encoding="utf-8") as fh:
        for row in generate(n, day, seed).to_pylist():
            fh.write(json.dumps(row_record(row, vocabulary)[0], ensure_ascii=False) + "\n")
    for out in (where / f"answers-{n}-from-jsonl.csv", where / f"answers-{n}.jsonl"):
        r = run_batch(inp, out, day_text)
        print(f"N={n:,} JSON Lines in, {out.suffix[1:]} out: wall {r['wall']:.2f} s ({n / r['wall']:,.0f} rows/s), "
              f"in-memory evaluation {r['evaluation']:.2f} s, peak RSS {r['rss_mb']:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1100000", help="comma-separated numbers of citizens")
    ap.add_argument("--date", default="2027-01-01", help="the query date")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--keep", type=Path, default=None, help="keep the CSV files in this directory")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the median run is reported")
    ap.add_argument("--jsonl", type=int, default=0, metavar="N",
                    help="also time N citizens as JSON Lines (the contract's citizen objects) in and out")
    ap.add_argument("--parquet", action="store_true",
                    help="also time each size Parquet in -> Parquet out, beside the CSV figure")
    args = ap.parse_args()
    day = date.fromisoformat(args.date)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        results = []
        for n in sizes:
            t = time.perf_counter()
            inp = where / f"caseload-{n}.csv"
            generated = generate(n, day, args.seed)
            write_csv(generated, inp)
            made = time.perf_counter() - t
            runs = [run_batch(inp, where / f"answers-{n}.csv", args.date) for _ in range(args.repeat)]
            runs.sort(key=lambda x: x["wall"])
            r = runs[len(runs) // 2]  # the median run (this VM's disk and CPU vary from run to run)
            r["walls"] = [x["wall"] for x in runs]
            mb = inp.stat().st_size / 1e6
            print(f"N={n:,}: input {mb:.0f} MB generated in {made:.1f} s")
            for line in r["summary"]:
                print(f"  {line}")
            if args.parquet:
                pin = where / f"caseload-{n}.parquet"
                write_parquet(generated, pin)
                pruns = sorted((run_batch(pin, where / f"answers-{n}.parquet", args.date) for _ in range(args.repeat)),
                               key=lambda x: x["wall"])
                r["parquet"] = pruns[len(pruns) // 2]
                r["parquet"]["walls"] = [x["wall"] for x in pruns]
                print(f"N={n:,}: Parquet input {pin.stat().st_size / 1e6:.0f} MB")
                for line in r["parquet"]["summary"]:
                    print(f"  {line}")
            results.append((n, r))
        if args.jsonl:
            jsonl_figures(args.jsonl, day, args.seed, where, args.date)
        print()
        for n, r in results:
            print(f"N={n:>9,}  {n / r['wall']:>11,.0f} rows/s  wall {r['wall']:6.2f} s (process {r['outer']:5.2f} s)  "
                  f"in-memory evaluation {r['evaluation']:5.2f} s  peak RSS {r['rss_mb']:6.0f} MB"
                  + (f"  | Parquet in/out: wall {r['parquet']['wall']:6.2f} s, peak RSS {r['parquet']['rss_mb']:6.0f} MB"
                     if "parquet" in r else ""))
        print("(wall: the whole `reform batch` command — start-up, rule loading, reading, evaluation, writing)")
        n, r = results[-1]
        print(f"\nN = {n:,} citizens x 1 date ({args.date}), CSV in -> CSV out, every field:")
        print(f"  wall time:             {r['wall']:.2f} s  ({n / r['wall']:,.0f} rows/s; whole process {r['outer']:.2f} s)"
              f"  median of {len(r['walls'])} runs: " + ", ".join(f"{w:.2f}" for w in r["walls"]))
        print(f"  in-memory evaluation:  {r['evaluation']:.2f} s  (text cells in -> text rows out, Datalog included; "
              f"of it, distinct situations -> answers mapped onto every row: {r['mapping']:.2f} s)")
        print(f"  peak memory (RSS):     {r['rss_mb']:.0f} MB  (each forked Datalog helper at most "
              f"{r['helpers_mb']:.0f} MB, pages shared with the parent)")
        if "parquet" in r:
            p = r["parquet"]
            print(f"\nN = {n:,} citizens x 1 date, Parquet in -> Parquet out, every field (beside CSV {r['wall']:.2f} s):")
            print(f"  wall time:             {p['wall']:.2f} s  ({n / p['wall']:,.0f} rows/s; whole process {p['outer']:.2f} s)"
                  f"  median of {len(p['walls'])} runs: " + ", ".join(f"{w:.2f}" for w in p["walls"]))
            print(f"  in-memory evaluation:  {p['evaluation']:.2f} s;  peak memory (RSS): {p['rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
