"""Warm-up analysis: MSER-5 on synthetic series, the binned series of a log, the recommendation.

MSER is checked against hand computations and a brute-force evaluation of its formula,
and on series whose answer is known: an exponential transient (truncation near its
end), stationary noise (near 0), a trend that never settles (the half-series limit).
The binned series of a real log are checked against the metrics' own time averages
and against a replay of the events. The recommendation runs the real model on a tiny
start-up scenario; its verdict logic is checked on a stand-in with known series.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caseload_sim import metrics, warmup
from caseload_sim.events import EventKind, EventLog
from caseload_sim.model import simulate
from caseload_sim.scenario import Scenario, scenario_from_dict
from caseload_sim.warmup import (
    SERIES,
    TRUNCATION_COLUMNS,
    WarmupRecommendation,
    mser,
    mser_limit,
    mser_statistics,
    recommend_warmup,
    warmup_figure,
    warmup_series,
)

STARTUP = {
    "name": "tiny-startup",
    "description": "Two new specialists with empty caseloads and a steady stream of referrals.",
    "teams": [{"name": "solo", "specialists": 2, "referrals_per_week": 1.0, "initial_tenure_months": 0}],
    "run": {"warmup_days": 30, "horizon_days": 365},
}


@pytest.fixture(scope="module")
def startup() -> Scenario:
    return scenario_from_dict(STARTUP, "<tiny-startup>")


@pytest.fixture(scope="module")
def startup_log(startup: Scenario) -> EventLog:
    run = startup.run.model_copy(update={"warmup_days": 0.0, "horizon_days": 400.0})
    return simulate(startup.model_copy(update={"run": run}), seed=3, replication=0)


@pytest.fixture(scope="module")
def startup_rec(startup: Scenario) -> WarmupRecommendation:
    return recommend_warmup(startup, seed=7, replications=3, horizon_years=2, bin_days=7)


# --------------------------------------------------------------------------- MSER
def _mser_brute(x: np.ndarray, batch: int) -> list[float]:
    k = len(x) // batch
    z = [float(np.mean(x[j * batch : (j + 1) * batch])) for j in range(k)]
    out = []
    for d in range(min(k // 2, k - 2) + 1):
        rest = z[d:]
        mean = sum(rest) / len(rest)
        out.append(sum((v - mean) ** 2 for v in rest) / len(rest) ** 2)
    return out


def test_mser_hand_computed_plain() -> None:
    # batch 1, n = 6, d = 0..3:
    # d=0: mean 2, SS = 64+4+1+4+1+4 = 78 -> 78/36;  d=1: [0,1,0,1,0] mean .4, SS 1.2 -> 1.2/25
    # d=2: [1,0,1,0] SS 1 -> 1/16;                    d=3: [0,1,0] SS 2/3 -> (2/3)/9
    x = [10.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert mser_statistics(x, batch=1) == pytest.approx([78 / 36, 1.2 / 25, 1 / 16, 2 / 27])
    assert mser(x, batch=1) == (1, pytest.approx(0.048))


def test_mser5_hand_computed_batches() -> None:
    # batch means 9, 1, 2, 1 (each batch varies inside but averages out); the last 3
    # observations make no whole batch and are left out. k = 4, d = 0..2:
    # d=0: mean 3.25, SS = 5.75^2+2.25^2+1.25^2+2.25^2 = 44.75 -> 44.75/16
    # d=1: [1,2,1] mean 4/3, SS 2/3 -> 2/27;  d=2: [2,1] SS 0.5 -> 0.5/4
    x = [7, 11, 9, 8, 10] + [1] * 5 + [0, 4, 2, 2, 2] + [1, 1, 1, 0, 2] + [50, -50, 99]
    assert mser_statistics(x, batch=5) == pytest.approx([44.75 / 16, 2 / 27, 0.125])
    cut, stat = mser(x)
    assert cut == 5  # one batch of five observations
    assert stat == pytest.approx(2 / 27)


def test_mser_matches_its_formula_on_random_series() -> None:
    rng = np.random.default_rng(11)
    for n, batch in [(37, 5), (100, 5), (64, 1), (41, 3)]:
        x = rng.normal(size=n).cumsum()
        stats = mser_statistics(x, batch)
        assert stats == pytest.approx(_mser_brute(x, batch), rel=1e-9, abs=1e-12)
        cut, stat = mser(x, batch)
        assert cut == batch * int(np.argmin(stats)) and stat == pytest.approx(stats.min())


def test_mser_finds_the_end_of_a_transient() -> None:
    # 10 (1 - exp(-t/30)) + N(0, 1): the bias falls below the noise at t = 30 ln 10 ~ 69
    # and below a tenth of it at ~138. MSER-5 should cut near 3 tau = 90.
    tau, n = 30.0, 600
    cuts = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        t = np.arange(n)
        x = 10.0 * (1.0 - np.exp(-t / tau)) + rng.normal(0.0, 1.0, n)
        cut, _ = mser(x)
        assert 2 * tau <= cut <= 5 * tau, (seed, cut)
        cuts.append(cut)
    assert abs(float(np.median(cuts)) - 3 * tau) <= tau


def test_mser_keeps_a_stationary_series() -> None:
    cuts = [mser(np.random.default_rng(seed).normal(5.0, 1.0, 600))[0] for seed in range(10)]
    assert max(cuts) <= 30  # at most 5 % of the series
    assert float(np.median(cuts)) == 0.0


def test_mser_respects_the_half_series_limit() -> None:
    # a trend that never settles: MSER(d) keeps falling, so the rule stops at the limit
    for n in (50, 101, 600):
        x = -np.arange(n, dtype=float)
        cut, _ = mser(x)
        assert cut == mser_limit(n) <= n / 2
        assert len(mser_statistics(x)) == mser_limit(n) // 5 + 1
    assert mser_limit(600) == 300
    assert mser_limit(10) == 0  # two batches: both must stay
    assert mser_limit(15) == 5  # three batches: drop at most one


def test_mser_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="batch"):
        mser([1.0] * 20, batch=0)
    with pytest.raises(ValueError, match="NaN"):
        mser([1.0, float("nan")] * 10)
    with pytest.raises(ValueError, match="at least 2 batches"):
        mser([1.0] * 9)


# ---------------------------------------------------------------- binned series
def test_warmup_series_shape(startup_log: EventLog) -> None:
    df = warmup_series(startup_log, bin_days=30.0)
    assert list(df.columns) == list(SERIES)
    assert df.index.name == "time"
    # 400 days make 13 whole bins of 30; the partial last one is dropped
    assert df.index.to_numpy() == pytest.approx(np.arange(13) * 30.0)
    assert np.isfinite(df.to_numpy()).all()
    assert df["caseload_per_fte"].iloc[0] < df["caseload_per_fte"].iloc[-1]  # it fills from empty
    assert ((df["stress_mean"] >= 0) & (df["stress_mean"] <= 1)).all()


def test_warmup_series_agrees_with_metrics(startup_log: EventLog) -> None:
    df = warmup_series(startup_log, bin_days=30.0)
    ct, cd = metrics.caseload_deltas(startup_log)
    ft, fd = metrics.fte_deltas(startup_log)
    qt, qd = metrics.queue_deltas(startup_log)
    w = startup_log.weeks
    for a in df.index:
        b = a + 30.0
        per_fte = metrics.time_average(ct, cd, a, b) / metrics.time_average(ft, fd, a, b)
        assert df.loc[a, "caseload_per_fte"] == pytest.approx(per_fte)
        assert df.loc[a, "queue"] == pytest.approx(metrics.time_average(qt, qd, a, b), abs=1e-12)
        s = w["stress"][(w["time"] > a) & (w["time"] <= b)]
        assert df.loc[a, "stress_mean"] == pytest.approx(np.nanmean(s))


def test_employed_series_matches_a_replay(startup_log: EventLog) -> None:
    """Replay each candidate: in a job from JOB_START to JOB_END or EXIT."""
    ev = startup_log.events
    end = metrics.window(startup_log)[1]
    in_job: dict[int, float] = {}
    spells: list[tuple[float, float]] = []
    for row in ev:
        k, c, t = int(row["kind"]), int(row["candidate"]), float(row["time"])
        if k == EventKind.JOB_START:
            assert c not in in_job
            in_job[c] = t
        elif k in (EventKind.JOB_END, EventKind.EXIT) and c in in_job:
            spells.append((in_job.pop(c), t))
    spells += [(t0, math.inf) for t0 in in_job.values()]
    assert spells, "the scenario should produce some jobs"
    df = warmup_series(startup_log, bin_days=50.0)
    assert len(df) == int(end // 50)
    for a in df.index:
        b = a + 50.0
        covered = sum(max(0.0, min(t1, b) - max(t0, a)) for t0, t1 in spells)
        assert df.loc[a, "employed"] == pytest.approx(covered / 50.0, abs=1e-9)


# ---------------------------------------------------------------- recommendation
def test_recommendation_for_a_startup(startup: Scenario, startup_rec: WarmupRecommendation) -> None:
    rec = startup_rec
    assert rec.recommended_days > 0
    assert rec.recommended_months >= 1
    # whole months, rounded up from the largest truncation
    worst = float(rec.truncations["truncation_days"].max())
    assert rec.recommended_days >= worst
    assert rec.recommended_days == math.ceil(rec.recommended_months * 365 / 12 - 1e-6)
    assert (rec.recommended_months - 1) * 365 / 12 < worst
    assert list(rec.truncations.columns) == list(TRUNCATION_COLUMNS)
    assert list(rec.truncations["series"]) == list(SERIES)
    assert (rec.truncations["truncation_days"] <= rec.limit_days).all()
    # the scenario is untouched and its warm-up is judged
    assert startup.run.warmup_days == 30 and startup.run.horizon_days == 365
    assert rec.current_warmup_days == 30.0
    assert rec.horizon_days == 730.0
    assert rec.long_enough is False  # a month is not enough to fill empty caseloads
    assert any("too short" in note for note in rec.notes)
    # the ensemble is the mean of the replications
    assert len(rec.ensemble) == 104 and rec.runs["replication"].nunique() == 3
    mean = rec.runs.groupby("time")[list(SERIES)].mean()
    pd.testing.assert_frame_equal(rec.ensemble, mean, check_names=False)
    assert rec.to_manifest()["recommended_days"] == rec.recommended_days


def _same(a: WarmupRecommendation, b: WarmupRecommendation) -> None:
    for name in ("recommended_days", "long_enough", "at_limit", "drifting", "notes"):
        assert getattr(a, name) == getattr(b, name)
    pd.testing.assert_frame_equal(a.truncations, b.truncations)
    pd.testing.assert_frame_equal(a.ensemble, b.ensemble)
    pd.testing.assert_frame_equal(a.runs, b.runs)


def test_recommendation_is_deterministic(startup: Scenario, startup_rec: WarmupRecommendation) -> None:
    _same(startup_rec, recommend_warmup(startup, seed=7, replications=3, horizon_years=2, bin_days=7))
    other = recommend_warmup(startup, seed=8, replications=3, horizon_years=2, bin_days=7)
    assert not other.runs.equals(startup_rec.runs)


def test_recommendation_does_not_depend_on_workers(
    startup: Scenario, startup_rec: WarmupRecommendation
) -> None:
    _same(
        startup_rec, recommend_warmup(startup, seed=7, replications=3, horizon_years=2, bin_days=7, workers=2)
    )


def test_recommendation_refuses_bad_arguments(startup: Scenario) -> None:
    with pytest.raises(ValueError, match="replications"):
        recommend_warmup(startup, seed=1, replications=0)
    with pytest.raises(ValueError, match="horizon_years"):
        recommend_warmup(startup, seed=1, horizon_years=0.5, bin_days=30)  # 12 bins: 2 batches
    with pytest.raises(ValueError, match="horizon_years"):
        recommend_warmup(startup, seed=1, horizon_years=200)  # beyond the schema's 36500 days


Shape = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _fake_series(shapes: Mapping[str, Shape]) -> Callable[[Scenario, int, float, int], pd.DataFrame]:
    """A stand-in for one replication: each series a function of (time, rng)."""

    def one(scenario: Scenario, seed: int, bin_days: float, replication: int) -> pd.DataFrame:
        rng = np.random.default_rng([seed, replication])
        t = np.arange(int(scenario.run.horizon_days // bin_days)) * bin_days
        data = {name: shapes[name](t, rng) for name in SERIES}
        return pd.DataFrame(data, index=pd.Index(t, name="time"))

    return one


def _settled(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return 1.0 + rng.normal(0.0, 0.1, len(t))


def _transient(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return 10.0 * (1.0 - np.exp(-t / 200.0)) + rng.normal(0.0, 0.5, len(t))


def _late_rise(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flat for 70 % of the horizon, then a rise by 3 (noise sd 1)."""
    end = t[-1] + (t[1] - t[0])
    return 3.0 * np.clip((t - 0.7 * end) / (0.3 * end), 0.0, 1.0) + rng.normal(0.0, 1.0, len(t))


