"""The weekly series (``caseload_sim.metrics.weekly_series``) and their table in experiments.

A series value is the state of the service at a week's end, read off the event log. The
tests check it three ways: exact numbers on a hand-made log (with events at exactly a
week's end, which count as happened); a row-by-row replay of random logs through the
candidate state machine; and real runs, where the weekly samples must agree with the
replayed log and, averaged over the measured window, with the KPIs.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_sim.events import ALLOWED, EventKind, EventLog, ExitReason, State
from caseload_sim.experiment import SERIES_TABLE_COLUMNS, run_replications, series_table
from caseload_sim.metrics import (
    SERIES_COLUMNS,
    SERIES_VARIABLES,
    WEEK_DAYS,
    compute_kpis,
    employed_deltas,
    weekly_series,
    window,
)
from caseload_sim.model import simulate
from caseload_sim.scenario import load_scenario
from model_fixtures import load, shortened
from test_metrics import intake, job, job_end, leave, make_log, week

if TYPE_CHECKING:
    from conftest import FakeEngine

K = EventKind
R = ExitReason


def wide(log: EventLog) -> pd.DataFrame:
    """The series with one column per variable, indexed by the week's end."""
    df = weekly_series(log)
    assert list(df.columns) == list(SERIES_COLUMNS)
    return df.pivot(index="time_days", columns="variable", values="value")[list(SERIES_VARIABLES)]


# --- a hand-made log -------------------------------------------------------------------


def hand_log() -> EventLog:
    """Three candidates and two posts over 24 days: whole weeks end at 7, 14 and 21.

    - candidate 0: taken in at once on day 1; a job from day 7 (exactly a week's end) to
      day 10; leaves without work on day 14 (exactly a week's end).
    - candidate 1: queued on day 2, taken in on day 14 (as candidate 0 leaves), a job from
      day 15, leaves for that job on day 20.
    - candidate 2: queued on day 3 and still waiting at the end.
    - post 0 (1 FTE) is held from day 0; post 1 (0.5 FTE) from day 7 until its holder
      leaves on day 21 — both at exactly a week's end.
    """
    rows = [
        *intake(0, 1.0),
        job(0, 7.0),
        job_end(0, 10.0),
        leave(0, 14.0, R.DROPOUT, 13.0),
        *intake(1, 14.0, wait=12.0),
        job(1, 15.0),
        leave(1, 20.0, R.WORK_TEMPORARY, 6.0),
        (3.0, K.REFERRAL, 2),
        (3.0, K.QUEUED, 2, 0, 2.0),
    ]
    weeks = [
        week(7.0, 0, stress=0.2),
        week(7.0, 1, stress=math.nan, present=False),  # vacant until day 7
        week(14.0, 0, stress=0.4),
        week(14.0, 1, stress=0.6, fte=0.5),
        week(21.0, 0, stress=math.nan, present=False),
        week(21.0, 1, stress=math.nan, present=False),
        week(28.0, 0, stress=0.9),  # after the run's end: not a sample
    ]
    return make_log(
        rows,
        start=7.0,
        end=24.0,  # a last, partial week (21-24) is not sampled
        fte=(1.0, 0.5),
        spec_start=(0.0, 7.0),
        staff=[(21.0, K.SPECIALIST_LEAVE, 1)],
        weeks=weeks,
    )


def test_series_by_hand() -> None:
    log = hand_log()
    df = wide(log)
    assert df.index.tolist() == [7.0, 14.0, 21.0], "week ends from day 7 to the run's end, warm-up included"
    expected = {
        # at day 7: candidate 0 on the caseload and (from exactly day 7) in a job; 1 and 2 waiting;
        # post 1's holder started at exactly day 7
        "caseload": [1, 1, 0],  # day 14: 0 leaves and 1 arrives at the same instant
        "fte": [1.5, 1.5, 1.0],  # day 21: post 1's holder left at exactly the week's end
        "queue": [2, 1, 1],
        "employed": [1, 0, 0],  # candidate 1's job ends with the exit to work on day 20
        "caseload_per_fte": [1 / 1.5, 1 / 1.5, 0.0],
    }
    for variable, values in expected.items():
        assert df[variable].tolist() == pytest.approx(values, abs=0), variable
    # the held posts' mean stress, from the week table; NaN when no post was held
    assert df["stress_mean"].iloc[:2].tolist() == pytest.approx([0.2, 0.5])
    assert math.isnan(df["stress_mean"].iloc[2])


