"""reform batch in other formats: Parquet in and out, XLSX out, --labels; each equal to the CSV path."""
from __future__ import annotations

import csv
import random
import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from reform_rules.caseload import formats as batch_formats
from reform_rules.caseload.batch import run_batch
from reform_rules.basics.errors import BatchError
from reform_rules.cli.main import main
from reform_rules.answer.explain import names_by_id

from conftest import run_cli
from test_batch import CSV_FIELDS, FIXTURES, OUTPUT_FIELDS, random_row, write_rows

DAYS = [date(2026, 7, 1), date(2027, 1, 1)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_parquet(path: Path) -> list[dict[str, str]]:
    table = pq.read_table(path)
    assert all(pa.types.is_string(t) for t in table.schema.types)
    return table.to_pylist()


def well_formed_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file that are CSV rows (a malformed record has no Parquet form)."""
    return [r for r in read_csv(path) if None not in r]


def to_parquet(rows: list[dict[str, str]], path: Path, typed: bool = False) -> None:
    """Rows as a Parquet file: string columns (empty cells null), or typed columns where a cell allows it."""
    columns = {}
    for k in CSV_FIELDS:
        values = [r.get(k) or None for r in rows]
        columns[k] = pa.array(values, type=pa.string())
    if typed:  # the columns a writer of real data would type: dates, yes/no, whole numbers
        def cast(k, fn, t):
            try:
                columns[k] = pa.array([None if v is None else fn(v) for v in (r.get(k) or None for r in rows)], type=t)
            except (ValueError, KeyError):   # a cell only text can hold: the column stays text
                pass
        for k in ("born", "from", "to", "programme_from", "programme_to"):
            cast(k, date.fromisoformat, pa.date32())
        for k in ("vocational_education", "exempted", "work_duty", "uncomplicated"):
            cast(k, lambda v: {"true": True, "1": True, "false": False, "0": False}[v.lower()], pa.bool_())
        cast("expected_absence_weeks", int, pa.int64())
    pq.write_table(pa.table(columns), path)


def run(base, inp: Path, out: Path, **kw):
    return run_batch(base, inp, out, DAYS, progress=False, **kw)


def test_parquet_round_trip_equals_csv_on_the_fixture(base, tmp_path):
    rows = well_formed_rows(FIXTURES / "bad.csv")
    src_csv, src_pq = tmp_path / "in.csv", tmp_path / "in.parquet"
    write_rows(src_csv, rows)
    to_parquet(rows, src_pq)
    a = run(base, src_csv, tmp_path / "a.csv")
    b = run(base, src_pq, tmp_path / "b.parquet")
    assert (a.rows_in, a.rows_out, a.errors) == (b.rows_in, b.rows_out, b.errors)
    assert b.rows_in == b.rows_out // len(DAYS) + b.errors and b.errors > 0
    got = read_parquet(tmp_path / "b.parquet")
    assert pq.read_schema(tmp_path / "b.parquet").names == list(OUTPUT_FIELDS)
    assert got == read_csv(tmp_path / "a.csv")
    assert (tmp_path / "b.parquet.errors.csv").read_text(encoding="utf-8") == \
        (tmp_path / "a.csv.errors.csv").read_text(encoding="utf-8")


@pytest.mark.slow
def test_parquet_round_trip_equals_csv_on_a_random_caseload_typed_or_not(base, tmp_path):
    rng = random.Random(11)
    rows = [random_row(rng, i) for i in range(900)]
    src_csv = tmp_path / "in.csv"
    write_rows(src_csv, rows)
    run(base, src_csv, tmp_path / "a.csv", chunk_rows=400)
    want = read_csv(tmp_path / "a.csv")
    assert len(want) == len(rows) * len(DAYS)
    for typed in (False, True):
        src = tmp_path / f"in-{typed}.parquet"
        to_parquet(rows, src, typed=typed)
        if typed:
            assert pq.read_schema(src).field("born").type == pa.date32()
        s = run(base, src, tmp_path / f"b-{typed}.parquet", chunk_rows=400)   # several chunks, as the CSV path
        assert s.rows_in == len(rows) and s.errors == 0
        assert read_parquet(tmp_path / f"b-{typed}.parquet") == want
    # and CSV in -> Parquet out, Parquet in -> CSV out
    run(base, src_csv, tmp_path / "c.parquet")
    assert read_parquet(tmp_path / "c.parquet") == want
    run(base, tmp_path / "in-True.parquet", tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()


@pytest.mark.slow
def test_a_partitioned_parquet_directory_in(base, tmp_path):
    rng = random.Random(5)
    rows = [random_row(rng, i) for i in range(400)]
    rows = [dict(r, municipality=r["municipality"] or "Vejle") for r in rows]   # a partition key on every row
    data = tmp_path / "caseload"
    pq.write_to_dataset(pa.table({k: pa.array([r[k] or None for r in rows], type=pa.string()) for k in CSV_FIELDS}),
                        data, partition_cols=["municipality"])
    assert len([p for p in data.iterdir() if p.is_dir()]) > 2
    s = run(base, data, tmp_path / "out.csv")
    assert s.rows_in == len(rows) and s.errors == 0 and s.rows_out == len(rows) * len(DAYS)
    # the same rows, in the dataset's order (partition by partition), answered as their CSV
    import pyarrow.dataset as ds
    order = ds.dataset(data, format="parquet", partitioning="hive").to_table(columns=["id"]).column("id").to_pylist()
    by_id = {r["id"]: r for r in rows}
    assert sorted(order) == sorted(by_id)
    flat = tmp_path / "flat.csv"
    write_rows(flat, [by_id[i] for i in order])
    run(base, flat, tmp_path / "flat-out.csv")
    assert read_csv(tmp_path / "out.csv") == read_csv(tmp_path / "flat-out.csv")


def test_parquet_input_refusals(base, tmp_path):
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["a"], "colour": ["blue"]}), bad)
    with pytest.raises(BatchError, match="unknown column"):
        run(base, bad, tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()
    pq.write_table(pa.table({"born": ["1990-01-01"]}), bad)
    with pytest.raises(BatchError, match="'id' is missing"):
        run(base, bad, tmp_path / "o.csv")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(BatchError, match="not a readable Parquet"):
        run(base, tmp_path / "junk.parquet", tmp_path / "o.csv")
    with pytest.raises(BatchError, match="standard output"):
        run(base, FIXTURES / "bad.csv", Path("-"), out_format="parquet")


@pytest.mark.slow
def test_xlsx_output_reads_back_equal_to_csv(base, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    rng = random.Random(3)
    rows = well_formed_rows(FIXTURES / "bad.csv") + [random_row(rng, i) for i in range(200)]
    rows[0] = dict(rows[0], id="=HYPERLINK(\"http://x\")")       # formula-looking ids stay text
    rows[-1] = dict(rows[-1], id="+45 1234")
    rows[-2] = dict(rows[-2], id="-1")
    rows[-3] = dict(rows[-3], id="@SUM(A1)")
    src = tmp_path / "in.csv"
    write_rows(src, rows)
    run(base, src, tmp_path / "a.csv")
    run(base, src, tmp_path / "b.xlsx")
    want = read_csv(tmp_path / "a.csv")
    sheet = openpyxl.load_workbook(tmp_path / "b.xlsx", read_only=False).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == list(OUTPUT_FIELDS)
    got = [{k: ("" if v is None else v) for k, v in zip(cells[0], row)} for row in cells[1:]]
    # the CSV marks a formula-looking citizen cell with a leading ' (for spreadsheets that open it); the sheet
    # stores the same text as text
    want = [dict(w, citizen=w["citizen"][1:]) if w["citizen"][:2] in ("'=", "'+", "'@") or
            (w["citizen"][:2] == "'-" and not w["citizen"][1:].lstrip("-").isdigit()) else w for w in want]
    assert got == want
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    quoted = {c.value for row in sheet.iter_rows() for c in row if c.quotePrefix}
    assert {'=HYPERLINK("http://x")', "+45 1234", "-1", "@SUM(A1)"} <= quoted
    # --format xlsx, whatever the name
    r = CliRunner().invoke(main, ["batch", str(src), "--date", "2027-01-01", "--out", str(tmp_path / "c.out"),
                                  "--format", "xlsx"])
    assert r.exit_code == 0, r.output
    with open(tmp_path / "c.out", "rb") as fh:
        assert openpyxl.load_workbook(fh).active.max_row == len(want) // len(DAYS) + 1


def test_xlsx_refuses_more_rows_than_a_sheet_holds(base, tmp_path, monkeypatch):
    pytest.importorskip("openpyxl")
    monkeypatch.setattr(batch_formats, "XLSX_MAX_ROWS", 20)
    rng = random.Random(1)
    src = tmp_path / "in.csv"
    write_rows(src, [random_row(rng, i) for i in range(11)])   # 11 rows x 2 dates = 22 > 20
    out = tmp_path / "o.xlsx"
    with pytest.raises(BatchError, match=r"more than a spreadsheet holds .*\.parquet or \.csv"):
        run(base, src, out)
    assert not out.exists()
    r = CliRunner().invoke(main, ["batch", str(src), "--date", "2026-07-01", "--date", "2027-01-01",
                                  "--out", str(out)])
    assert r.exit_code == 2 and "parquet or .csv" in r.output and not out.exists()
    s = run_batch(base, src, out, DAYS[:1], progress=False)
    assert s.rows_out == 11 and out.exists()    # one date: 11 rows fit
    monkeypatch.setattr(batch_formats, "XLSX_MAX_ROWS", 4)   # JSON Lines: its non-blank lines are counted first
    with pytest.raises(BatchError, match="up to 6 rows"):
        run_batch(base, FIXTURES / "small.jsonl", tmp_path / "j.xlsx", DAYS[:1], progress=False)
    assert not (tmp_path / "j.xlsx").exists()


def test_labels_in_english_beside_the_ids(base, tmp_path):
    out = tmp_path / "a.csv"
    r = run_cli("batch", str(FIXTURES / "bad.csv"), "--date", "2027-01-01", "--out", str(out), "--labels", "en")
    assert r.returncode == 0, r.stderr
    rows = read_csv(out)
    head = list(rows[0])
    for f in ("phase", "target_group", "structure", "sanctionable", "trial", "programmes"):
        assert head[head.index(f) + 1] == f"{f}_label"
    assert [c for c in head if not c.endswith("_label")] == list(OUTPUT_FIELDS)
    names, shape = names_by_id(base.ruleset, "en"), base.ruleset.answer
    for row in rows:
        assert row["phase_label"] == names[row["phase"]] and re.search(r"[A-Za-z]{3}", row["phase_label"])
        assert row["target_group_label"] == names[row["target_group"]]
        assert row["structure_label"] == shape.by_id("target_group").attribute_label("structure", row["structure"], "en")
        want = shape.by_id("sanctionable").value_label(row["sanctionable"], "en") if row["sanctionable"] else ""
        assert row["sanctionable_label"] == want
        assert (row["trial_label"] == "") == (row["trial"] == "")
    assert any(r["sanctionable_label"] for r in rows) and any(r["programmes_label"] for r in rows)
    da = tmp_path / "da.parquet"
    r = run_cli("batch", str(FIXTURES / "bad.csv"), "--date", "2027-01-01", "--out", str(da), "--labels", "da")
    assert r.returncode == 0, r.stderr
    got = read_parquet(da)
    assert [g["citizen"] for g in got] == [r["citizen"] for r in rows]
    assert got[0]["phase_label"] == names_by_id(base.ruleset, "da")[got[0]["phase"]] != rows[0]["phase_label"]
    j = run_cli("batch", str(FIXTURES / "bad.csv"), "--date", "2027-01-01", "--out", str(tmp_path / "a.jsonl"),
                "--labels", "en")
    assert j.returncode == 2 and "--labels" in j.stderr
