"""Side by side with a peer: an OpenFisca implementation of the target groups against ``reform batch``.

Run:
    .venv/bin/python bench/peer.py --peer PATH/peer_openfisca_csv.py --peer-python /tmp/of-venv/bin/python
                                   [--size 1100000] [--date 2027-01-01] [--rounds 3] [--keep DIR]

(or set ``$REFORM_PEER`` and ``$REFORM_PEER_PYTHON`` instead of the two options). The peer is a yardstick,
not a dependency: its script and its virtualenv are wherever you put them (its README says how to set it
up), and nothing in the project reads them.

It builds the synthetic caseload of ``bench/batch.py`` (or reuses ``DIR/caseload-N.csv`` from
``--keep DIR``), converts it to Parquet once (outside the timings), then runs, interleaved, N rounds of
three whole processes — start-up, loading, reading, work and writing all in the wall time:

- peer     CSV -> CSV      ``PEER_PYTHON PEER IN.csv OUT.csv DATE``
- reform   CSV -> CSV      ``reform batch IN.csv --date DATE --out OUT.csv``
- reform   Parquet -> Parquet  ``reform batch IN.parquet --date DATE --out OUT.parquet``

and prints each run (with the load average when it ran) and the medians side by side. The peer computes
one field (the target group); ``reform batch`` every field of the answer.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import generate, write_csv, write_parquet  # noqa: E402 - bench/batch.py, beside this script

ROOT = Path(__file__).resolve().parent.parent


def _reform() -> list[str]:
    """``reform`` of this interpreter's environment (the project's virtualenv)."""
    exe = Path(sys.executable).with_name("reform")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reform_rules"]


def _timed(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(cwd)) if cwd != ROOT else None   # a baseline: its own package
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peer", type=Path, default=os.environ.get("REFORM_PEER"),
                    help="the peer's CSV script (peer_openfisca_csv.py); or $REFORM_PEER")
    ap.add_argument("--peer-python", default=os.environ.get("REFORM_PEER_PYTHON"),
                    help="the python of the peer's virtualenv; or $REFORM_PEER_PYTHON")
    ap.add_argument("--size", type=int, default=1_100_000, help="citizens in the caseload")
    ap.add_argument("--date", default="2027-01-01")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="also time an earlier version: a checkout of it (git archive COMMIT | tar -x -C DIR), run "
                         "with this interpreter's packages and its own reform_rules and rules")
    ap.add_argument("--keep", type=Path, default=None,
                    help="a directory for the caseload files (reused when caseload-N.csv is there)")
    args = ap.parse_args()
    if args.peer is None or args.peer_python is None:
        ap.error("give --peer and --peer-python (or $REFORM_PEER and $REFORM_PEER_PYTHON)")
    where = args.keep or Path(tempfile.mkdtemp(prefix="reform-peer-"))
    where.mkdir(parents=True, exist_ok=True)
    csv_in, pq_in = where / f"caseload-{args.size}.csv", where / f"caseload-{args.size}.parquet"
    if not csv_in.exists():
        table = generate(args.size, date.fromisoformat(args.date), args.seed)
        write_csv(table, csv_in)
    if not pq_in.exists() or pq_in.stat().st_mtime < csv_in.stat().st_mtime:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        names = pacsv.read_csv(csv_in, read_options=pacsv.ReadOptions(skip_rows_after_names=10**9)).column_names
        table = pacsv.read_csv(csv_in, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in names}, strings_can_be_null=True))
        write_parquet(table, pq_in)
    out = Path(tempfile.mkdtemp(prefix="reform-peer-out-"))
    runs = {
        "peer    CSV -> CSV        ": [args.peer_python, str(args.peer), str(csv_in), str(out / "peer.csv"), args.date],
        "reform  CSV -> CSV        ": _reform() + ["batch", str(csv_in), "--date", args.date, "--out",
                                                   str(out / "reform.csv"), "--no-progress"],
        "reform  Parquet -> Parquet": _reform() + ["batch", str(pq_in), "--date", args.date, "--out",
                                                   str(out / "reform.parquet"), "--no-progress"],
    }
    cwd = {name: ROOT for name in runs}
    if args.baseline is not None:
        old = [sys.executable, "-m", "reform_rules", "batch"]
        runs["before  CSV -> CSV        "] = old + [str(csv_in), "--date", args.date, "--out", str(out / "b.csv"),
                                                    "--no-progress"]
        runs["before  Parquet -> Parquet"] = old + [str(pq_in), "--date", args.date, "--out",
                                                    str(out / "b.parquet"), "--no-progress"]
        cwd.update({k: args.baseline.resolve() for k in runs if k.startswith("before")})
    times: dict[str, list[float]] = {k: [] for k in runs}
    print(f"{args.size:,} citizens, {args.date}; {args.rounds} interleaved rounds; {os.cpu_count()} cores")
    for r in range(1, args.rounds + 1):
        for name, cmd in runs.items():
            load = os.getloadavg()[0]
            wall = _timed(cmd, cwd[name])
            times[name].append(wall)
            print(f"round {r}  {name}  {wall:6.2f} s   (load average {load:.2f})", flush=True)
    print("\nmedians (whole process):")
    for name, walls in times.items():
        print(f"  {name}  {statistics.median(walls):6.2f} s   (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"  load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
