"""Pack files keep their line numbers: YAML values, CSV records (multi-line cells, comments)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cityioc.packs.problems import Problems
from cityioc.packs.sources import read_csv, read_json, read_yaml


def test_yaml_values_know_their_lines(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "# comment\n- id: a\n  when: 2025-07-01\n  list:\n    - 1\n    - x: 2\n- id: b\n",
        encoding="utf-8",
    )
    problems = Problems()
    marked = read_yaml(tmp_path, "a.yaml", problems)
    assert marked is not None and not problems
    assert marked.data[0]["when"] == date(2025, 7, 1)
    assert marked.line((0,)) == 2
    assert marked.line((0, "when")) == 3
    assert marked.line((0, "list", 1, "x")) == 6
    assert marked.line((1, "id")) == 7
    assert marked.line((1, "missing", "deeper")) == 7  # the closest ancestor that exists


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- id: a\n  name: [unclosed\n- id: b\n", encoding="utf-8")
    (tmp_path / "dup.yaml").write_text("- id: a\n  kind: x\n  kind: y\n", encoding="utf-8")
    problems = Problems()
    assert read_yaml(tmp_path, "bad.yaml", problems) is None
    read_yaml(tmp_path, "dup.yaml", problems)
    found = [str(p) for p in problems.items]
    assert found[0].startswith("bad.yaml:3: not valid YAML")
    assert found[1] == "dup.yaml:3: duplicate key 'kind'"


def test_csv_records_start_lines_skip_comments_but_not_quoted_hashes(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        '# header comment\na,b\n1,"two\n# inside quotes"\n# between records\n\n3,4\n5\n',
        encoding="utf-8",
    )
    problems = Problems()
    table = read_csv(tmp_path, "t.csv", problems)
    assert table is not None
    assert table.header_line == 2
    assert [(r.line, r.values["b"]) for r in table.rows] == [
        (3, "two\n# inside quotes"),
        (7, "4"),
    ]
    assert [str(p) for p in problems.items] == ["t.csv:8: expected 2 fields, found 1"]


def test_json_numbers_follow_json_and_keep_lines(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text('{"a": [1e-5, "2",\n 3.5, true]}', encoding="utf-8")
    marked = read_json(tmp_path, "g.json", Problems())
    assert marked is not None
    assert marked.data == {"a": [1e-5, "2", 3.5, True]}
    assert marked.line(("a", 2)) == 2


def test_unreadable_files_are_problems_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes(b"a,b\n\xe9,1\n")
    problems = Problems()
    assert read_csv(tmp_path, "latin.csv", problems) is None
    assert read_yaml(tmp_path, "absent.yaml", problems) is None
    assert [p.file for p in problems.items] == ["latin.csv", "absent.yaml"]
    assert "not UTF-8" in problems.items[0].message
