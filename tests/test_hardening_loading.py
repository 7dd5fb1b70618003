"""Hardening of loading: nothing a parse read is retained, every number and date in a rule file is
bounded, the rules directory is listed strictly, and what loads but looks wrong is warned about."""
from __future__ import annotations

import gc
import sys
import tracemalloc

from engine.loader import load_file, parse_text


def test_a_parsed_value_is_held_by_nothing_but_its_reader():
    """The old module-level YAML constructor kept every node it built (and so every value) for ever."""
    text = "id: " + "p" * 5000 + "-unique\nborn: 1980-01-01\n"
    doc = parse_text(text, "citizen")
    value = doc.data["id"]
    del doc
    gc.collect()
    # one reference is ``value``, one is getrefcount's own argument: no cache holds the text
    assert sys.getrefcount(value) == 2


def test_many_parses_do_not_grow_memory(tmp_path):
    """200 parses of 20 kB each: what stays allocated afterwards is far less than one tenth of what was read."""
    path = tmp_path / "example.yaml"
    count, size = 200, 20_000
    parse_text("warm: up\n", "warm")  # imports and first-use caches are not what is measured
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            path.write_text(f"note: {i:04d}{'x' * size}\n", encoding="utf-8")
            assert len(load_file(path).data["note"]) == size + 4
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < count * size / 10, f"{grown:,} bytes still allocated after {count} parses"