def test_series_shape_and_edge_cases() -> None:
    df = weekly_series(hand_log())
    assert df["variable"].dtype == "category"
    assert list(df["variable"].cat.categories) == list(SERIES_VARIABLES)
    assert list(df["variable"].unique()) == list(SERIES_VARIABLES), "variable by variable"
    assert len(df) == 3 * len(SERIES_VARIABLES)

    # no posts at all: nothing per FTE, no stress; a run shorter than a week: no rows
    nobody = wide(make_log(intake(0, 1.0), end=14.0, fte=()))
    assert nobody["caseload"].tolist() == [1.0, 1.0]
    assert nobody["caseload_per_fte"].isna().all() and nobody["stress_mean"].isna().all()
    assert weekly_series(make_log([], end=6.9)).empty
    # a log made before the week table existed
    old = hand_log()
    old_log = EventLog(old.events, old.candidates, old.specialists, old.meta)
    assert len(old_log.weeks) == 0
    assert wide(old_log)["stress_mean"].isna().all()


# --- random logs, replayed row by row --------------------------------------------------


@st.composite
def candidate_paths(draw: st.DrawFn) -> list[tuple[float, EventKind, int]]:
    """One candidate's events on a half-day grid (so that many land on a week's end)."""
    t = draw(st.integers(0, 80)) / 2
    if draw(st.integers(0, 9)) == 0:
        return [(t, K.NOT_REFERRED, 0)]  # never referred: sent elsewhere
    path: list[tuple[float, EventKind, int]] = [(t, K.REFERRAL, 0)]
    queued = draw(st.booleans())
    if queued:
        path.append((t, K.QUEUED, 0))
    if draw(st.booleans()):
        return path  # never taken in
    if queued and draw(st.integers(0, 3)) == 0:
        return [*path, (t + draw(st.integers(0, 20)) / 2, K.LEFT_WAITING, 0)]  # left the list
    t += draw(st.integers(0, 20)) / 2
    path.append((t, K.INTAKE, 0))
    in_job = False
    for _ in range(draw(st.integers(0, 4))):
        t += draw(st.integers(0, 20)) / 2
        path.append((t, K.JOB_END if in_job else K.JOB_START, 0))
        in_job = not in_job
    if draw(st.booleans()):
        t += draw(st.integers(0, 20)) / 2
        reason = R.WORK_PERMANENT if in_job and draw(st.booleans()) else R.HEALTH
        path.append((t, K.EXIT, int(reason)))
    return path


def replayed_counts(log: EventLog, at: float) -> Counter[str]:
    """Walk the log row by row up to ``at`` (inclusive) through the candidates' state machine."""
    state: dict[int, State] = {}
    for row in log.events[log.events["time"] <= at]:
        kind, c = EventKind(int(row["kind"])), int(row["candidate"])
        if c < 0:
            continue
        if kind in (K.REFERRAL, K.NOT_REFERRED):  # a potential referral: made, or not (gone elsewhere)
            state[c] = State.REFERRED if kind == K.REFERRAL else State.ELSEWHERE
            continue
        after = ALLOWED[state[c]][kind]
        if after is not None:
            state[c] = after
    counts: Counter[str] = Counter()
    for s in state.values():
        counts["queue"] += s == State.WAITING
        counts["caseload"] += State.STEP1 <= s <= State.STEP5
        counts["employed"] += s == State.STEP5
    return counts


