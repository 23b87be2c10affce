"""Warm-up analysis: MSER-5 on synthetic series, the binned series of a log, the recommendation.

MSER is checked against hand computations and a brute-force evaluation of its formula,
and on series whose answer is known: an exponential transient (truncation near its
end), stationary noise (near 0), a trend that never settles (the half-series limit).
The binned series of a real log are checked against the metrics' own time averages
and against a replay of the events. The recommendation runs the real model on a tiny
start-up scenario; its verdict logic is checked on a stand-in with known series. The
page says what was found and how, in words, around the figure; the CLI writes it in
one piece or not at all (its layout in a browser: test_browser_warmup.py).
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from caseload_sim import metrics, warmup
from caseload_sim.cli import app
from caseload_sim.events import EventKind, EventLog
from caseload_sim.model import simulate
from caseload_sim.report import warmup as warmup_report
from caseload_sim.report.warmup import warmup_figure, warmup_page
from caseload_sim.scenario import Scenario, scenario_from_dict
from caseload_sim.warmup import (
    SERIES,
    SERIES_LABELS,
    TRUNCATION_COLUMNS,
    WarmupRecommendation,
    mser,
    mser_limit,
    mser_statistics,
    recommend_warmup,
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
def _keys(fig: Any) -> list[Any]:
    """The legend's keys to the lines and the shading: traces without data."""
    return [tr for tr in fig.data if list(tr.x) == [None]]


def test_figure(startup_rec: WarmupRecommendation) -> None:
    fig = warmup_figure(startup_rec)
    # per panel: one faint line per replication, then the mean; then the legend's three keys
    data = [tr for tr in fig.data if list(tr.x) != [None]]
    assert len(data) == len(SERIES) * (startup_rec.replications + 1)
    means = [tr for tr in data if tr.name.startswith("mean")]
    assert len(means) == len(SERIES)
    assert list(means[0].y) == pytest.approx(list(startup_rec.ensemble["caseload_per_fte"]))
    # per panel: the recommended and the current warm-up (vertical lines, in years), the cut shaded
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(lines) == 2 * len(SERIES) and len(shaded) == len(SERIES)
    xs = sorted({round(s.x0, 9) for s in lines})
    assert xs == pytest.approx(sorted({startup_rec.recommended_days / 365, 30 / 365}))
    assert {(s.x0, s.x1) for s in shaded} == {(0, startup_rec.recommended_days / 365)}


def test_figure_labels_live_in_the_legend_and_the_headings(startup_rec: WarmupRecommendation) -> None:
    """No labels on the lines (they collided): the legend names them; each panel's heading says what MSER found."""
    rec = startup_rec
    fig = warmup_figure(rec)
    keys = [tr.name for tr in _keys(fig)]
    assert keys == [
        f"recommended warm-up: {rec.recommended_months} months",
        "dropped by the recommended warm-up",
        "scenario's warm-up: 30 days (1.0 months)",
    ]
    assert all(tr.showlegend is not False for tr in _keys(fig))
    assert sum(bool(tr.showlegend) for tr in fig.data if list(tr.x) != [None]) == 2  # a replication, the mean
    assert fig.layout.legend.itemclick is False  # a key only: it cannot hide the shapes
    # the figure has no title of its own (the page has); the only annotations are the headings
    assert not fig.layout.title.text
    texts = [a.text for a in fig.layout.annotations]
    assert len(texts) == len(SERIES) and "new text" not in texts
    cuts = rec.truncations.set_index("series")["truncation_days"]
    for text, name in zip(texts, SERIES, strict=True):
        assert text.startswith(f"<b>{SERIES_LABELS[name]}</b>")
        days = float(cuts[name])
        assert (f"{days:,.0f} days" if days > 0 else "none needed") in text
    assert all(a.x == 0 and a.xanchor == "left" for a in fig.layout.annotations)


def test_figure_headings_break_when_long(startup_rec: WarmupRecommendation) -> None:
    """Flags make long headings: then each breaks after its label, with room between the panels."""
    plain = startup_rec.truncations.assign(at_limit=False, drifting=False)
    short = warmup_figure(dataclasses.replace(startup_rec, truncations=plain))
    flagged = startup_rec.truncations.assign(at_limit=True, drifting=True, truncation_days=36000.0)
    long = warmup_figure(dataclasses.replace(startup_rec, truncations=flagged))
    texts = [a.text for a in long.layout.annotations]
    assert all("<br>" in t and "at the half-series limit; still drifting" in t for t in texts)
    assert not any("<br>" in a.text for a in short.layout.annotations)
    assert long.layout.height > short.layout.height


