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


# --------------------------------------------------------------------------- the README's commands
# The README's ```sh blocks, read as a user would type them: every `caseload-sim` command
# names a real subcommand and only options it has, every file it names exists, and the
# five-minute tour never writes where an earlier step (or `make run`) wrote. No command is
# run: where a command writes is worked out from its options and the scenarios' names,
# the way the CLI works it out.

MAKE_RUN_FOLDER = Path("out/baseline")  # `make run` writes here; no README command may
TOUR = "## A five-minute tour"


def _section(heading: str) -> str:
    """The README from ``heading`` to the next level-2 heading."""
    start = README.index(heading)
    end = README.find("\n## ", start + len(heading))
    return README[start : end if end >= 0 else len(README)]


def _sh_lines(text: str) -> list[tuple[str, list[str]]]:
    """Each command line of the ```sh blocks in ``text``: the line, and its words without the comment."""
    import re
    import shlex

    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append((line, words))
    return lines


def _click_app() -> Any:
    import typer

    from caseload_sim.cli import app

    return typer.main.get_command(app)


def _options(
    command: Any, words: list[str], line: str, *, stop_at_argument: bool = False
) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Split ``words`` into positional words and {option name: [values]} for a command of the app.

    Fails on an option the command does not have, a flag given a value, an option without its
    value, or a number that is not one. With ``stop_at_argument`` it stops at the first
    positional word (a group's options come before the subcommand) and returns the rest too.
    """
    by_flag = {
        flag: param
        for param in command.params
        if param.param_type_name == "option"
        for flag in (*param.opts, *param.secondary_opts)
    }
    said = f"README: `{line.strip()}`"
    positional: list[str] = []
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word == "-":
            if stop_at_argument:
                break
            positional.append(word)
            i += 1
            continue
        flag, equals, value = word.partition("=")
        assert flag in by_flag, (
            f"{said}: `{command.name}` has no option {flag}; it has {', '.join(sorted(by_flag))}"
        )
        param = by_flag[flag]
        if param.is_flag:
            assert not equals, f"{said}: {flag} is a flag and takes no value"
            value = "true"
        elif not equals:
            i += 1
            assert i < len(words), f"{said}: {flag} needs a value"
            value = words[i]
        number = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if number in (int, float):
            try:
                number(value)
            except ValueError:
                raise AssertionError(f"{said}: {flag} {value}: not a number ({number.__name__})") from None
        options.setdefault(param.name, []).append(value)
        i += 1
    return positional, options, words[i:]


def _call(line: str, words: list[str]) -> tuple[str, list[str], dict[str, list[str]]]:
    """A ``caseload-sim …`` line as (subcommand, positional words, options), checked against the app."""
    group = _click_app()
    said = f"README: `{line.strip()}`"
    _, _, rest = _options(group, words[1:], line, stop_at_argument=True)
    assert rest, f"{said} names no subcommand"
    name, rest = rest[0], rest[1:]
    assert name in group.commands, f"{said}: no subcommand {name!r}; there are {', '.join(group.commands)}"
    command = group.commands[name]
    positional, options, _ = _options(command, rest, line)
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    fixed = sum(p.nargs for p in arguments if p.nargs > 0)
    variadic = [p for p in arguments if p.nargs < 0]
    least = fixed + sum(1 for p in variadic if p.required)
    assert len(positional) >= least and (variadic or len(positional) == fixed), (
        f"{said}: `{name}` takes {'at least ' if variadic else ''}{least} argument(s) "
        f"({', '.join(p.name or '' for p in arguments)}), got {len(positional)}: {positional}"
    )
    return name, positional, options


def _writes(name: str, positional: list[str], options: dict[str, list[str]]) -> tuple[Path, str] | None:
    """Where a `caseload-sim` call writes, as (path, "folder" or "file"), the way the CLI decides it."""
    from caseload_sim.cli import _compare_folder, _default_folder
    from caseload_sim.scenario import load_scenario

    out = Path(options["out"][-1]) if "out" in options else None

    def scenario_name(path: str) -> str:
        return load_scenario(ROOT / path).name  # --set never changes the name, only the folder

    sets = options.get("set")

    if name in ("validate", "diff", "query", "app"):
        return None
    if name == "run":
        return out or _default_folder(Path("out") / scenario_name(positional[0]), sets), "folder"
    if name == "compare":
        return out or _default_folder(_compare_folder([scenario_name(p) for p in positional]), sets), "folder"
    if name == "warmup":
        return out or Path("out") / f"warmup-{scenario_name(positional[0])}.html", "file"
    if name == "report":
        return out or Path(positional[0]) / "report.html", "file"
    if name == "analyze":
        return out or Path(positional[0]) / "sweep_report.html", "file"
    if name == "sweep":
        from caseload_sim.sweep import load_experiment

        return out or Path("out") / load_experiment(ROOT / positional[0]).name, "folder"
    if name == "animate":
        return out or Path("out") / scenario_name(positional[0]) / "animation.html", "file"
    raise AssertionError(
        f"tests/test_docs.py does not know where `caseload-sim {name}` writes: teach _writes"
    )


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def _calls(text: str) -> list[tuple[str, str, list[str], dict[str, list[str]]]]:
    return [(line, *_call(line, words)) for line, words in _sh_lines(text) if words[0] == "caseload-sim"]


def test_every_readme_command_names_a_real_subcommand_with_its_options() -> None:
    calls = _calls(README)
    assert len(calls) >= 18
    assert len(_calls(_section(TOUR))) >= 9
    subcommands = {name for _, name, _, _ in calls}
    assert {"run", "compare", "validate", "diff", "report", "warmup"} <= subcommands


def test_every_file_a_readme_command_names_exists() -> None:
    import re

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for line, words in _sh_lines(README):
        if words[0] == "make":
            for target in words[1:]:
                assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), (
                    f"README: `{line}`: no make target"
                )
            continue
        if words[0] != "caseload-sim":
            continue
        _, positional, _ = _call(line, words)
        for word in positional:
            if word.endswith((".yaml", ".yml")):
                found = (
                    sorted(ROOT.glob(word))
                    if "*" in word
                    else [ROOT / word]
                    if (ROOT / word).is_file()
                    else []
                )
                assert found, f"README: `{line.strip()}` names {word}, which is not in the repository"


def _tour_writes() -> list[tuple[str, str, list[str], Path, str]]:
    """The tour's `caseload-sim` lines in order, with what each reads and where it writes."""
    writes = []
    for line, name, positional, options in _calls(_section(TOUR)):
        target = _writes(name, positional, options)
        if target is not None:
            writes.append((line, name, positional, *target))
    return writes


def test_no_tour_step_replaces_what_an_earlier_step_or_make_run_made() -> None:
    done: list[tuple[str, Path, str]] = [("make run", MAKE_RUN_FOLDER, "folder")]
    for line, name, positional, path, kind in _tour_writes():
        for earlier, earlier_path, earlier_kind in done:
            # `report` adds report.html to the folder it reads (the README says so); nothing else may
            # write at, into or around what an earlier step wrote.
            adds = (
                name == "report"
                and kind == "file"
                and earlier_kind == "folder"
                and path.parent == earlier_path == Path(positional[0])
                and earlier != "make run"
            )
            assert adds or not _overlap(path, earlier_path), (
                f"README tour: `{line.strip()}` writes {path}, where `{earlier.strip()}` wrote {earlier_path}: "
                "give it an --out of its own"
            )
        done.append((line, path, kind))
    assert len(done) >= 8


def test_the_tour_says_where_each_step_writes() -> None:
    """Every place a tour step writes is named in the tour, and a `# -> PATH` comment is right."""
    tour = _section(TOUR)
    for line, _, _, path, _ in _tour_writes():
        assert f"`{path}`" in tour or f"`{path}/`" in tour or f" {path}" in line, (
            f"README tour: `{line.strip()}` writes {path}, which the tour does not name"
        )
        if "# ->" in line:
            said = Path(line.split("# ->", 1)[1].split()[0])
            assert said == path, f"README tour: `{line.strip()}` says it writes {said}; it writes {path}"


def test_the_tour_reads_only_what_an_earlier_step_wrote() -> None:
    """`report DIR` and the pandas one-liner read folders an earlier step (or `make run`) wrote."""
    import re

    written = [MAKE_RUN_FOLDER]
    for line, words in _sh_lines(_section(TOUR)):
        target = None
        if words[0] == "caseload-sim":
            name, positional, options = _call(line, words)
            reads = [Path(positional[0])] if name in ("report", "analyze", "query") else []
            target = _writes(name, positional, options)
        else:
            reads = [Path(p) for p in re.findall(r"out/[\w./-]+", line.split("#")[0])]
        for path in reads:
            assert any(path == w or w in path.parents for w in written), (
                f"README tour: `{line.strip()}` reads {path}, which no earlier step writes"
            )
        if target is not None:
            written.append(target[0])


def test_no_readme_command_writes_into_make_runs_folder() -> None:
    """`make run` fills out/baseline/ with its report; a README command writing there would replace them."""
    for line, name, positional, options in _calls(README):
        target = _writes(name, positional, options)
        if target is not None:
            assert not _overlap(target[0], MAKE_RUN_FOLDER), (
                f"README: `{line.strip()}` writes {target[0]}, into `make run`'s {MAKE_RUN_FOLDER}/: give it an --out"
            )


def test_the_scenario_the_tour_shows_is_the_file() -> None:
    """Step 3 shows scenarios/cap12.yaml; the block is the file without its comments."""
    shown = _block("**3. Compare two caseload caps.**", "yaml")
    file = (ROOT / "scenarios" / "cap12.yaml").read_text(encoding="utf-8")
    assert shown == "".join(line for line in file.splitlines(keepends=True) if not line.startswith("#"))
