"""The README documents every view column and every command (a test, so docs cannot drift)."""
from pathlib import Path

from flows.cli import build_parser
from schemas.docs import describe
from tasks.docs import END, START, tables_markdown, view_columns

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_view_column_has_a_description():
    missing = [(v, c) for v, cols in view_columns().items() for c, _ in cols if not describe(v, c)]
    assert missing == []


def test_readme_table_reference_is_current():
    section = README.split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == tables_markdown().strip(), "run: python -m tasks.docs README.md"


def test_readme_documents_every_command():
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"newsflow {name}" in README, name
