"""The compiled model (mypyc, :mod:`caseload_sim.accelerate`) gives the pure-Python model's logs, bit for bit.

The rest of the suite runs the pure-Python model (``tests/conftest.py``). Here a worker
process started without ``CASELOAD_SIM_PURE`` runs the compiled modules that ``make
install`` built, and every shipped scenario, a hypothesis sample of random valid
scenarios and a whole ``caseload-sim run`` on two workers must give byte-identical
event logs and results both ways. How the choice between the two is made (only a build
of exactly these sources is used) is tested without compiling anything.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from caseload_sim import accelerate
from caseload_sim.scenario import Scenario, scenario_from_dict
from model_fixtures import SCENARIO_DIR, load, shortened
from strategies import scenario_dicts

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
LONGEST = (1500.0, 1000.0)  # warm-up and horizon (days) at most: every mechanism, a few seconds
NATIONAL = (200.0, 200.0)  # the national scenario: 500+ posts, shortened further


def log_digest(scenario: Scenario, seed: int, replication: int) -> tuple[str, str]:
    """Which model ran (``accelerate.status()``) and a SHA-256 of the whole event log."""
    from caseload_sim.model import simulate

    log = simulate(scenario, seed, replication)
    h = hashlib.sha256()
    for table in (log.events, log.weeks, log.candidates, log.specialists):
        h.update(table.dtype.str.encode() + table.tobytes())
    h.update(json.dumps(log.meta, sort_keys=True, default=str).encode())
    return accelerate.status(), h.hexdigest()


def _not_pure() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != accelerate.PURE_ENV}


@pytest.fixture(scope="module")
def compiled() -> Iterator[ProcessPoolExecutor]:
    """A worker process that runs the compiled model (skips if no current build exists)."""
    saved = os.environ.pop(accelerate.PURE_ENV, None)
    try:
        why = accelerate._why_not(accelerate.compiled_dir())
        if why is not None:
            pytest.skip(f"no current compiled model: {why}")
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        state = pool.submit(accelerate.status).result()  # the worker starts now, without the variable
    finally:
        if saved is not None:
            os.environ[accelerate.PURE_ENV] = saved
    assert state.startswith("compiled"), state
    yield pool
    pool.shutdown()


def _short(scenario: Scenario) -> Scenario:
    warmup, horizon = NATIONAL if scenario.name == "national" else LONGEST
    return shortened(scenario, min(warmup, scenario.run.warmup_days), min(horizon, scenario.run.horizon_days))


def test_this_suite_runs_the_pure_model() -> None:
    assert accelerate.status().startswith("pure Python"), "conftest.py sets CASELOAD_SIM_PURE for the suite"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_logs_the_same_compiled(compiled: ProcessPoolExecutor, name: str) -> None:
    scenario = _short(load(name))
    for seed, replication in ((1, 0), (7, 3)):
        state, theirs = compiled.submit(log_digest, scenario, seed, replication).result()
        _, ours = log_digest(scenario, seed, replication)
        assert state.startswith("compiled")
        assert theirs == ours, (
            f"{name} seed {seed} replication {replication}: the compiled model's log differs"
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=scenario_dicts())
def test_random_valid_scenarios_log_the_same_compiled(
    compiled: ProcessPoolExecutor, doc: dict[str, Any]
) -> None:
    scenario = scenario_from_dict(doc, "<hypothesis>")
    _, theirs = compiled.submit(log_digest, scenario, 3, 1).result()
    assert theirs == log_digest(scenario, 3, 1)[1], "the compiled model's log differs"


def test_a_whole_run_on_two_workers_gives_the_same_results(
    compiled: ProcessPoolExecutor, tmp_path: Path
) -> None:
    """``caseload-sim run`` end to end, compiled (as users run it) and pure: the same tables."""
    cli = str(Path(sys.executable).with_name("caseload-sim"))
    scenario = str(SCENARIO_DIR / "baseline.yaml")
    outputs = {}
    for mode, env in (("compiled", _not_pure()), ("pure", {**os.environ, accelerate.PURE_ENV: "1"})):
        out = tmp_path / mode
        cmd = [cli, "run", scenario, "-n", "3", "--seed", "2", "--workers", "2", "--out", str(out)]
        subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        outputs[mode] = {f: (out / f).read_bytes() for f in ("replications.csv", "summary.csv")}
    assert outputs["compiled"] == outputs["pure"]


# --- the choice, without compiling ----------------------------------------------------------


def _fake_build(target: Path, sources: dict[str, str]) -> Path:
    (target / "model").mkdir(parents=True)
    (target / accelerate.MANIFEST).write_text(json.dumps({"sources": sources}), encoding="utf-8")
    return target


@pytest.fixture
def fake_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(accelerate.PURE_ENV, raising=False)
    monkeypatch.setattr(accelerate, "compiled_dir", lambda: tmp_path / "build")
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path / "build"


def test_a_build_of_exactly_these_sources_goes_first(fake_target: Path) -> None:
    _fake_build(fake_target, accelerate._digests(accelerate.MODEL_DIR))
    path = ["/the/sources"]
    assert accelerate.enable(path).startswith("compiled")
    assert path == [str(fake_target / "model"), "/the/sources"]
    assert str(fake_target / "lib") in sys.path


def test_a_stale_or_missing_build_or_the_variable_gives_the_pure_model(
    fake_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ["/the/sources"]
    assert accelerate.enable(path) == "pure Python: not built (make install builds it)"
    stale = {**accelerate._digests(accelerate.MODEL_DIR), "candidate": "0" * 64}
    _fake_build(fake_target, stale)
    assert "sources changed" in accelerate.enable(path)
    (fake_target / accelerate.MANIFEST).write_text("{not json", encoding="utf-8")
    assert "not built" in accelerate.enable(path)
    _fake_build(fake_target.parent / "other", accelerate._digests(accelerate.MODEL_DIR))
    monkeypatch.setattr(accelerate, "compiled_dir", lambda: fake_target.parent / "other")
    monkeypatch.setenv(accelerate.PURE_ENV, "1")
    assert accelerate.enable(path) == f"pure Python: {accelerate.PURE_ENV} is set"
    assert path == ["/the/sources"], "nothing is put ahead of the sources"


def test_a_failed_build_is_a_note_not_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(target: Path | None = None) -> Path:
        raise RuntimeError("gcc: not found")

    monkeypatch.setattr(accelerate, "build", fails)
    assert accelerate.main(["build"]) == 0
    err = capsys.readouterr().err
    assert "gcc: not found" in err and "pure-Python model runs" in err
    assert accelerate.main(["status"]) == 0
    assert accelerate.main(["frobnicate"]) == 2


def test_build_stages_the_modules_and_their_sources_then_replaces_the_old_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mypyc itself stubbed: what it leaves in the work tree is staged as lib/ and model/, with the
    sources' digests; a failed compile raises with its last lines and leaves the old build alone."""
    calls: list[tuple[list[str], Path, str]] = []

    def mypyc(cmd: list[str], cwd: Path, env: dict[str, str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append((cmd, cwd, env["CFLAGS"]))
        if "fail" in env:
            return subprocess.CompletedProcess(cmd, 1, "", "error: candidate.py:1: bad\n")
        (cwd / "abc__mypyc.cpython-311-x86_64-linux-gnu.so").write_bytes(b"lib")
        for m in accelerate.MODULES:
            (cwd / "caseload_sim" / "model" / f"{m}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"so")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(accelerate.subprocess, "run", mypyc)
    target = tmp_path / "build"
    (target / "old").mkdir(parents=True)
    assert accelerate.build(target) == target
    ((cmd, cwd, cflags),) = calls
    assert (
        cmd[1:3] == ["-m", "mypyc"] and [f"caseload_sim/model/{m}.py" for m in accelerate.MODULES] == cmd[3:]
    )
    assert "-ffp-contract=off" in cflags and not cwd.exists(), "compiled in a temporary tree"
    assert sorted(p.name for p in (target / "lib").iterdir()) == [
        "abc__mypyc.cpython-311-x86_64-linux-gnu.so"
    ]
    assert len(list((target / "model").glob("*.so"))) == len(accelerate.MODULES)
    manifest = json.loads((target / accelerate.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["sources"] == accelerate._digests(accelerate.MODEL_DIR)
    assert not (target / "old").exists(), "the previous build is replaced as a whole"

    monkeypatch.setenv("fail", "1")
    with pytest.raises(RuntimeError, match="bad"):
        accelerate.build(target)
    assert (target / accelerate.MANIFEST).exists(), "a failed build leaves the last good one"
