import pytest

from reform_rules.law.loader import LoadError, load_file, parse_text


def test_line_marks_for_nested_values():
    doc = parse_text("a: 1\nrules:\n  - id: x\n    valid: {from: 2026-13-01}\n", "t.yaml")
    assert doc.data["rules"][0]["valid"]["from"] == "2026-13-01"  # dates stay text for validation
    assert doc.line(("rules", 0, "valid", "from")) == 4
    assert doc.line(("rules", 0, "missing")) == 3                   # nearest ancestor


@pytest.mark.parametrize("text, line, words", [
    ("a: &x 1\nb: *x\n", 1, "anchors and aliases"),
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    ("a:\n\tb: 1\n", 2, "tab"),
    ("a: [1,\n", 2, "YAML syntax error"),
])
def test_refused_with_line(text, line, words):
    with pytest.raises(LoadError) as err:
        parse_text(text, "t.yaml")
    assert err.value.line == line
    assert words in str(err.value)
    assert str(err.value).startswith(f"t.yaml:{line}:")


def test_size_limit_refused_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 2_000_000)
    with pytest.raises(LoadError) as err:
        load_file(big, "big.yaml", max_bytes=1_000_000)
    assert "limit" in str(err.value)


def test_not_utf8(tmp_path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes("navn: Ærø".encode("latin-1"))
    with pytest.raises(LoadError, match="not UTF-8"):
        load_file(f)


@pytest.mark.parametrize("text", ["=\n", "a: =\n", "- !!python/object:os.system x\n"])
def test_scalars_yaml_cannot_type_do_not_crash(text):
    try:
        parse_text(text, "t.yaml")
    except LoadError as exc:
        assert str(exc).startswith("t.yaml:")


RULE_FILES = sorted(p for p in __import__("pathlib").Path(__file__).resolve().parent.parent.joinpath("rules").glob("*.yaml"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_libyaml_and_python_parsers_give_the_same_document(path, monkeypatch):
    """The fast (libyaml) path must build exactly what the pure-Python parser builds, lines included."""
    import reform_rules.law.loader as loader
    if loader._C_LOADER is None:
        pytest.skip("PyYAML without libyaml")
    fast = loader.load_file(path)
    monkeypatch.setattr(loader, "_C_LOADER", None)
    slow = loader.load_file(path)
    assert fast.data == slow.data
    assert fast.lines == slow.lines


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: [1,\n", "a:\n\tb: 1\n", "a: 1\nb: 2\na: 3\n", "a: \x07\n"])
def test_libyaml_path_words_errors_as_the_python_parser(text, monkeypatch):
    import reform_rules.law.loader as loader
    with pytest.raises(LoadError) as fast:
        parse_text(text, "t.yaml")
    monkeypatch.setattr(loader, "_C_LOADER", None)
    with pytest.raises(LoadError) as slow:
        parse_text(text, "t.yaml")
    assert str(fast.value) == str(slow.value)
