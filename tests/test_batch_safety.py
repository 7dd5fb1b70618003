"""reform batch when the input is broken or the run is: no valid row lost, no output that looks complete
and is not, no refused id repeated, nothing a spreadsheet or a terminal would run."""
from __future__ import annotations

import csv
import fcntl
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from reform_rules.caseload.files import MAX_CELL
from test_batch import CSV_FIELDS

from batch_helpers import assert_rows_add_up
from conftest import ROOT, run_cli

DAY = "2027-01-01"
HEADER = ",".join(CSV_FIELDS)


def row(cid: str, **cells: str) -> dict[str, str]:
    """A valid flat row (dagpenge since mid-2026), with ``cells`` changed."""
    r = {k: "" for k in CSV_FIELDS}
    r.update({"id": cid, "born": "1990-05-01", "municipality": "Aarhus", "benefit": "dagpenge", "from": "2026-06-01"})
    r.update(cells)
    return r


def line(r: dict[str, str]) -> str:
    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="").writerow(r)
    return buf.getvalue()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_csv(path_or_text) -> list[dict[str, str]]:
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(io.StringIO(text)))


def batch(inp: Path, out: Path | str, *args: str):
    return run_cli("batch", str(inp), "--date", DAY, "--out", str(out), *args)


# -- item 6: a broken record loses no valid row ------------------------------------------------------------------
def twelve_after() -> tuple[list[str], list[str]]:
    """12 records, 7 of them valid: their lines and the ids that must be answered."""
    bad = {2: {"born": "1990-13-01"}, 5: {"benefit": "dagpnege"}, 7: {"from": ""}, 9: {"id": ""},
           11: {"to": "2020-01-01"}}
    lines, good = [], []
    for i in range(12):
        lines.append(line(row(f"after{i}", **bad.get(i, {}))))
        if i not in bad:
            good.append(f"after{i}")
    return lines, good


@pytest.mark.parametrize("where", ["born", "programme_to"])
def test_an_unterminated_quote_is_one_row_in_error_and_no_valid_row_is_lost(tmp_path, where):
    """Before: the quote folded the rest of the file into one bad row (or, in the last column, into one
    cell of a row), so the 12 records after it were lost, 7 of them valid."""
    after, good_after = twelve_after()
    broken = line(row("broken"))   # ends in the empty cell of programme_to
    broken = broken.replace(",1990-05-01,", ',"1990-05-01,') if where == "born" else broken + '"2027-01-01'
    inp = write_lines(tmp_path / "in.csv", [line(row("before1")), line(row("before2")), broken] + after)
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    rows_in, rows_out, errors = assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    assert rows_in == 15 and errors == 1 + 5
    assert [g["citizen"] for g in read_csv(out)] == ["before1", "before2"] + good_after
    bad = {int(e["row"]): e for e in read_csv(out.with_name("out.csv.errors.csv"))}
    assert bad[3]["message"].startswith("row 3 (line 4): a quote")
    assert bad[3]["id"] == "" and "1990-05-01" not in bad[3]["message"]   # the broken line is not echoed
    assert sorted(bad) == [3, 6, 9, 11, 13, 15]


def test_two_stray_quotes_lose_only_their_own_lines(tmp_path):
    """Two unterminated quotes used to pair up across the lines between them."""
    lines = [line(row(f"p{i}")) for i in range(10)]
    lines[2] = lines[2].replace("Aarhus", '"Aarhus')
    lines[6] = lines[6].replace("dagpenge", '"dagpenge')
    inp = write_lines(tmp_path / "in.csv", lines)
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    assert [g["citizen"] for g in read_csv(out)] == [f"p{i}" for i in range(10) if i not in (2, 6)]
    errors = read_csv(out.with_name("out.csv.errors.csv"))
    assert [(e["row"], e["message"][:20]) for e in errors] == [("3", "row 3 (line 4): a qu"), ("7", "row 7 (line 8): a qu")]


