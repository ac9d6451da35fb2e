from pathlib import Path

from kesu.complaints.management.commands.lifecycle import lifecycle_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def test_lifecycle_doc_is_generated_from_the_table():
    assert DOC.read_text(encoding="utf-8") == lifecycle_markdown(), (
        "docs/lifecycle.md is stale: run `uv run kesu lifecycle > docs/lifecycle.md`"
    )
