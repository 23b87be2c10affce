"""Interrupted runs (issue 9, scope 5), with real processes and real signals.

- SIGINT (Ctrl-C) and SIGTERM mid-run: one line saying nothing was written, status 130,
  the output folder as it was, and no worker process left after 5 seconds;
- SIGKILL of the parent: its workers die with it (the kernel's parent-death signal),
  and the next run into the same folder works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXECUTABLE = Path(sys.executable).with_name("caseload-sim")
LONG = (
    "name: long\nteams:\n  - {name: t, specialists: 5, referrals_per_week: 1.0, copies: 20}\n"
    "run: {warmup_days: 3000, horizon_days: 1095}\n"
)


def ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT as a terminal's foreground process has it. A test run started in
    the background by a shell (as CI may be) inherits SIGINT ignored, and Python then never
    raises KeyboardInterrupt; Ctrl-C is what these tests emulate."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and Linux signals")


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry.name))
    return out


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            left.add(pid)
    return left


def start(tmp_path: Path, out: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(LONG, encoding="utf-8")
    proc = subprocess.Popen(
        [str(EXECUTABLE), "run", str(scenario), "-n", "8", "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        workers = children(proc.pid)
    assert len(workers) >= 2, "the run started its workers"
    time.sleep(1.0)  # mid-run
    return proc, workers


def gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_says_so_writes_nothing_and_ends_its_workers(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    proc, workers = start(tmp_path, out)
    proc.send_signal(sig)
    code = proc.wait(timeout=30)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130, err
    assert "interrupted: nothing was written" in err and "Traceback" not in err, err
    assert not out.exists(), "nothing written"
    assert gone_within(workers, 5.0) == set(), "no worker outlives the run"
    assert not list(tmp_path.glob(".out.*.tmp")), "no staging folder left"


def test_the_workers_of_a_killed_run_die_with_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc, workers = start(tmp_path, out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert gone_within(workers, 5.0) == set(), "the kernel ends the workers of a killed parent"
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "name: tiny\nteams:\n  - {name: t, specialists: 1}\nrun: {warmup_days: 0, horizon_days: 100}\n",
        encoding="utf-8",
    )
    again = subprocess.run(
        [str(EXECUTABLE), "run", str(scenario), "-n", "1", "--out", str(out)],
        capture_output=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr.decode()