def test_a_10_mb_cell_is_one_row_in_error_not_a_stopped_run(tmp_path):
    """Before: exit 2, 'straddling object straddles two block boundaries', nothing answered."""
    huge = "x" * (10 << 20)
    inp = write_lines(tmp_path / "in.csv", [line(row("a")), line(row("huge", municipality=huge)), line(row("b")),
                                            line(row("e" * MAX_CELL)),   # the longest cell read

                                            line(row("over", id="o" * (MAX_CELL + 1))), line(row("c"))])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    assert [g["citizen"][:4] for g in read_csv(out)] == ["a", "b", "eeee", "c"]   # a cell of MAX_CELL bytes is read
    errors_file = out.with_name("out.csv.errors.csv")
    assert errors_file.stat().st_size < 1000                                   # the cell is not echoed
    bad = read_csv(errors_file)
    assert [e["message"] for e in bad] == [
        f"row 2 (line 3): municipality: a cell of {10 << 20:,} bytes (at most {MAX_CELL:,})",
        f"row 5 (line 6): id: a cell of {MAX_CELL + 1:,} bytes (at most {MAX_CELL:,})"]


def test_row_numbers_past_a_skipped_record_are_right_in_every_part_of_a_message(tmp_path):
    inp = write_lines(tmp_path / "in.csv", [line(row("a")), line(row("long")) + ",extra",
                                            line(row("two", born="1990-13-01", benefit="dagpnege"))])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    bad = {int(e["row"]): e["message"] for e in read_csv(out.with_name("out.csv.errors.csv"))}
    assert bad[2] == "row 2 (line 3): not a CSV row of 19 fields (it has 20)"
    parts = bad[3].split(" | ")
    assert len(parts) == 2 and all(p.startswith("row 3: ") for p in parts), bad[3]


def test_a_json_line_that_is_not_utf8_is_one_row_in_error(tmp_path):
    good = json.dumps({"id": "a", "born": "1990-05-01", "spells": [{"benefit": "dagpenge", "from": "2026-06-01"}]})
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(good.encode() + b"\n" + good.replace('"a"', '"K\xf8ge"').encode("latin-1") + b"\n" +
                    good.replace('"a"', '"b"').encode() + b"\n")
    out = tmp_path / "out.jsonl"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    assert [json.loads(x)["citizen"] for x in out.read_text(encoding="utf-8").splitlines()] == ["a", "b"]
    assert "row 2: not UTF-8 text" in out.with_name("out.jsonl.errors.csv").read_text(encoding="utf-8")


# -- item 6: a killed run leaves nothing that looks like a result; two runs to one output --------------------------
@pytest.fixture(scope="module")
def big_caseload(tmp_path_factory) -> Path:
    """A synthetic caseload (bench/batch.py) big enough for a run of a few seconds."""
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "bench" / "batch.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path_factory.mktemp("big") / "caseload.csv"
    bench.write_csv(bench.generate(200_000, date(2027, 1, 1)), path)
    return path


