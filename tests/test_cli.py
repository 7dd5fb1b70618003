"""The CLI as a user runs it: a real process, real files, exit codes and messages."""
import json
import shutil
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def test_query_text_is_danish_and_cited(cli):
    r = cli("query", "scenarios/examples/anna.yaml", "--date", "2027-03-01")
    assert r.returncode == 0, r.stderr
    assert "Målgruppe:" in r.stdout and "Begrundelse:" in r.stdout and "Kilde:" in r.stdout
    assert "lab6-08-ressourceforloeb" in r.stdout


def test_query_json_and_english(cli):
    r = cli("query", "scenarios/examples/lone.yaml", "--date", "2026-08-10", "--json", "--lang", "en")
    a = json.loads(r.stdout)
    assert a["target_group"] == {"id": "lab6-06-sygedagpenge", "structure": "old-13"}
    assert a["obligations"][0]["by"] == "2027-02-02" and a["obligations"][0]["waived"] is True
    assert "Sick-listed" in a["explanation"][-1]["text"] or any("Sick" in e["text"] for e in a["explanation"])


def test_bad_citizen_exits_2_naming_the_field(cli, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("id: b1\nspells:\n  - {benefit: lottery, from: 2026-01-01}\n")
    r = cli("query", str(f), "--date", "2026-03-01")
    assert r.returncode == 2
    assert "spells[0].benefit" in r.stderr and "lottery" in r.stderr and "Traceback" not in r.stderr


def test_bad_query_date_exits_2(cli):
    r = cli("query", "scenarios/examples/anna.yaml", "--date", "2026-99-01")
    assert r.returncode == 2 and "--date" in r.stderr and "2026-99-01" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_citizen_file(cli):
    r = cli("query", "nowhere.yaml", "--date", "2026-03-01")
    assert r.returncode == 2 and "nowhere.yaml" in r.stderr and "Traceback" not in r.stderr


def test_check_broken(cli, tmp_path):
    da = cli("check", "--quick", env={"REFORM_LANG": "da"})
    assert da.returncode == 0 and ": ingen fejl" in da.stdout   # $REFORM_LANG sets the default
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    p = copy / "programmes.yaml"
    p.write_text(p.read_text().replace("valid: {from: 2026-02-01}", "valid: {from: 2026-13-01}", 1))
    bad = cli("check", "--rules", str(copy))
    assert bad.returncode == 1
    assert "programmes.yaml:" in bad.stderr and "'2026-13-01' is not a date" in bad.stderr
    assert "nothing was loaded" in bad.stderr and "Traceback" not in bad.stderr
    da = cli("check", "--quick", "--lang", "da", "--rules", str(copy))
    assert da.returncode == 1 and "intet blev indlæst" in da.stderr
    q = cli("query", "scenarios/examples/anna.yaml", "--date", "2026-03-01", "--rules", str(copy))
    assert q.returncode == 1 and "2026-13-01" in q.stderr


def test_parameters(cli):
    r = cli("parameters", "--date", "2027-06-01", "--json")
    data = json.loads(r.stdout)
    values = {p["id"]: p["value"] for p in data["parameters"]}
    assert values["besparelse-oevo"] == 300 and values["kompetencepulje"] == 45
    assert "skaerpet-tilsyn" not in values


def test_version_and_help(cli):
    assert cli("--version").returncode == 0
    assert "query" in cli("--help").stdout
