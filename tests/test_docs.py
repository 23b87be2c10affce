"""Executable documentation: docs/model.md must describe the model that runs."""

from __future__ import annotations

from pathlib import Path

from caseload_sim.events import EventKind, ExitReason
from caseload_sim.scenario import parameter_markdown, parameter_table

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


def test_parameter_table_in_docs_matches_the_schema() -> None:
    start = MODEL_MD.index("<!-- parameters:start -->\n") + len("<!-- parameters:start -->\n")
    end = MODEL_MD.index("<!-- parameters:end -->")
    assert MODEL_MD[start:end] == parameter_markdown(), (
        "docs/model.md's parameter table is out of date: run `make docs`"
    )


def test_every_parameter_has_unit_range_and_provenance() -> None:
    for row in parameter_table():
        assert row["unit"], row["parameter"]
        assert row["range"] and row["range"] != "any", row["parameter"]
        assert any(tag in row["provenance"] for tag in ("[S]", "[L]", "[A]")), row["parameter"]


def test_every_event_kind_and_exit_reason_is_documented() -> None:
    for kind in EventKind:
        assert f"`{kind.name.lower()}`" in MODEL_MD, f"event kind {kind.name} missing from docs/model.md"
    for reason in ExitReason:
        assert f"`{reason.label}`" in MODEL_MD, f"exit reason {reason.label} missing from docs/model.md"