def start_batch(inp: Path, out: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CI="1")
    env.pop("REFORM_RULES", None)
    return subprocess.Popen([sys.executable, "-m", "reform_rules", "batch", str(inp), "--date", DAY, "--date", "2026-01-01",
                             "--out", str(out), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``path`` exists (the run has begun writing); fails if the run ends first."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the batch ended before writing {path.name}: {proc.communicate()}"
        assert time.monotonic() < end, f"no {path.name} after {timeout} s"
        time.sleep(0.01)


@pytest.mark.parametrize("sig, ext", [(signal.SIGTERM, "csv"), (signal.SIGINT, "jsonl")])
def test_a_killed_batch_leaves_no_output_and_no_older_errors_file(big_caseload, tmp_path, sig, ext):
    out = tmp_path / f"answers.{ext}"
    errors = tmp_path / f"answers.{ext}.errors.csv"
    out.write_text("an older run's answers\n", encoding="utf-8")
    errors.write_text("row,id,message\n1,x,an older run's error\n", encoding="utf-8")
    proc = start_batch(big_caseload, out)
    wait_for(tmp_path / f"answers.{ext}.partial", proc)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, stderr
    assert stderr.strip() == f"reform batch: stopped by {signal.Signals(sig).name} before the end; no output was written"
    assert sorted(os.listdir(tmp_path)) == []   # no output, no older errors file, no .partial, no .lock


@pytest.mark.slow
def test_a_second_batch_to_the_same_output_is_refused_while_the_first_runs(big_caseload, tmp_path):
    out = tmp_path / "answers.csv"
    first = start_batch(big_caseload, out)
    wait_for(tmp_path / "answers.csv.partial", first)
    first.send_signal(signal.SIGSTOP)   # the first holds its lock, certainly still running
    try:
        second = run_cli("batch", str(big_caseload), "--date", DAY, "--out", str(out))
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 3
    assert second.stderr.strip() == (f"{out}: another reform batch (process {first.pid}) is writing this file; "
                                     f"wait for it to finish or choose another --out")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert_rows_add_up(big_caseload, 2, out=out, stderr=stderr)
    assert sorted(os.listdir(tmp_path)) == ["answers.csv", "answers.csv.errors.csv"]


def test_a_held_lock_refuses_the_batch_and_leaves_the_older_output(tmp_path):
    inp = write_lines(tmp_path / "in.csv", [line(row("a"))])
    out = tmp_path / "out.csv"
    out.write_text("older\n", encoding="utf-8")
    with open(tmp_path / "out.csv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = batch(inp, out)
        assert r.returncode == 3 and "another reform batch is writing this file" in r.stderr
        assert out.read_text(encoding="utf-8") == "older\n"
        # the errors file is a target of its own
        r = run_cli("batch", str(inp), "--date", DAY, "--out", str(tmp_path / "other.csv"), "--errors", str(out))
        assert r.returncode == 3, r.stderr
    (tmp_path / "out.csv.lock").unlink()
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv", "out.csv.errors.csv"]


def test_a_finished_run_replaces_the_older_files_and_a_refused_input_leaves_them(tmp_path):
    inp = write_lines(tmp_path / "in.csv", [line(row("a")), line(row("b", born="x"))])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0
    before = out.read_bytes(), out.with_name("out.csv.errors.csv").read_bytes()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,colour\nx,red\n", encoding="utf-8")
    r = batch(wrong, out)
    assert r.returncode == 2 and "unknown column(s) colour" in r.stderr
    assert (out.read_bytes(), out.with_name("out.csv.errors.csv").read_bytes()) == before
    write_lines(inp, [line(row("c"))])
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert [g["citizen"] for g in read_csv(out)] == ["c"]
    assert read_csv(out.with_name("out.csv.errors.csv")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv", "out.csv.errors.csv", "wrong.csv"]


def test_an_output_that_is_the_input_is_refused(tmp_path):
    inp = write_lines(tmp_path / "in.csv", [line(row("a"))])
    before = inp.read_bytes()
    r = batch(inp, inp)
    assert r.returncode == 2 and "is the input file" in r.stderr
    r = batch(inp, tmp_path / "o.csv", "--errors", str(tmp_path / "o.csv"))
    assert r.returncode == 2 and "is the output file too" in r.stderr
    assert inp.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_an_unexpected_failure_is_one_line_and_exit_70(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import reform_rules.caseload.batch
    from reform_rules.cli.main import main

    def broken(*args, **kwargs):
        raise ValueError("something\x1b[2J unexpected")
    monkeypatch.setattr(reform_rules.caseload.batch, "run_batch", broken)
    inp = write_lines(tmp_path / "in.csv", [line(row("a"))])
    result = CliRunner().invoke(main, ["batch", str(inp), "--date", DAY, "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 70
    assert result.output.strip().startswith("reform batch: internal error (ValueError: something\\x1b[2J unexpected)")
    assert "Traceback" not in result.output and "\x1b" not in result.output
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


# -- item 7: a refused CPR number is never repeated ----------------------------------------------------------------
CPRS = ("0101901234", "010190-1234")


def test_a_cpr_number_as_id_is_not_copied_into_the_errors_file_or_onto_stderr(tmp_path):
    inp = write_lines(tmp_path / "in.csv", [line(row("a")), line(row(CPRS[0])), line(row(CPRS[1], born="x")),
                                            line(row("b"))])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    text = out.with_name("out.csv.errors.csv").read_text(encoding="utf-8")
    assert not any(c in text for c in CPRS) and not any(c in r.stderr for c in CPRS)
    bad = read_csv(text)
    assert [(e["row"], e["id"]) for e in bad] == [("2", ""), ("3", "")]
    assert bad[0]["message"] == "row 2: id: looks like a CPR number; use a pseudonymous id"
    assert "row 3: id: looks like a CPR number" in bad[1]["message"] and "row 3: born:" in bad[1]["message"]
    s = batch(inp, "-")   # the errors CSV on stderr
    assert s.returncode == 0 and "looks like a CPR number" in s.stderr
    assert not any(c in s.stderr or c in s.stdout for c in CPRS)


def test_a_cpr_number_in_json_lines_is_not_repeated(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps({"id": c, "spells": []}) for c in CPRS) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    text = out.with_name("out.jsonl.errors.csv").read_text(encoding="utf-8")
    assert not any(c in text for c in CPRS) and text.count("looks like a CPR number") == 2


# -- item 10: nothing a spreadsheet or a terminal would run ---------------------------------------------------------
@pytest.mark.slow
def test_formula_cells_are_neutralised_and_numbers_and_dates_left_alone(tmp_path):
    ids = ["=cmd|' /C calc'!A0", "+45 1234", "@SUM(A1)", "-x", "-12", "+3.5", "p1"]
    inp = write_lines(tmp_path / "in.csv", [line(row(i)) for i in ids] + [line(row("=HYPERLINK(1)", born="x"))])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    got = read_csv(out)
    assert [g["citizen"] for g in got] == ["'=cmd|' /C calc'!A0", "'+45 1234", "'@SUM(A1)", "'-x", "-12", "+3.5", "p1"]
    assert {g["date"] for g in got} == {DAY}
    for g in got:   # no cell of any column starts a formula, unless it is a plain number
        for cell in g.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell in ("-12", "+3.5"), g
    assert read_csv(out.with_name("out.csv.errors.csv"))[0]["id"] == "'=HYPERLINK(1)"
    j = tmp_path / "out.jsonl"   # JSON Lines is not a spreadsheet: the ids as they are
    r = batch(inp, j)
    assert [json.loads(x)["citizen"] for x in j.read_text(encoding="utf-8").splitlines()] == ids
    pytest.importorskip("dask.dataframe")
    d = tmp_path / "dask.csv"   # the dask engine writes the same cells
    r = batch(inp, d, "--engine", "dask")
    assert r.returncode == 0, r.stderr
    assert d.read_bytes() == out.read_bytes()


def test_the_dask_engine_refuses_a_malformed_file_in_one_line(tmp_path):
    pytest.importorskip("dask.dataframe")
    inp = write_lines(tmp_path / "in.csv", [line(row("a")), line(row("b")).replace("Aarhus", '"Aarhus'),
                                            line(row("c"))])
    r = batch(inp, tmp_path / "out.csv", "--engine", "dask")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "not a well-formed CSV file for --engine dask" in r.stderr and "Traceback" not in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_control_characters_are_escaped_in_the_errors_file_and_on_stderr(tmp_path):
    evil = "evil\x1b[2J\x1b]0;owned\x07\nnext\u202e"
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": evil, "born": "x", "spells": []}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)
    text = out.with_name("out.jsonl.errors.csv").read_text(encoding="utf-8")
    assert not any(ch in text for ch in "\x1b\x07\u202e") and text.count("\n") == 2   # header and one row
    assert read_csv(text)[0]["id"] == "evil\\x1b[2J\\x1b]0;owned\\x07\\nnext\\u202e"
    s = batch(inp, "-")
    assert s.returncode == 0 and "evil\\x1b[2J" in s.stderr
    assert not any(ch in s.stderr for ch in "\x1b\x07\u202e")
    header = tmp_path / "h.csv"
    header.write_text("id,col\x1b[31mour\nx,y\n", encoding="utf-8")
    h = batch(header, tmp_path / "h-out.csv")
    assert h.returncode == 2 and "unknown column(s) col\\x1b[31mour" in h.stderr and "\x1b" not in h.stderr
