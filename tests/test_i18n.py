"""The one catalogue of the program's own words: every msgid in the code has its Danish, the placeholders
agree, an unknown language is Danish, and a command's text is in one language throughout."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from reform_rules.answer.diff import AnswerChange
from reform_rules.basics.i18n import DEFAULT_LANG, LANGS, Words, gettext, ngettext, pick_lang, po_path, translator

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2)}   # as in babel.cfg's documented command
PLACEHOLDER = re.compile(r"\{[^{}]*\}|\$\d")
# Words that are English and never Danish: none may be in a Danish text (the rules' own labels are Danish there).
ENGLISH = {"period", "periods", "phase", "because", "changed", "none", "and", "the", "of", "rule", "rules", "benefit",
           "begins", "ends", "ended", "months", "since", "yes", "true", "false", "open_questions", "target", "group",
           "programme", "programmes", "sanctions", "contact", "requirements", "meetings", "meeting", "under",
           "previous", "before", "after", "reform", "undetermined", "waived", "comes", "into", "force", "citizen",
           "turns", "new", "questions", "errors", "error", "nothing", "loaded", "clean", "sources", "situations",
           "change", "dates", "gaps", "overlaps", "checked", "warning", "certificate", "edited", "added", "removed"}
# ("forløb" is left out: the rules' English labels keep it as a term of art)
DANISH = {"perioder", "periode", "fase", "begrundelse", "ændret", "ingen", "og", "reglen", "ydelsen", "begynder",
          "målgruppe", "kontaktkrav", "sanktioner", "samtaler", "fejl", "regler", "kilder", "ja", "nej",
          "uafklaret", "situationer"}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d]+(?:_[^\W\d]+)*", text)}


def _extracted() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Every msgid the code uses, by (context, singular): its (singular, plural) and where it is."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    out: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for file, line, msg, _comments, context in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS):
        ids = msg if isinstance(msg, tuple) else (msg,)
        out.setdefault((context, ids[0]), (*ids, f"{file}:{line}"))
    return out


@pytest.fixture(scope="module")
def catalog():
    with po_path("da").open("rb") as f:
        return read_po(f, locale="da")


def test_every_msgid_in_the_code_has_its_danish(catalog):
    used = _extracted()
    assert len(used) > 200   # the extraction found the code's words (a wrong babel.cfg finds none)
    missing = []
    for (context, msgid), (*ids, where) in used.items():
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings) or (len(ids) == 2) != isinstance(entry.id, tuple):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "not (or not fully) translated in reform.po:\n" + "\n".join(missing)


def test_the_catalogue_has_no_word_the_code_no_longer_uses(catalog):
    used = set(_extracted())
    stale = [m.id for m in catalog if m.id and (m.context, m.id if isinstance(m.id, str) else m.id[0]) not in used]
    assert not stale, f"in reform.po but not in the code (run pybabel update): {stale}"


def test_placeholders_agree(catalog):
    """The Danish fills the same ``{name}`` and ``$1`` places as the English (else .format or the page breaks)."""
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        want = set(PLACEHOLDER.findall(m.id[-1] if isinstance(m.id, tuple) else m.id))
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wrong += [(m.id, s) for s in strings if set(PLACEHOLDER.findall(s)) != want]
    assert not wrong, f"placeholders differ between English and Danish: {wrong}"


@pytest.mark.parametrize("asked", [None, "", "de", "DA", "english", 7])
def test_a_missing_or_unknown_language_is_danish(asked):
    assert pick_lang(asked) == DEFAULT_LANG == "da"
    assert translator(asked).gettext("none") == "ingen"
    assert Words({"none": "none"})[asked]["none"] == "ingen"


def test_english_is_the_msgid_and_danish_comes_from_the_po():
    assert LANGS == ("da", "en")
    assert gettext("none", "en") == "none" and gettext("none", "da") == "ingen"
    assert [ngettext("{n} period", "{n} periods", n, "da").format(n=n) for n in (1, 2)] == ["1 periode", "2 perioder"]
    assert [ngettext("{n} period", "{n} periods", n, "en").format(n=n) for n in (1, 2)] == ["1 period", "2 periods"]


def test_timeline_in_danish_has_no_english_word(cli):
    r = cli("timeline", "scenarios/examples/thomas.yaml", "--lang", "da")
    assert r.returncode == 0, r.stderr
    assert "perioder" in r.stdout and "ændret:" in r.stdout and "begrundelse:" in r.stdout
    assert not _words(r.stdout) & ENGLISH, sorted(_words(r.stdout) & ENGLISH)


def test_timeline_in_english_has_no_danish_word(cli):
    r = cli("timeline", "scenarios/examples/thomas.yaml", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "periods" in r.stdout and "changed:" in r.stdout and "because:" in r.stdout
    assert not _words(r.stdout) & DANISH, sorted(_words(r.stdout) & DANISH)


def test_check_in_danish_has_no_english_word_and_in_english_no_danish(cli):
    da = cli("check", "--quick", "--lang", "da")
    en = cli("check", "--quick", "--lang", "en")
    assert da.returncode == en.returncode == 0, da.stderr + en.stderr
    prose = [r.stdout.split(":", 1)[1] for r in (da, en)]   # after the rules directory's path
    assert "regler" in prose[0] and "ingen fejl" in prose[0] and not _words(prose[0]) & ENGLISH, prose[0]
    assert "rules" in prose[1] and "clean" in prose[1] and not _words(prose[1]) & DANISH, prose[1]


def test_a_diff_line_is_in_one_language():
    change = AnswerChange("felt", "a1", "b2", {date(2027, 1, 1), date(2027, 3, 1)}, {"s1", "s2"})
    single = AnswerChange("felt", "a1", "b2", {date(2027, 1, 1)}, {"s1"})
    assert change.line("en") == ("from 2027-01-01 (2 change dates, last 2027-03-01): 2 situations move felt from "
                                 "a1 to b2")
    assert single.line("en") == "on 2027-01-01: 1 situation moves felt from a1 to b2"
    for line in (change.line("da"), single.line(None)):
        assert "flytter felt fra a1 til b2" in line and not _words(line) & ENGLISH, line


def test_query_with_what_if_is_english_or_danish_throughout(cli):
    """The program's headings in the one language asked for (the sources quote Danish documents either way)."""
    args = ("query", "scenarios/examples/lone.yaml", "--date", "2026-08-10", "--what-if")
    en, da = cli(*args, "--lang", "en"), cli(*args)
    assert en.returncode == da.returncode == 0, en.stderr + da.stderr
    english = ["Because:", "Source:", "Receipt:", "What could change the answer?", "Rules that", "The answer rests on"]
    danish = ["Begrundelse:", "Kilde:", "Kvittering:", "Hvad kunne ændre svaret?", "Regler, der", "Svaret hviler på"]
    assert all(w in en.stdout for w in english[:5]) and not [w for w in danish if w in en.stdout]
    assert all(w in da.stdout for w in danish[:5]) and not [w for w in english if w in da.stdout]


def test_reform_timeline_does_not_load_the_web_package():
    """The timeline's words are in the answer stage: the command line never reaches into the web package."""
    code = ("import sys\nfrom reform_rules.cli.main import main\n"
            "main(['timeline', 'scenarios/examples/thomas.yaml', '--lang', 'da'], standalone_mode=False)\n"
            "print('web modules:', sorted(m for m in sys.modules if m.startswith('reform_rules.web')))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert "perioder" in r.stdout and r.stdout.strip().endswith("web modules: []"), r.stdout[-300:]
