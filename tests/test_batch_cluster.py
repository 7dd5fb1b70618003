"""reform batch --engine dask --scheduler: the batch on a real dask.distributed cluster (two worker processes),
a partitioned Parquet dataset in and out, equal cell by cell to the local engine's output."""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from test_batch import FIXTURES, random_row

pytestmark = pytest.mark.xdist_group("cluster")   # one LocalCluster, on one worker only

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

DATES = ("--date", "2026-02-01", "--date", "2027-01-01")


def _dataset(path, rows: list[dict[str, str]], parts: int) -> None:
    """The rows as a directory of Parquet files (text columns, empty cells absent), in ``parts`` files."""
    path.mkdir()
    size = -(-len(rows) // parts)
    for i in range(parts):
        chunk = rows[i * size:(i + 1) * size]
        columns = {k: pa.array([r[k] or None for r in chunk], type=pa.string()) for k in rows[0]}
        pq.write_table(pa.table(columns), path / f"part-{i:02d}.parquet")


def _read(path) -> list[dict]:
    return pq.read_table(path).to_pylist() if path.is_file() else \
        pa.concat_tables(pq.read_table(f) for f in sorted(path.glob("*.parquet"))).to_pylist()


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_port=0) as c:
        yield c


@pytest.mark.slow  # an equality proof on hundreds of random citizens (make test runs it)
def test_a_two_process_cluster_answers_a_parquet_dataset_as_the_local_engine_does(tmp_path, cluster):
    rng = random.Random(18)
    rows = [random_row(rng, i) for i in range(400)]
    rows[7]["born"] = "1985-13-01"            # rows in error go to the errors file, numbered across the files
    rows[250]["benefit"] = "no-such-benefit"
    inp = tmp_path / "caseload"
    _dataset(inp, rows, parts=4)
    local, remote = tmp_path / "local.parquet", tmp_path / "answers"
    ra = run_cli("batch", str(inp), *DATES, "--out", str(local))
    rb = run_cli("batch", str(inp), *DATES, "--out", str(remote), "--engine", "dask",
                 "--scheduler", cluster.scheduler_address)
    assert ra.returncode == 0, ra.stderr
    assert rb.returncode == 0, rb.stderr
    assert "Traceback" not in rb.stderr
    assert remote.is_dir() and len(list(remote.glob("*.parquet"))) == 4   # one file per input file
    got, want = _read(remote), _read(local)
    assert len(want) == (400 - 2) * 2
    assert got == want                       # cell by cell, in the same order
    assert pq.read_schema(sorted(remote.glob("*.parquet"))[0]).names == pq.read_schema(local).names
    errors = (tmp_path / "answers.errors.csv").read_text(encoding="utf-8")
    assert errors == (tmp_path / "local.parquet.errors.csv").read_text(encoding="utf-8")
    assert errors.startswith("row,") and "\n8,p" in errors and "\n251,p" in errors
    assert "400 rows in, 796 rows out (2 dates), 2 rows in errors" in rb.stderr
    # the workers did the work: each loaded the rules in its own process
    workers = cluster.scheduler_info["workers"]
    assert len(workers) == 2


@pytest.mark.slow  # an equality proof on hundreds of random citizens (make test runs it)
def test_a_csv_input_on_the_cluster_equals_the_local_engine_too(tmp_path, cluster):
    rng = random.Random(5)
    inp = tmp_path / "in.csv"
    from test_batch import write_rows
    write_rows(inp, [random_row(rng, i) for i in range(300)])
    a, b = tmp_path / "local.csv", tmp_path / "dask.csv"
    ra = run_cli("batch", str(inp), *DATES, "--out", str(a))
    rb = run_cli("batch", str(inp), *DATES, "--out", str(b), "--engine", "dask", "--scheduler",
                 cluster.scheduler_address)
    assert ra.returncode == rb.returncode == 0, rb.stderr
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # free once closed: nothing listens there


def test_no_scheduler_at_the_address_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "out.csv"
    env = dict(os.environ, PYTHONPATH=str(ROOT), REFORM_SCHEDULER_TIMEOUT="1s")
    env.pop("REFORM_RULES", None)
    r = subprocess.run([sys.executable, "-m", "reform_rules", "batch", str(FIXTURES / "bad.csv"), "--date",
                        "2027-01-01", "--out", str(out), "--engine", "dask", "--scheduler",
                        f"tcp://127.0.0.1:{_closed_port()}"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2, r.stderr
    assert "cannot connect to a dask scheduler" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "out.csv.errors.csv").exists()


def test_scheduler_goes_with_the_dask_engine(tmp_path):
    r = run_cli("batch", str(FIXTURES / "bad.csv"), "--date", "2027-01-01", "--out", str(tmp_path / "o.csv"),
                "--scheduler", "tcp://127.0.0.1:8786")
    assert r.returncode == 2 and "--scheduler goes with --engine dask" in r.stderr


def test_a_dataset_directory_out_does_not_replace_a_directory_of_other_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    r = run_cli("batch", str(FIXTURES / "bad.csv"), "--date", "2027-01-01", "--out", str(out))
    assert r.returncode == 2 and "not replaced" in r.stderr, r.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