@settings(max_examples=60, deadline=None)
@given(st.lists(candidate_paths(), min_size=0, max_size=12), st.integers(7, 90))
def test_series_equal_a_replay_of_random_logs(
    paths: list[list[tuple[float, EventKind, int]]], end: int
) -> None:
    rows = [(t, kind, c, code) for c, path in enumerate(paths) for t, kind, code in path]
    log = make_log(rows, end=float(end))
    df = wide(log)
    assert df.index.tolist() == [WEEK_DAYS * k for k in range(1, end // 7 + 1)]
    for t, values in df.iterrows():
        counts = replayed_counts(log, float(t))
        for variable in ("queue", "caseload", "employed"):
            assert values[variable] == counts[variable], (variable, t)
        assert values["caseload_per_fte"] == values["caseload"], "one full-time post, held throughout"


# --- real runs -------------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    # (the expansion's window ends on the 7-day grid, 2920 + 734 = 7 x 522, so that every week
    # row up to its end falls in a series bin inside it)
    params=[("baseline", 730.0, 1095.0), ("expansion", 2920.0, 734.0)],
    ids=["baseline", "expansion"],
)
def real_log(request: pytest.FixtureRequest) -> EventLog:
    """The baseline with two years of warm-up and three measured; the expansion's team
    doubling on day 3102, inside its two measured years (the new posts' weeks end off the
    7-day grid)."""
    name, warmup, horizon = request.param
    return simulate(shortened(load(name), warmup, horizon), 7, 0)


def test_series_match_the_replayed_log(real_log: EventLog) -> None:
    df = wide(real_log)
    assert df.index[-1] == 7 * math.floor(window(real_log)[1] / 7)
    weeks = df.index[:: max(1, len(df) // 25)]  # 25 week ends spread over the run: the replay is slow
    for t in weeks:
        counts = replayed_counts(real_log, float(t))
        for variable in ("queue", "caseload", "employed"):
            assert df.loc[t, variable] == counts[variable], (variable, t)
    assert df["employed"].max() > 0 and df["caseload"].max() > 0, "the run should have jobs and caseloads"
    # the employed series is the level of the employed deltas, sampled
    times, deltas = employed_deltas(real_log)
    for t in weeks:
        assert df.loc[t, "employed"] == deltas[times <= t].sum()


def test_series_averaged_over_the_window_agree_with_the_kpis(real_log: EventLog) -> None:
    df = wide(real_log)
    start, end = window(real_log)
    inside = df[(df.index > start) & (df.index <= end)]
    kpis = compute_kpis(real_log)
    # weekly snapshots of a step function, averaged, approximate its time-average
    per_fte = inside["caseload"].mean() / inside["fte"].mean()
    assert per_fte == pytest.approx(kpis["caseload_mean"], rel=0.02)
    assert inside["queue"].mean() == pytest.approx(kpis["queue_mean"], rel=0.1, abs=0.5)
    # stress_mean averages the same week rows, weighted by the posts held each week
    posts = real_log.weeks[np.isfinite(real_log.weeks["stress"])]
    posts = posts[(posts["time"] > start) & (posts["time"] <= end)]
    held = np.array([np.count_nonzero(np.ceil(posts["time"] / 7 - 1e-9) * 7 == t) for t in inside.index])
    weighted = float(np.dot(inside["stress_mean"].to_numpy(), held) / held.sum())
    assert weighted == pytest.approx(kpis["stress_mean"], rel=1e-9)


# --- the table of every replication's series --------------------------------------------


def test_series_table_is_tidy_and_compact(tiny_yaml: Path, fake_engine: FakeEngine) -> None:
    tiny = load_scenario(tiny_yaml)
    res = run_replications(tiny, 3, seed=4)
    assert res.series is not None
    table = res.series
    assert list(table.columns) == list(SERIES_TABLE_COLUMNS)
    assert {c: str(t) for c, t in table.dtypes.items()} == {
        "scenario": "category",
        "replication": "int32",
        "time_days": "float32",
        "variable": "category",
        "value": "float32",
    }
    weeks = 60 // 7
    assert len(table) == 3 * weeks * len(SERIES_VARIABLES)
    assert table["replication"].tolist() == np.repeat([0, 1, 2], weeks * len(SERIES_VARIABLES)).tolist()
    # each replication's rows are its own series, as computed from its (here: the fake model's) log
    log = sys.modules["caseload_sim.model"].simulate(tiny, 4, 1)
    mine = table[table["replication"] == 1]
    expected = weekly_series(log)
    assert mine["value"].to_numpy() == pytest.approx(expected["value"].to_numpy(), nan_ok=True)
    assert mine["variable"].astype(str).tolist() == expected["variable"].astype(str).tolist()

    both = series_table({"b": [expected], "a": [expected, expected]})
    assert list(both["scenario"].cat.categories) == ["b", "a"], "scenarios in the given order"
    assert both.groupby("scenario", observed=True)["replication"].max().to_dict() == {"b": 0, "a": 1}
    assert series_table({}).empty