def test_figure_scale_ignores_a_lone_spike(startup_rec: WarmupRecommendation) -> None:
    """One replication's huge bin (a month with almost no staffed FTE) does not flatten its panel."""
    fig = warmup_figure(startup_rec)
    assert all(ax.range is None for ax in (fig.layout.yaxis, fig.layout.yaxis2))  # plotly's own scales
    runs = startup_rec.runs.copy()
    runs.loc[runs.index[10], "caseload_per_fte"] = 1000.0
    spiky = dataclasses.replace(startup_rec, runs=runs)
    fig = warmup_figure(spiky)
    low, high = fig.layout.yaxis.range
    assert low == 0 and float(startup_rec.ensemble["caseload_per_fte"].max()) < high < 1000
    assert fig.layout.yaxis2.range is None
    assert "run off the top (Candidates per staffed FTE)" in warmup_page(spiky, made=MADE)
    assert "run off the top" not in warmup_page(startup_rec, made=MADE)


# ----------------------------------------------------------------------------- page
MADE = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)


def _section(page: str, ident: str) -> str:
    """The text of ``<section id=ident>`` in a page."""
    start = page.index(f"<section id='{ident}'>")
    return page[start : page.index("</section>", start)]


def test_page_explains_the_recommendation(startup_rec: WarmupRecommendation) -> None:
    rec = startup_rec
    page = warmup_page(rec, scenario_file="scenarios/startup.yaml", made=MADE)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Warm-up for the scenario tiny-startup</title>" in page
    assert "<h1>Warm-up for the scenario tiny-startup</h1>" in page
    # self-contained: plotly.js embedded, nothing fetched
    assert get_plotlyjs() in page and 'id="warmup-figure"' in page
    assert "<script src=" not in page and "http" not in page.replace(get_plotlyjs(), "")
    assert "3 March 2026 at 14:05 UTC" in page  # when it was made, readably
    assert warmup_page(rec, scenario_file="scenarios/startup.yaml", made=MADE) == page

    short = _section(page, "summary")
    assert "<h2>In short</h2>" in short
    assert f"{rec.recommended_months} months</strong>" in short
    assert f"{rec.recommended_days:,} days</strong>" in short
    assert f"({rec.recommended_days / 365:.1f} years)" in short
    # what to do: the verdict, and the line to paste in the scenario file
    assert "too short" in short and "<code>scenarios/startup.yaml</code>" in short
    assert f"<pre>run:\n  warmup_days: {rec.recommended_days}</pre>" in short
    assert "3 replications</strong>" in short and "bins of 7 days" in short

    chart = _section(page, "chart")
    assert "<h2>How to read the chart</h2>" in chart
    for words in (
        "thin grey lines",
        "thick blue line",
        "shaded part up to the solid red line",
        "dashed green line",
    ):
        assert words in chart
    assert "mean of 3 replications" in chart  # the figure is inside this section

    method = _section(page, "method")
    assert "<h2>How the recommendation is made</h2>" in method
    for words in (
        "empty world",
        "marginal standard error",
        "batches of 5 bins (35 days)",
        "White 1997",
        "first half",
        "drift check",
        "t-test",
        "grows without bound",
    ):
        assert words in method, words
    for note in rec.notes:
        assert html.escape(note) in method
    for name in SERIES:
        assert html.escape(SERIES_LABELS[name]) in method


@pytest.mark.parametrize(
    ("change", "verdict", "words"),
    [
        ({"long_enough": True, "current_warmup_days": 2000.0}, "ok", "long enough"),
        ({"long_enough": False}, "bad", "too short"),
        ({"long_enough": None, "at_limit": True, "current_warmup_days": 2000.0}, "undecided", "Undecided"),
        ({"long_enough": None, "queue_unbounded": True}, "bad", "No warm-up can help"),
    ],
)
def test_page_verdicts(
    startup_rec: WarmupRecommendation, change: dict[str, Any], verdict: str, words: str
) -> None:
    rec = dataclasses.replace(startup_rec, **{"at_limit": False, "drifting": False, **change})
    short = _section(warmup_page(rec, scenario_file="s.yaml", made=MADE), "summary")
    assert f"<div class='verdict {verdict}'>" in short and words in short
    assert f"warmup_days: {rec.recommended_days}" in short  # the setting, whatever the verdict
    # a lower bound (a series at the half-series limit) says so, and how to run again
    assert ("caseload-sim warmup s.yaml -n 3 --years 20" in short) == rec.at_limit
    assert ("at least <strong>" in short) == rec.at_limit


