"""The documentation site: built from the rules with warnings as errors, naming every rule id, listing every
open question, drawing its pictures, and showing only commands that still work.

The site is built once per run: ``docs/_build/html`` when ``make docs`` wrote it with ``-W`` after every
source it is built from last changed (docs/, rules/, reform_rules/), else a build with ``-W`` into a
temporary directory here, so the build itself is tested wherever pytest runs, CI included. The build
and the tests on it are ``slow`` (``make test-fast`` leaves them out).
"""
from __future__ import annotations

import html
import re
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from docutils.nodes import make_id

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BUILT = DOCS / "_build" / "html"
sys.path.insert(0, str(DOCS / "_ext"))

import commands  # noqa: E402  (docs/_ext/commands.py: the one list of the guides' commands)

pytestmark = pytest.mark.xdist_group("docs")   # the site and the guides' commands, made once, on one worker only

ID_LINE = re.compile(r"^\s*-?\s*id:\s*([A-Za-z0-9._-]+)", re.M)
SVG = "{http://www.w3.org/2000/svg}"


def yaml_ids() -> list[str]:
    """Every ``id:`` that starts a line in rules/*.yaml (rules, sources, vocabulary, parameters)."""
    ids: set[str] = set()
    for f in sorted((ROOT / "rules").glob("*.yaml")):
        ids.update(ID_LINE.findall(f.read_text("utf-8")))
    return sorted(ids)


@pytest.fixture(scope="module")
def ruleset():
    from reform_rules import RuleBase
    return RuleBase.load(ROOT / "rules").ruleset


# `make docs` writes this after a successful `sphinx -W` build (and removes it first): the build is whole.
BUILT_STAMP = BUILT / ".built-with-W"
SOURCES = (DOCS, ROOT / "rules", ROOT / "reform_rules", ROOT / "scenarios")


def _fresh_build() -> Path | None:
    """``docs/_build/html`` when ``make docs`` built it with ``-W`` after the last change to its sources."""
    if not BUILT_STAMP.is_file():
        return None
    built = BUILT_STAMP.stat().st_mtime
    for top in SOURCES:
        for path in top.rglob("*"):
            if "_build" in path.parts or "__pycache__" in path.parts or not path.is_file():
                continue
            if path.stat().st_mtime > built:
                return None
    return BUILT


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> tuple[int, Path]:
    """The site, built once with ``-W``: (exit status, output directory)."""
    fresh = _fresh_build()
    if fresh is not None:
        return 0, fresh
    from sphinx.cmd.build import build_main
    out = tmp_path_factory.mktemp("docs-html")
    status = build_main(["-W", "-q", "-b", "html", str(DOCS), str(out)])
    return status, out


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    status, out = built_site
    if status != 0:
        pytest.fail("the docs build failed (see test_docs_build_with_warnings_as_errors)")
    return out


def page_text(path: Path) -> str:
    return html.unescape(path.read_text("utf-8"))


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(built_site):
    status, out = built_site
    assert status == 0, "sphinx -W failed: run `make docs` to see the warnings"
    assert (out / "index.html").is_file()
    assert (out / "generated" / "rules" / "index.html").is_file()


# (a) every id in the rule files is on the site
@pytest.mark.slow
def test_every_rule_id_is_in_the_built_html(site, ruleset):
    text = "\n".join(page_text(p) for p in site.rglob("*.html"))
    missing = [i for i in yaml_ids() if i not in text]
    assert not missing, f"ids in rules/*.yaml missing from the built site: {missing}"
    for rule in ruleset.rules:  # and every rule has its own anchor in the catalogue
        page = site / "generated" / "rules" / f"{rule.subject}.html"
        assert f'id="{make_id(rule.id)}"' in page.read_text("utf-8"), f"{rule.id}: no anchor on {page.name}"


