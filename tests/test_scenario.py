"""Scenario files: every shipped file loads and runs, ``extends:`` merges as documented,
and bad input of any kind becomes a :class:`ScenarioError` that names the file and the key.

The fuzz tests start from the baseline with *every* key written out (its validated
dump), break it in one place, write it to a file and load it: the only acceptable
outcome is a ``ScenarioError`` whose message points at the file and the offending
key path — never another exception, never a silent default.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload_sim.events import check_transitions
from caseload_sim.model import simulate
from caseload_sim.scenario import Scenario, ScenarioError, load_scenario, resolve_document, scenario_from_dict
from model_fixtures import SCENARIO_DIR, caseload_problems, shortened, week_table_problems
from strategies import Mutation, apply_mutation, dotted, mutations, scenario_dicts

SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


# ------------------------------------------------------------------ shipped scenarios


def test_there_are_scenario_files() -> None:
    assert len(SCENARIO_FILES) >= 5, f"expected the shipped scenarios in {SCENARIO_DIR}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_file_loads_and_round_trips(path: Path) -> None:
    scenario = load_scenario(path)
    again = scenario_from_dict(scenario.model_dump(mode="json"))
    assert again == scenario and again.digest() == scenario.digest(), (
        "dump -> validate must give the same scenario"
    )
    assert scenario.description.strip(), f"{path.name}: say what question the scenario answers"


def test_scenario_names_are_unique() -> None:
    names = [load_scenario(p).name for p in SCENARIO_FILES]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"scenario names {dupes} repeat: they would share an output folder"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_file_runs_and_obeys_the_rules(path: Path) -> None:
    """Each shipped file runs 120 days — or until two months past its last scheduled change.

    (A staffing change, a team's opening or a change of its referral rate.)
    """
    full = load_scenario(path)
    last_change = max(
        (
            at
            for t in full.teams
            for at in (
                t.opens_at_days,
                *(c.at_days for c in t.changes),
                *(r.at_days for r in t.referral_changes),
            )
        ),
        default=0.0,
    )
    scenario = shortened(full, 0.0, max(120.0, last_change + 60.0))
    log = simulate(scenario, 1, 0)
    assert len(log.candidates) > 0, f"{path.name}: nobody referred"
    assert check_transitions(log) == []
    assert caseload_problems(log, scenario) == []
    assert len(log.weeks) > 0 and week_table_problems(log) == []
    posts = sum(
        t.copies * (t.specialists + sum(c.specialists for c in t.changes if c.specialists > 0))
        for t in full.teams
    )
    assert len(log.specialists) == posts, f"{path.name}: {len(log.specialists)} posts, expected {posts}"


# ------------------------------------------------------------------ extends


def test_extends_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    _write(
        tmp_path / "parent.yaml",
        """\
name: parent
description: the parent
teams:
  - {name: a, specialists: 3}
  - {name: b, specialists: 4}
regulation: {caseload_cap: 18, time_limit: none, period_months: 4}
pathway: {step_mean_days: [10, 20, 30, 40], regression_prob: 0.3}
""",
    )
    child = _write(
        tmp_path / "sub" / "child.yaml",
        """\
extends: ../parent.yaml
name: child
teams:
  - {name: only, specialists: 2}
regulation: {caseload_cap: 12}
pathway: {step_mean_days: [1, 2, 3, 4]}
""",
    )
    with pytest.raises(ScenarioError, match="outside"):
        resolve_document(child)  # ../parent.yaml leaves the folder of the file named
    doc = resolve_document(child, extends_roots=[tmp_path])
    assert "extends" not in doc
    assert doc["name"] == "child" and doc["description"] == "the parent"
    assert doc["regulation"] == {"caseload_cap": 12, "time_limit": "none", "period_months": 4}, (
        "nested mappings merge key by key"
    )
    assert doc["teams"] == [{"name": "only", "specialists": 2}], "lists are replaced whole, not merged"
    assert doc["pathway"] == {"step_mean_days": [1, 2, 3, 4], "regression_prob": 0.3}
    s = load_scenario(child, extends_roots=[tmp_path])
    assert s.regulation.caseload_cap == 12 and s.regulation.period_months == 4
    assert [t.name for t in s.teams] == ["only"]


def test_extends_chains_resolve_nearest_first(tmp_path: Path) -> None:
    _write(
        tmp_path / "a.yaml", "name: a\nteams: [{name: t}]\nregulation: {caseload_cap: 10, period_months: 3}\n"
    )
    _write(tmp_path / "b.yaml", "extends: a.yaml\nname: b\nregulation: {caseload_cap: 11}\n")
    c = _write(tmp_path / "c.yaml", "extends: b.yaml\nregulation: {period_months: 5}\n")
    s = load_scenario(c)
    assert (s.name, s.regulation.caseload_cap, s.regulation.period_months) == ("b", 11, 5)


def test_shipped_variants_differ_from_baseline_only_where_they_say() -> None:
    base = resolve_document(SCENARIO_DIR / "baseline.yaml")
    for path in SCENARIO_FILES:
        own = yaml.safe_load(path.read_text(encoding="utf-8"))
        if own.get("extends") != "baseline.yaml":
            continue
        resolved = resolve_document(path)
        for key in base:
            if key not in own:
                assert resolved[key] == base[key], f"{path.name}: {key} changed without being overridden"


@pytest.mark.parametrize(
    "files",
    [
        {"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"},
        {"a.yaml": "extends: a.yaml\nname: a\n"},
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n", "c.yaml": "extends: ./b.yaml\n"},
    ],
    ids=["two-file-cycle", "self", "three-file-cycle"],
)
def test_extends_cycle_is_an_error_naming_the_chain(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    err = _error(tmp_path / "a.yaml")
    msg = str(err)
    assert "cycle" in msg
    for name in files:
        assert name in msg, f"the cycle message should name {name}: {msg}"


def test_missing_parent_is_a_clear_error(tmp_path: Path) -> None:
    """The message names the file that says ``extends:``, the key, and the path that is missing."""
    child = _write(tmp_path / "child.yaml", "extends: nowhere/parent.yaml\nname: c\nteams: [{name: t}]\n")
    msg = str(_error(child))
    assert msg.startswith(f"{child}: extends"), msg
    assert str(tmp_path / "nowhere" / "parent.yaml") in msg, msg


@pytest.mark.parametrize("value", ["5", "''", "[a.yaml]", "{file: a.yaml}"])
def test_bad_extends_value_is_an_error(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path / "x.yaml", f"extends: {value}\nname: x\nteams: [{{name: t}}]\n")
    msg = str(_error(path))
    assert msg.startswith(str(path)) and "extends" in msg, msg


# ------------------------------------------------------------------ bad input fuzz


@pytest.fixture(scope="module")
def full_baseline() -> dict[str, Any]:
    """The resolved baseline with every key written out (so every key can be broken)."""
    return load_scenario(SCENARIO_DIR / "baseline.yaml").model_dump(mode="json")


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_counter = itertools.count()


def _problem_lines(err: ScenarioError, path: Path) -> list[str]:
    lines = str(err).splitlines()
    assert lines, "an empty error message"
    for line in lines:
        assert line.startswith(f"{path}: "), f"every problem line should name the file: {line!r}"
    return [line[len(f"{path}: ") :] for line in lines]


@FUZZ
@given(data=st.data())
def test_broken_document_names_file_and_key(
    full_baseline: dict[str, Any], fuzz_dir: Path, data: st.DataObject
) -> None:
    m: Mutation = data.draw(mutations(full_baseline), label="mutation")
    doc = apply_mutation(full_baseline, m)
    path = _write(fuzz_dir / f"m{next(_counter)}.yaml", yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = _problem_lines(info.value, path)
    key = re.escape(dotted(m.path))
    named = [p for p in problems if re.match(rf"{key}(\.|:)", p)]
    assert named, f"{m.describe()}: no problem line names {dotted(m.path)!r}:\n" + "\n".join(problems)
    if m.expect:
        assert any(m.expect in p for p in named), f"{m.describe()}: expected {m.expect!r} in {named}"


_YAML_BREAKERS = [
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    ": :",
    "\t",
    "&",
    "*nowhere ",
    "!!python/object:os.system ",
    "%YAML 1.1\n",
    "? ",
    "|",
    ">",
    "@",
    "`",
    "\x00",
    "\x07",
    "---\n",
    "...\n",
    "- ",
    ",",
    "#",
    "\n  - -",
    "\n\t",
    "!!binary x ",
    "<<: *x\n",
    "\ufeff",
]


@FUZZ
@given(data=st.data())
def test_broken_yaml_text_is_a_scenario_error(
    full_baseline: dict[str, Any], fuzz_dir: Path, data: st.DataObject
) -> None:
    text = yaml.safe_dump(full_baseline, sort_keys=False)
    for _ in range(data.draw(st.integers(1, 3), label="breaks")):
        pos = data.draw(st.integers(0, len(text)), label="position")
        text = text[:pos] + data.draw(st.sampled_from(_YAML_BREAKERS), label="junk") + text[pos:]
    path = fuzz_dir / f"y{next(_counter)}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        yaml.safe_load(text)
        valid_yaml = True
    except yaml.YAMLError:
        valid_yaml = False
    try:
        load_scenario(path)
    except ScenarioError as err:
        problems = _problem_lines(err, path)
        if not valid_yaml:  # refused by the reader, naming the line: not by the schema
            assert any(p.startswith(("not valid YAML", "line ")) for p in problems), problems
    else:
        assert valid_yaml, "invalid YAML was accepted"


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_file_content_gives_a_scenario_or_a_scenario_error(fuzz_dir: Path, text: str | bytes) -> None:
    path = fuzz_dir / f"t{next(_counter)}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as err:
        _problem_lines(err, path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=scenario_dicts())
def test_valid_documents_load_the_same_from_a_file(fuzz_dir: Path, doc: dict[str, Any]) -> None:
    path = _write(fuzz_dir / f"v{next(_counter)}.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert load_scenario(path) == scenario_from_dict(doc)


@pytest.mark.parametrize(
    "field,index,value",
    [
        ("pathway.step_mean_days", 3, 0.0),
        ("pathway.step_mean_days", 0, 1000.0),
        ("week.hours_per_candidate", 4, 25.0),
    ],
)
def test_out_of_range_list_item_names_its_key(
    full_baseline: dict[str, Any], field: str, index: int, value: float
) -> None:
    section, key = field.split(".")
    doc = apply_mutation(full_baseline, Mutation("set", (section, key, index), value))
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc, "x.yaml")
    assert field in str(info.value), str(info.value)


DEEP = 1000  # nesting depth of a 2 kB file


def test_deeply_nested_yaml_is_a_scenario_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "deep.yaml", "name: x\nteams: " + "[" * DEEP + "]" * DEEP + "\n")
    _problem_lines(_error(path), path)


# ------------------------------------------------------------------ command line

CLI = shutil.which("caseload-sim", path=str(Path(sys.executable).parent)) or shutil.which("caseload-sim")


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    if CLI is None:
        pytest.skip("the caseload-sim console script is not installed")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [CLI, "validate", *map(str, files)], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_cli_validate_reports_bad_files_without_traceback(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.yaml", "name: good\nteams: [{name: t}]\n")
    bad = {
        "schema.yaml": "name: broken\nteams:\n  - name: solo\n    specialists: 0\n    referals_per_week: 0.5\n",
        "syntax.yaml": "name: x\nteams: [\n",
        "toplist.yaml": "- just\n- a list\n",
        "cycle.yaml": "extends: cycle.yaml\n",
        "orphan.yaml": "extends: missing-parent.yaml\nname: o\n",
        "unknown.yaml": "name: x\nteams: [{name: t}]\nregulation: {caseload_kap: 12}\n",
    }
    paths = [_write(tmp_path / n, t) for n, t in bad.items()]
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: Tromsø\nteams: [{name: t}]\n".encode("latin-1"))
    paths += [latin1, tmp_path / "does-not-exist.yaml"]

    result = _validate(good, *paths)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, f"exit status {result.returncode}, expected 2\n{result.stderr}"
    assert result.stdout.strip() == f"OK {good}", result.stdout
    for p in paths:
        assert p.name in result.stderr, f"{p.name} not reported:\n{result.stderr}"
    assert "specialists" in result.stderr and "referals_per_week" in result.stderr
    assert "regulation.caseload_kap" in result.stderr


def test_cli_validate_survives_deep_nesting(tmp_path: Path) -> None:
    path = _write(tmp_path / "deep.yaml", "name: x\nteams: " + "[" * DEEP + "]" * DEEP + "\n")
    result = _validate(path)
    assert "Traceback" not in result.stderr, result.stderr[-500:]
    assert result.returncode == 2


def test_fuzz_helpers_see_every_key(full_baseline: dict[str, Any]) -> None:
    """The mutation strategy must be able to reach every section (or the fuzz proves little)."""
    from strategies import bounded_leaves, leaf_paths

    sections = {p[0] for p in leaf_paths(full_baseline)}
    assert sections == set(Scenario.model_fields), sections
    bounded = {dotted(p) for p, _ in bounded_leaves(full_baseline)}
    assert {
        "regulation.caseload_cap",
        "teams.0.specialists",
        "run.horizon_days",
        "jobs.renew_prob",
    } <= bounded
    assert len(bounded) > 60, len(bounded)
    assert np.all([isinstance(p, tuple) for p in leaf_paths(full_baseline)])
