"""reform batch reads the CSV files analysts have: separated by commas, semicolons (Danish Excel) or tabs,
in UTF-8 (with or without BOM), UTF-16 or Windows-1252; or says what is wrong and which flag fixes it.
And the exit codes of the analyst guide are the ones the commands give."""
from __future__ import annotations

import csv
import fcntl
import io
import re
import signal

import pytest

from test_batch import CSV_FIELDS

from batch_helpers import assert_rows_add_up
from conftest import ROOT, run_cli

DAY = "2027-02-01"
ROWS = [  # newly unemployed in København and Ærø are in the free-choice trial: the answers show they were read right
    {"id": "mette", "born": "1983-06-30", "municipality": "København", "benefit": "dagpenge", "from": "2027-01-10"},
    {"id": "søren", "born": "1990-01-01", "municipality": "Ærø", "benefit": "dagpenge", "from": "2027-01-20"},
    {"id": "p;1", "born": "1970-02-03", "municipality": "Aarhus", "benefit": "kontanthjaelp",
     "assessment": "jobparat", "from": "2026-03-01"},
    {"id": "p,2", "born": "1962-02-29", "municipality": "Vejle", "benefit": "dagpenge", "from": "2026-01-01"},
]


def csv_text(delimiter: str = ",", lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, delimiter=delimiter, lineterminator=lineterminator)
    w.writeheader()
    w.writerows([{k: r.get(k, "") for k in CSV_FIELDS} for r in ROWS])
    return buf.getvalue()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The answers and errors for the rows written the plain way (commas, UTF-8)."""
    d = tmp_path_factory.mktemp("ref")
    inp, out = d / "in.csv", d / "out.csv"
    inp.write_text(csv_text(), encoding="utf-8")
    r = run_cli("batch", str(inp), "--date", DAY, "--out", str(out))
    assert r.returncode == 0, r.stderr
    answers = out.read_text(encoding="utf-8")
    # the comparison sees a misread encoding: København read as KÃ¸benhavn is not the same municipality
    inp.write_text(csv_text().replace("København", "KÃ¸benhavn").replace("Ærø", "Ã†rÃ¸"), encoding="utf-8")
    garbled = run_cli("batch", str(inp), "--date", DAY, "--out", "-")
    assert answers.count("forsoeg-frit-valg") == 2
    assert garbled.returncode == 0 and "forsoeg-frit-valg" not in garbled.stdout
    return answers, out.with_name("out.csv.errors.csv").read_text(encoding="utf-8")


SEMICOLONS = "cells separated by semicolons (--delimiter to choose)"
TABS = "cells separated by tabs (--delimiter to choose)"


@pytest.mark.parametrize("name, data, encoding, notes", [
    ("semicolons", csv_text(";").encode("utf-8"), "utf-8", [SEMICOLONS]),
    ("tabs", csv_text("\t").encode("utf-8"), "utf-8", [TABS]),
    ("bom", b"\xef\xbb\xbf" + csv_text().encode("utf-8"), "utf-8", []),
    ("crlf", csv_text(lineterminator="\r\n").encode("utf-8"), "utf-8", []),
    ("danish excel", csv_text(";", "\r\n").encode("cp1252"), "cp1252",
     [SEMICOLONS, "read as Windows-1252 text, as it is not UTF-8 (--encoding to choose)"]),
    ("excel unicode text", csv_text("\t", "\r\n").encode("utf-16"), "utf-16",
     ["read as UTF-16 text, as it is not UTF-8 (--encoding to choose)", TABS]),
])
def test_the_dialect_is_detected_and_the_answers_are_the_same(reference, tmp_path, name, data, encoding, notes):
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    inp.write_bytes(data)
    r = run_cli("batch", str(inp), "--date", DAY, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out.read_text(encoding="utf-8"), out.with_name("out.csv.errors.csv").read_text(encoding="utf-8")) \
        == reference
    assert_rows_add_up(inp, 1, out=out, stderr=r.stderr, encoding=encoding)
    assert r.stderr.splitlines()[:-1] == [f"reform batch: {inp}: {note}" for note in notes]


def test_the_flags_say_it_instead(reference, tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    inp.write_bytes(csv_text(";").encode("latin-1"))
    r = run_cli("batch", str(inp), "--date", DAY, "--out", str(out), "--delimiter", ";", "--encoding", "latin-1")
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == reference[0]
    assert "separated" not in r.stderr and "read as" not in r.stderr   # nothing was detected
    pipe = tmp_path / "pipe.csv"
    pipe.write_text(csv_text("|"), encoding="utf-8")
    r = run_cli("batch", str(pipe), "--date", DAY, "--out", str(out), "--delimiter", "|")
    assert r.returncode == 0 and out.read_text(encoding="utf-8") == reference[0]


@pytest.mark.slow
def test_impact_reads_a_danish_excel_file(tmp_path):
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    plain.write_text(csv_text(), encoding="utf-8")
    excel.write_bytes(csv_text(";", "\r\n").encode("cp1252"))
    a = run_cli("impact", str(plain), "--to", "2027-02-01", "--lang", "en")
    b = run_cli("impact", str(excel), "--to", "2027-02-01", "--lang", "en")
    assert a.returncode == b.returncode == 0, b.stderr
    assert a.stdout == b.stdout and "read as Windows-1252" in b.stderr


@pytest.mark.parametrize("data, args, message", [
    (csv_text(";", "\r\n").encode("cp1252"), ("--encoding", "utf-8"),
     "not UTF-8 text (line 2); a file Excel saved as 'CSV' is Windows-1252: give --encoding cp1252"),
    (csv_text().encode("utf-8") + "x,1990-01-01,Ærø,,,,dagpenge,,2026-01-01,,,,,,,\n".encode("cp1252"), (),
     "partly UTF-8 and partly not (line 6): two encodings in one file"),
    (csv_text(), ("--delimiter", ";"), "unknown column(s) id,born,"),
    (csv_text(), ("--delimiter", ";"), "if the cells are separated by commas, give --delimiter ','"),
    (csv_text("|"), (), "if the cells are separated by another character, give it as --delimiter"),
    (csv_text(), ("--encoding", "klingon"), "--encoding: 'klingon' is not an encoding"),
    (csv_text(), ("--delimiter", "ab"), "--delimiter: 'ab' is not a separator"),
    (csv_text(";").encode("utf-16"), ("--encoding", "utf-8"), "not UTF-8"),
])
def test_a_wrong_dialect_is_one_clear_line_and_exit_2(tmp_path, data, args, message):
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    inp.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    r = run_cli("batch", str(inp), "--date", DAY, "--out", str(out), *args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# -- the exit codes of the analyst guide --------------------------------------------------------------------------
def documented_exit_codes() -> dict[int, str]:
    text = (ROOT / "docs" / "guides" / "analyst.rst").read_text(encoding="utf-8")
    section = text.split("\nExit codes\n----------\n", 1)[1].split("\n----", 1)[0]
    return {int(code): meaning for code, meaning in re.findall(r"\* - ``(\d+)``\n\s+- (.*)", section)}


def test_the_exit_codes_are_the_ones_the_analyst_guide_lists(tmp_path, monkeypatch):
    codes = documented_exit_codes()
    assert sorted(codes) == [0, 1, 2, 3, 70, 130, 143]
    bad = ROOT / "tests" / "fixtures" / "batch" / "bad.csv"
    out = tmp_path / "out.csv"

    def batch(*args: str):
        return run_cli("batch", str(bad), "--date", DAY, "--out", str(out), *args)

    seen = {0: batch(), 1: batch("--rules", str(tmp_path / "no-rules")), 2: batch("--date", "2027-02-30")}
    with open(tmp_path / "out.csv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        seen[3] = batch()
    for code, result in seen.items():
        assert result.returncode == code, (code, result.stderr)
        assert "Traceback" not in result.stderr
    assert "rows in errors" in seen[0].stderr and "finished" in codes[0]
    assert "rules did not load" in codes[1] and "another ``reform batch``" in codes[3].lower()

    from click.testing import CliRunner

    import reform_rules.caseload.batch
    from reform_rules.cli.main import main
    monkeypatch.setattr(reform_rules.caseload.batch, "run_batch", lambda *a, **k: 1 / 0)
    result = CliRunner().invoke(main, ["batch", str(bad), "--date", DAY, "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 70 and "internal error" in codes[70]
    # 130 and 143 are run in tests/test_batch_safety.py (a batch stopped by SIGINT, SIGTERM)
    assert (130, 143) == (128 + signal.SIGINT, 128 + signal.SIGTERM)
    assert "SIGINT" in codes[130] and "SIGTERM" in codes[143]