def test_verdicts(monkeypatch: pytest.MonkeyPatch, startup: Scenario) -> None:
    shapes: dict[str, Shape] = dict.fromkeys(SERIES, _settled)
    shapes["queue"] = _transient
    monkeypatch.setattr(warmup, "_replication_series", _fake_series(shapes))
    rec = recommend_warmup(startup, seed=1, replications=5, horizon_years=10)
    row = rec.truncations.set_index("series").loc["queue"]
    assert 400 <= row["truncation_days"] <= 1200  # the transient: 2 to 6 time constants
    assert rec.recommended_days >= row["truncation_days"]
    assert not rec.at_limit and not rec.drifting
    assert rec.long_enough is False
    long = startup.model_copy(update={"run": startup.run.model_copy(update={"warmup_days": 1500.0})})
    assert recommend_warmup(long, seed=1, replications=5, horizon_years=10).long_enough is True

    # a series that rises late: MSER keeps it all (its blind spot), the drift check flags it
    shapes["employed"] = _late_rise
    rec = recommend_warmup(long, seed=1, replications=5, horizon_years=10)
    row = rec.truncations.set_index("series").loc["employed"]
    assert row["truncation_days"] == 0 and not row["at_limit"]
    assert row["drifting"] and row["drift"] > 0 and row["drift_p"] < 0.01
    assert rec.drifting and rec.long_enough is None
    assert any("drifted" in note for note in rec.notes)