# (b) every provisional rule and every undetermined answer is on the open-questions page
@pytest.mark.slow
def test_open_questions_page_lists_provisional_and_undetermined_rules(site, ruleset):
    page = page_text(site / "generated" / "open-questions.html")
    wanted = [r for r in ruleset.rules if r.status == "provisional" or r.undetermined]
    assert wanted, "the rules have no open question at all?"
    missing = [r.id for r in wanted if f"#rule-{r.id}\"" not in page]
    assert not missing, f"not linked from the open-questions page: {missing}"
    settled = [r.id for r in ruleset.rules if r.status != "provisional" and not r.undetermined
               and f"#rule-{r.id}\"" in page]
    assert not settled, f"settled rules on the open-questions page: {settled}"


# (c) every command the guides show runs with the exit code the list declares
@pytest.fixture(scope="module")
def command_results():
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {c.id: pool.submit(commands.run, c) for c in commands.slow_first(commands.COMMANDS)}
        return {cid: f.result() for cid, f in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("command", commands.COMMANDS, ids=lambda c: c.id)
def test_guide_command_runs_with_its_declared_exit_code(command, command_results):
    res = command_results[command.id]
    assert not res.error, res.error
    assert res.exit == command.exit, (f"{command.shown}: exit {res.exit}, the guide says {command.exit}\n"
                                      f"{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    assert "Traceback" not in res.stdout + res.stderr
    assert res.output.strip(), f"{command.shown} printed nothing"


def test_guides_include_exactly_the_listed_commands():
    included = set()
    for rst in (DOCS / "guides").glob("*.rst"):
        included.update(re.findall(r"/generated/commands/([a-z0-9-]+?)(?:\.diff)?\.inc", rst.read_text("utf-8")))
    listed = {c.id for c in commands.COMMANDS}
    assert included - listed == set(), f"guides include commands not in docs/_ext/commands.py: {included - listed}"
    assert listed - included == set(), f"commands listed but shown in no guide: {listed - included}"
    assert len(listed) == len(commands.COMMANDS), "command ids must be unique"


def test_the_broken_file_example_fails_as_the_guide_says():
    cmd = commands.by_id("check-misspelt-benefit")
    res = commands.run(cmd)
    assert res.exit == 1 == cmd.exit
    assert "rules/jobpraemie.yaml:" in res.stderr and "when.benefit" in res.stderr and "kontanthjelp" in res.stderr


# (d) the pictures are well-formed SVG and say what they should
def _svg(site: Path, name: str) -> ET.Element:
    found = sorted((site / "_images").glob(f"{name}*.svg"))
    assert found, f"no {name}.svg in {site / '_images'}"
    return ET.parse(found[0]).getroot()


def _texts(root: ET.Element) -> str:
    return "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.mark.slow
def test_timeline_svg_shows_the_phases_and_their_dates(site, ruleset):
    root = _svg(site, "timeline")
    assert root.tag == f"{SVG}svg"
    text = _texts(root)
    phases = ruleset.in_family("phase")
    assert len(phases) >= 4
    for rule in phases:
        assert rule.then_value["id"] in text
        if rule.valid_from:
            assert rule.valid_from.isoformat() in text
    for day in ("2026-02-01", "2026-07-01", "2027-01-01"):
        assert day in text


@pytest.mark.slow
def test_mapping_svg_joins_every_old_group_to_a_new_one(site, ruleset):
    root = _svg(site, "mapping")
    text = _texts(root)
    groups = [r for r in ruleset.rules if r.then_kind == "target_group" and isinstance(r.then_value, dict)]
    cut = min(r.valid_from for r in groups if r.then_value["structure"] == "new-5")
    old = {r.then_value["id"] for r in groups if r.then_value["structure"] == "old-13"
           and r.valid_on(cut - timedelta(days=1))}
    new = {r.then_value["id"] for r in groups if r.then_value["structure"] == "new-5"}
    assert len(old) == 13 and len(new) == 5
    for gid in old | new:
        assert gid in text, f"{gid} is not in mapping.svg"
    lines = list(root.iter(f"{SVG}path"))
    assert len(lines) >= 13, "one line at least from every old group"
    assert cut == date(2027, 1, 1)


@pytest.mark.slow
def test_every_picture_is_well_formed_svg(site):
    pictures = sorted((site / "_images").glob("*.svg"))
    assert {p.stem.split(".")[0] for p in pictures} >= {"timeline", "mapping", "architecture"}
    for p in pictures:
        root = ET.parse(p).getroot()
        assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None, p.name
