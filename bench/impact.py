"""Impact benchmark: ``reform impact`` over a national caseload (1.1 million citizens) and 36 monthly dates.

Run: .venv/bin/python bench/impact.py [--size 1100000] [--keep DIR] [--repeat 3]

It writes (or reuses, with ``--keep``) the synthetic caseload of ``bench/batch.py`` and runs
``reform impact IN.csv --lang en`` in a fresh process (start-up, rule loading, reading and counting all
in the time; the default months: 36 first days of a month from the rules), and prints the whole
process's wall time, the median of ``--repeat`` runs, and the load average beside it.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from batch import generate, write_csv  # noqa: E402 - the same synthetic caseload as the batch benchmark


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1_100_000, help="number of citizens")
    ap.add_argument("--date", default="2027-01-01", help="the day the synthetic situations are centred on")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the caseload CSV in this directory")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the median is reported")
    args = ap.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix="reform-impact-"))
    where.mkdir(parents=True, exist_ok=True)
    inp = where / f"caseload-{args.size}.csv"
    if not inp.exists():
        write_csv(generate(args.size, date.fromisoformat(args.date), args.seed), inp)
    env = dict(os.environ, CI="1")   # no progress bar in the figures
    walls = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "reform_rules", "impact", str(inp), "--lang", "en"],
                              capture_output=True, text=True, cwd=ROOT, env=env)
        walls.append(time.perf_counter() - t)
        if proc.returncode != 0:
            sys.exit(f"reform impact failed ({proc.returncode}):\n{proc.stderr}")
        load = os.getloadavg()
        print(f"  run: {walls[-1]:.2f} s  (load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f})")
    months = sum(1 for line in proc.stdout.splitlines() if line[:4].isdigit() and line[4:5] == "-")
    print(f"\nN = {args.size:,} citizens x {months} monthly dates, reform impact, whole process:")
    print(f"  wall time: {statistics.median(walls):.2f} s  median of {args.repeat} runs: "
          f"{', '.join(f'{w:.2f}' for w in walls)}  (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