def test_half_series_limit_is_reported(monkeypatch: pytest.MonkeyPatch, startup: Scenario) -> None:
    shapes: dict[str, Shape] = dict.fromkeys(SERIES, _settled)
    shapes["stress_mean"] = lambda t, rng: -np.exp(-t / 2000.0) + rng.normal(0.0, 0.001, len(t))
    monkeypatch.setattr(warmup, "_replication_series", _fake_series(shapes))
    rec = recommend_warmup(startup, seed=1, replications=2, horizon_years=2)
    row = rec.truncations.set_index("series").loc["stress_mean"]
    assert row["at_limit"] and row["truncation_days"] == rec.limit_days
    assert rec.at_limit
    assert any("half-series limit" in note and "too short" in note for note in rec.notes)


# --------------------------------------------------------------------------- figure
def test_figure(startup_rec: WarmupRecommendation) -> None:
    fig = warmup_figure(startup_rec)
    # per panel: one faint line per replication, then the mean
    assert len(fig.data) == len(SERIES) * (startup_rec.replications + 1)
    means = [tr for tr in fig.data if tr.name.startswith("mean")]
    assert len(means) == len(SERIES)
    assert list(means[0].y) == pytest.approx(list(startup_rec.ensemble["caseload_per_fte"]))
    # two vertical lines per panel: recommended and current warm-up (in years)
    xs = sorted({round(s.x0, 9) for s in fig.layout.shapes})
    assert len(fig.layout.shapes) == 2 * len(SERIES)
    assert xs == pytest.approx(sorted({startup_rec.recommended_days / 365, 30 / 365}))
    # the lines are labelled once, in the top panel
    texts = [a.text for a in fig.layout.annotations]
    assert "new text" not in texts
    assert sum("warm-up" in str(t) for t in texts) == 2


def test_cli_warmup_writes_a_plot_and_refuses_bad_input(tmp_path: Path) -> None:
    """`caseload-sim warmup`: a recommendation and an offline plot; bad options exit 2, writing nothing."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("caseload-sim")
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "startup.yaml"
    out = tmp_path / "w.html"
    ok = subprocess.run(
        [str(exe), "warmup", str(scenario), "-n", "3", "--years", "4", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "recommended warm-up:" in ok.stdout
    assert "long replications (4 years each)" in ok.stderr and "3/3" in ok.stderr, "a progress bar on stderr"
    assert out.exists() and "<script src=" not in out.read_text(encoding="utf-8")
    bad_out = tmp_path / "bad.html"
    bad = subprocess.run(
        [str(exe), "warmup", str(scenario), "-n", "1", "--out", str(bad_out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "-n" in bad.stderr
    assert not bad_out.exists()