def test_page_marks_warnings_and_escapes(startup_rec: WarmupRecommendation) -> None:
    notes = (
        "Recommended warm-up: 1 month.",
        "Note (second half of the runs): Referrals exceed <capacity> & more. The list settles all the same.",
        "Warning: for people waiting, the truncation reached the half-series limit.",
    )
    rec = dataclasses.replace(startup_rec, scenario="a<b>&c", notes=notes)
    page = warmup_page(rec, made=MADE)
    assert "a<b>&c" not in page and "a&lt;b&gt;&amp;c" in page
    assert "Referrals exceed &lt;capacity&gt; &amp; more" in page
    assert page.count("<li class='warning'>") == 1 and page.count("<li class='finding'>") == 2
    assert "<a href='#found'>1 warning</a>" in _section(page, "summary")
    assert "in the scenario file" in _section(page, "summary")  # no file named: said in words
    calm = dataclasses.replace(rec, notes=notes[:2])
    assert "<a href='#found'>" not in _section(warmup_page(calm, made=MADE), "summary")


def test_cli_warmup_writes_the_page_and_refuses_bad_input(tmp_path: Path) -> None:
    """`caseload-sim warmup`: a recommendation and an offline page; bad options exit 2, writing nothing."""
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
    assert "recommended warm-up:" in ok.stdout and str(out) in ok.stdout
    assert "long replications (4 years each)" in ok.stderr and "3/3" in ok.stderr, "a progress bar on stderr"
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page and "<h2>In short</h2>" in page
    days = int(ok.stdout.split("recommended warm-up:")[-1].split()[0])
    assert f"warmup_days: {days}</pre>" in page and f"<code>{html.escape(str(scenario))}</code>" in page
    assert [p.name for p in tmp_path.iterdir()] == ["w.html"]  # no temporary file left
    bad_out = tmp_path / "bad.html"
    bad = subprocess.run(
        [str(exe), "warmup", str(scenario), "-n", "1", "--out", str(bad_out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "-n" in bad.stderr
    assert not bad_out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-n", "1"], "-n/--replications"),
        (["--years", "0.5"], "--years"),
        (["--seed", "-1"], "seed"),
        (["--out", "."], "--out"),
    ],
)
def test_cli_warmup_refuses_bad_options(tmp_path: Path, args: list[str], says: str) -> None:
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "startup.yaml"
    argv = ["warmup", str(scenario), *args]
    if "--out" not in args:
        argv += ["--out", str(tmp_path / "w.html")]
    got = CliRunner().invoke(app, argv)
    assert got.exit_code == 2 and says in got.stderr and "Traceback" not in got.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_warmup_replaces_the_page_atomically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, startup_rec: WarmupRecommendation
) -> None:
    """The page is written to a temporary file and renamed: a failure leaves the old page whole."""
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "startup.yaml"
    out = tmp_path / "w.html"
    out.write_text("the old page", encoding="utf-8")
    monkeypatch.setattr(warmup, "recommend_warmup", lambda *a, **k: startup_rec)  # the model is tested above

    def broken(*_: Any, **__: Any) -> str:
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(warmup_report, "warmup_page", broken)
        got = CliRunner().invoke(app, ["warmup", str(scenario), "-n", "3", "--years", "4", "--out", str(out)])
    assert got.exit_code == 1 and "cannot write" in got.stderr and "disk full" in got.stderr
    assert out.read_text(encoding="utf-8") == "the old page"
    assert [p.name for p in tmp_path.iterdir()] == ["w.html"]
    got = CliRunner().invoke(app, ["warmup", str(scenario), "-n", "3", "--years", "4", "--out", str(out)])
    assert got.exit_code == 0, got.stderr
    assert "<h2>In short</h2>" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["w.html"]
