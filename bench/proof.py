"""The completeness proof's time: the real rules, and the rule set doubled.

Run: .venv/bin/python bench/proof.py [--rounds 3]

For each rule set it runs ``reform check --json`` as a whole process (the proof of every answer field in
every situation on every change date) and prints the wall time, the proof's own time, the situation ×
date cells checked and the distinct derivations (median over ``--rounds``).

*Doubled*: every rule gets a copy that holds over a second horizon of the same length right after the
first (its dates shifted by the horizon's length in whole years, its ``overrides`` pointing at the
copies); the originals that had no end end with the first horizon, the copies that had no start start
with the second, and the vocabulary's horizon covers both. Twice the rules, twice the change dates:
how the proof grows with the size of the law.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from copy import deepcopy
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REFORM = [sys.executable, "-m", "reform_rules"]


class _NoAliases(yaml.SafeDumper):
    """Rule files may not hold YAML aliases: every shared value written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=200)


def _shift(day: Any, years: int) -> Any:
    if isinstance(day, date):
        try:
            return day.replace(year=day.year + years)
        except ValueError:  # 29 February in a year that has none
            return day.replace(year=day.year + years, day=28)
    return day


def _copy_rule(rule: dict, years: int, first_end: date, second_start: date) -> dict:
    copy = deepcopy(rule)
    copy["id"] = f"{rule['id']}-x2"
    valid = dict(copy.get("valid") or {})
    valid = {k: _shift(v, years) for k, v in valid.items()}
    valid.setdefault("from", second_start)
    copy["valid"] = valid
    if isinstance(copy.get("overrides"), str):
        copy["overrides"] = f"{copy['overrides']}-x2"
    elif isinstance(copy.get("overrides"), list):
        copy["overrides"] = [f"{o}-x2" for o in copy["overrides"]]
    return copy


def doubled(src: Path, dst: Path) -> None:
    """``src`` copied to ``dst`` with every rule doubled over a second horizon (see the module's text)."""
    shutil.copytree(src, dst)
    (dst / ".certificate.json").unlink(missing_ok=True)
    vocab_path = dst / "vocabulary.yaml"
    vocab = yaml.safe_load(vocab_path.read_text("utf-8"))
    lo, hi = vocab["horizon"]["from"], vocab["horizon"]["to"]
    years = hi.year - lo.year + 1
    first_end, second_start = hi, hi.replace(year=hi.year + 1, month=1, day=1)
    vocab["horizon"]["to"] = hi.replace(year=hi.year + years)
    vocab_path.write_text(_dump(vocab), "utf-8")
    for path in sorted(dst.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
            continue
        copies = []
        for rule in doc["rules"]:
            copies.append(_copy_rule(rule, years, first_end, second_start))
            rule.setdefault("valid", {})
            rule["valid"] = {**(rule["valid"] or {})}
            rule["valid"].setdefault("to", first_end)
        doc["rules"] = doc["rules"] + copies
        path.write_text(_dump(doc), "utf-8")


def run_check(rules: Path) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([*REFORM, "check", "--json", "--rules", str(rules)], check=False, capture_output=True,
                          text=True,
                          env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"reform check --rules {rules} gave no report (exit {done.returncode}):\n{done.stderr}")
    return wall, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(tmp) / "real"
        shutil.copytree(ROOT / "rules", real)
        twice = Path(tmp) / "doubled"
        doubled(ROOT / "rules", twice)
        sets = {"real rules": real, "doubled": twice}
        runs: dict[str, list[tuple[float, dict]]] = {name: [] for name in sets}
        for _ in range(args.rounds):
            for name, path in sets.items():  # interleaved: both see the same machine
                runs[name].append(run_check(path))
    print(f"reform check (the whole proof), median of {args.rounds}; load average at start {load:.1f}")
    print(f"{'rule set':<12} {'rules':>6} {'dates':>6} {'situations':>11} {'cells':>9} {'derivations':>12} "
          f"{'proof s':>8} {'process s':>10}  findings")
    for name, results in runs.items():
        report = results[0][1]
        proof = statistics.median(r["seconds"] for _, r in results)
        wall = statistics.median(w for w, _ in results)
        print(f"{name:<12} {report['rules']:>6} {report['dates']:>6} {report['situations']:>11} "
              f"{report['pairs']:>9} {report['distinct']:>12} {proof:>8.1f} {wall:>10.1f}  "
              f"{report['gaps']} gaps, {report['overlaps']} overlaps")


if __name__ == "__main__":
    main()
