"""Executable documentation: docs/model.md must describe the model that runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(after: str, language: str) -> str:
    """The first fenced block of ``language`` after the heading ``after`` in the README."""
    start = README.index(after)
    fence = f"```{language}\n"
    begin = README.index(fence, start) + len(fence)
    return README[begin : README.index("```", begin)]


def test_the_readme_experiment_file_is_valid_with_every_point(tmp_path: Path) -> None:
    from caseload_sim.sweep import load_experiment, make_plan

    (tmp_path / "experiments").mkdir()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    path = tmp_path / "experiments" / "readme.yaml"
    path.write_text(_block("## For researchers", "yaml"), encoding="utf-8")
    plan = make_plan(load_experiment(path), path)
    assert len(plan.points) == 18 and len(plan.tasks) == 180


def test_the_readme_python_example_runs_as_a_script_with_spawned_workers(tmp_path: Path) -> None:
    """The README's API example, run for real (spawned workers import the script: the guard matters)."""
    import subprocess
    import sys

    (tmp_path / "small.yaml").write_text(
        "name: small\nteams:\n  - {name: a, specialists: 2, referrals_per_week: 0.6}\n"
        "run: {warmup_days: 30, horizon_days: 400}\n",
        encoding="utf-8",
    )
    (tmp_path / "exp.yaml").write_text(
        "name: exp\nscenario: small.yaml\nfactors:\n  - {path: regulation.caseload_cap, levels: [10, 20]}\n"
        "design: {kind: grid}\nreplications: 2\nkpis: [wait_days_mean]\n",
        encoding="utf-8",
    )
    code = _block("**From Python**", "python")
    code = code.replace("experiments/cap_by_referrals.yaml", str(tmp_path / "exp.yaml"))
    code = code.replace("out/cap_by_referrals", str(tmp_path / "out"))
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "wait_days_mean" in done.stdout, done.stdout
    assert (tmp_path / "out" / "points.parquet").exists()


def test_without_the_main_guard_the_error_says_what_to_do(tmp_path: Path) -> None:
    """The README's example without its guard: spawned workers re-run the script and die; the
    error names the missing guard instead of only 'BrokenProcessPool'."""
    import subprocess
    import sys

    (tmp_path / "small.yaml").write_text(
        "name: small\nteams:\n  - {name: a, specialists: 1}\nrun: {warmup_days: 0, horizon_days: 60}\n",
        encoding="utf-8",
    )
    (tmp_path / "exp.yaml").write_text(
        "name: exp\nscenario: small.yaml\nfactors:\n  - {path: regulation.caseload_cap, levels: [10, 20]}\n"
        "design: {kind: grid}\nreplications: 1\n",
        encoding="utf-8",
    )
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from caseload_sim.executors import ProcessExecutor\n"
        "from caseload_sim.sweep import load_experiment, make_plan, run_sweep\n"
        f"plan = make_plan(load_experiment({str(tmp_path / 'exp.yaml')!r}), {str(tmp_path / 'exp.yaml')!r})\n"
        f"run_sweep(plan, {str(tmp_path / 'out')!r}, ProcessExecutor(2), resume=True)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1], done.stderr[-1500:]


TEACHING = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")


def test_every_picture_in_the_lesson_plans_is_there() -> None:
    import re

    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", TEACHING)
    assert len(pictures) >= 7
    for picture in pictures:
        assert (ROOT / "docs" / picture).is_file(), (
            f"docs/teaching.md shows {picture}: run `make screenshots`"
        )


def test_every_animate_command_in_the_lesson_plans_runs(tmp_path: Path, monkeypatch: Any) -> None:
    """Each ``caseload-sim animate …`` of docs/teaching.md, as printed (line continuations joined),
    runs and writes its file; a trainer copying a lesson's command gets the lesson."""
    import re
    import shlex

    from typer.testing import CliRunner

    from caseload_sim.cli import app

    monkeypatch.chdir(ROOT)
    commands = [
        shlex.split(line.split("#")[0])
        for line in re.sub(r"\\\n\s*", " ", TEACHING).splitlines()
        if line.startswith("caseload-sim animate ") and "out/baseline" not in line
    ]
    assert len(commands) >= 8
    for i, words in enumerate(commands):
        args = words[1:]
        if "--out" in args:
            args[args.index("--out") + 1] = str(tmp_path / f"{i}.html")
        else:
            args += ["--out", str(tmp_path / f"{i}.html")]
        got = CliRunner().invoke(app, args)
        assert got.exit_code == 0, f"{' '.join(words)}: {got.output}"
        assert (tmp_path / f"{i}.html").stat().st_size > 10_000
