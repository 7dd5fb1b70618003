"""The program's own words in Danish and English: one gettext catalogue, read with Babel.

The words are written in English in the code, wrapped in ``_()`` (``gettext``), ``ngettext`` or
``pgettext`` of :func:`translator` (or marked with :func:`N_` where a table of words is built before
the language is known); their Danish is in ``locale/da/LC_MESSAGES/reform.po`` beside this module.
The ``.po`` file is read once per process with Babel's ``read_po`` and compiled in memory: there is no
build step and no ``.mo`` file. Labels that come from the rules (titles, value labels with da/en in
``rules/*.yaml``) stay in the rules; this catalogue holds only the program's own words.

One fallback rule everywhere (command line, web pages, API, docs): a language that is missing or not
one of :data:`LANGS` is Danish, the language of the law (:func:`pick_lang`).
"""
from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGS = ("da", "en")
DEFAULT_LANG = "da"      # the law's language: what a missing or unknown language falls back to
SOURCE_LANG = "en"       # the language of the msgids in the code
DOMAIN = "reform"
LOCALE_DIR = Path(__file__).with_name("locale")


def pick_lang(value: object) -> str:
    """``value`` when it is one of :data:`LANGS`; anything else (None, ``"de"``, ``""``) is Danish."""
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


def po_path(lang: str) -> Path:
    """Where the catalogue of ``lang`` is kept (``locale/<lang>/LC_MESSAGES/reform.po``)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translator(lang: str | None) -> NullTranslations:
    """The words of ``lang`` (after :func:`pick_lang`): an object with ``gettext``, ``ngettext`` and
    ``pgettext``. English is the msgids themselves; Danish is the ``.po`` compiled in memory."""
    lang = pick_lang(lang)
    if lang == SOURCE_LANG:
        return NullTranslations()
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)          # fuzzy entries are left out, so they read as English
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def gettext(message: str, lang: str | None) -> str:
    """``message`` (an English msgid) in ``lang``."""
    return translator(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None) -> str:
    """The singular or plural of a msgid for ``n`` in ``lang`` (format ``{n}`` into it yourself)."""
    return translator(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` as a msgid for extraction without translating it (translate it later with ``gettext``)."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """Mark a msgid with a context (the same English, other Danish) for extraction; :class:`Words` reads it
    with ``pgettext``. Extraction knows it as the keyword ``NP_:1c,2`` (see ``babel.cfg``)."""
    return (context, message)


Msgid = str | tuple[str, str]


class Words(Mapping[str, dict[str, str]]):
    """A table of msgids by key, read in a language: ``WORDS[lang][key]``. Any language is accepted and
    passes through :func:`pick_lang` (an unknown one reads as Danish); each language is translated once."""

    def __init__(self, msgids: dict[str, Msgid]) -> None:
        self.msgids = msgids
        self._read: dict[str, dict[str, str]] = {}

    def __getitem__(self, lang: str) -> dict[str, str]:
        lang = pick_lang(lang)
        if lang not in self._read:
            t = translator(lang)
            # babel annotates pgettext as ``str | object``; it returns the message text (a str)
            self._read[lang] = {k: t.pgettext(*m) if isinstance(m, tuple) else t.gettext(m)  # type: ignore[misc]
                                for k, m in self.msgids.items()}
        return self._read[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


__all__ = ["DEFAULT_LANG", "LANGS", "NP_", "N_", "Words", "gettext", "ngettext", "pick_lang", "po_path", "translator"]
