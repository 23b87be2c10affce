"""The classroom app (caseload_sim.teach.app): the pair of runs on the same people, and its server.

The pair is the app's promise — "same referrals, same luck, different rules" — so the
tests check it on the real model: the two runs share their people until the rules make
a difference, a lever with a known direction moves the result that way, and no lever at
all gives two identical runs. The server is started on a free port in a thread and
spoken to over HTTP like the page does (no browser; the browser tests are separate).
Everything runs the start-up scenario for one year: a pair costs well under a second.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from caseload_sim.scenario import Regulation, TimeLimitPolicy
from caseload_sim.teach import app
from caseload_sim.teach.app import KPIS, LEVER_BY_NAME, LEVERS, LeverError, plan_pair, run_pair

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STARTUP = SCENARIOS / "startup.yaml"
FORM_IDS = [f"lever-{lever.name}" for lever in LEVERS] + ["scenario", "seed", "years", "run"]


def _first_difference(a: list[int], b: list[int]) -> float:
    """The day (since the start shown) of the first event the two payloads disagree on."""
    n = min(len(a), len(b))
    i = next((i for i in range(n) if a[i] != b[i]), n)
    i -= i % 4  # the quadruple's time
    return (a[i] if i < len(a) else b[i]) / 100.0


# --------------------------------------------------------------------------- the pair
def test_the_pair_shares_its_people_until_the_rules_differ() -> None:
    result = run_pair(STARTUP, {"caseload_cap": 5}, seed=0, years=1)
    base, changed = result["base"], result["changed"]
    day = _first_difference(base["events"], changed["events"])
    before = [row for row in base["people"] if row[1] < day]
    assert len(before) >= 10, f"the runs differ from day {day:g}: too early for a cap of 5 x 5 posts"
    assert before == [row for row in changed["people"] if row[1] < day], (
        "common random numbers: everyone referred before the first difference is the same person "
        "(name, referral day, severity, capacity, work) in both runs"
    )
    base_days = {row[0]: row[1] for row in base["people"]}
    changed_days = {row[0]: row[1] for row in changed["people"]}
    common = set(base_days) & set(changed_days)
    assert len(common) >= 30
    assert all(base_days[name] == changed_days[name] for name in common), (
        "a candidate referred in both runs is referred on the same day: the referral stream is shared"
    )
    assert result["seed"] == 0 and base["seed"] == changed["seed"] == 0
    assert base["replication"] == changed["replication"] == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_lower_cap_makes_a_longer_waiting_list(seed: int) -> None:
    result = run_pair(STARTUP, {"caseload_cap": 5}, seed=seed, years=1)
    base, changed = result["base"]["series"]["waiting"], result["changed"]["series"]["waiting"]
    assert np.mean(changed) > np.mean(base), (
        f"seed {seed}: a cap of 5 instead of 15 per FTE gives 25 slots instead of 75 for about 50 "
        f"referrals a year, so the modeller expects a longer list; got {np.mean(changed):.2f} vs "
        f"{np.mean(base):.2f} waiting on average"
    )
    kpis = result["kpis"]
    assert kpis["changed"]["wait_days_mean"] > kpis["base"]["wait_days_mean"], (
        "the same people wait longer for fewer slots"
    )
    assert result["changes"] == [
        {"lever": "caseload_cap", "label": "Caseload cap per FTE", "was": 15, "now": 5}
    ]


def test_no_lever_changed_gives_two_identical_runs() -> None:
    result = run_pair(STARTUP, {"caseload_cap": 15, "handover": "redistribute"}, seed=3, years=1)
    assert result["changes"] == []
    assert result["base"] == result["changed"], "the same scenario on the same seed is the same run"
    assert result["kpis"]["base"] == result["kpis"]["changed"]


def test_the_scripted_resignation_happens_in_the_changed_run_only() -> None:
    result = run_pair(STARTUP, {"quit_specialist": 2, "quit_day": 100}, seed=1, years=1)

    def quits(payload: dict[str, Any]) -> list[float]:
        return [t for t, text in payload["story"] if text.startswith("Specialist 2 quits") and 100 <= t < 108]

    assert quits(result["changed"]), "post 2's holder quits at the end of the week holding day 100"
    assert not quits(result["base"]), "as it is, nobody is scripted to quit"
    assert result["changes"][0]["now"] == "Specialist 2 on day 100"


def test_years_set_the_horizon_and_the_progress_is_reported() -> None:
    stages: list[tuple[float, str]] = []
    result = run_pair(STARTUP, {}, seed=1, years=2, progress=lambda f, s: stages.append((f, s)))
    assert result["base"]["days"] == pytest.approx(730)
    fractions = [f for f, _ in stages]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    words = " / ".join(s for _, s in stages)
    assert "as it is" in words and "with your changes" in words and "animation" in words
    assert set(result["kpis"]["base"]) == {kpi.name for kpi in KPIS}
    assert result["seconds"] > 0


def test_the_levers_take_their_ranges_and_choices_from_the_schema() -> None:
    cap = LEVER_BY_NAME["caseload_cap"]
    field = Regulation.model_fields["caseload_cap"]
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in field.metadata}
    assert (cap.minimum, cap.maximum) == (bounds["Ge"], bounds["Le"])
    assert [v for v, _ in LEVER_BY_NAME["time_limit"].choices] == [p.value for p in TimeLimitPolicy]
    assert {lever.path.text for lever in LEVERS if lever.path} == {
        "regulation.caseload_cap",
        "teams[*].referrals_per_week",
        "regulation.time_limit",
        "week.reporting_hours",
        "targets.measure",
        "workforce.handover",
    }


@pytest.mark.parametrize(
    ("levers", "words"),
    [
        ({"caseload_cap": 0}, ["caseload_cap", "got 0", "1 to 100"]),
        ({"caseload_cap": 8.5}, ["caseload_cap", "8.5", "whole number"]),
        ({"time_limit": "forever"}, ["time_limit", "'forever'", "strict_6_6", "none"]),
        ({"referrals_per_week": -1}, ["referrals_per_week", "got -1", "0 to 100"]),
        ({"reporting_hours": "five"}, ["reporting_hours", "'five'", "a number"]),
        ({"measure": "everyone"}, ["measure", "team", "individual"]),
        ({"quit_specialist": 6}, ["quit_specialist", "got 6", "1 to 5"]),
        ({"quit_specialist": 1, "quit_day": 365}, ["quit_day", "365", "0 to 364"]),
        ({"cap": 8}, ["unknown lever", '"cap"', "caseload_cap"]),
    ],
)
def test_a_bad_lever_is_refused_naming_the_lever_the_value_and_what_is_allowed(
    levers: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(LeverError) as caught:
        plan_pair(STARTUP, levers, seed=1, years=1)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"
    assert "\n" not in message and "Traceback" not in message


def test_seed_and_years_are_checked() -> None:
    with pytest.raises(LeverError, match=r"years: got 4; allowed: 1, 2 or 3"):
        plan_pair(STARTUP, {}, seed=1, years=4)
    with pytest.raises(LeverError, match=r"seed: got -1; allowed: a whole number from 0"):
        plan_pair(STARTUP, {}, seed=-1, years=1)


def test_only_one_team_scenarios_of_job_specialists_are_offered() -> None:
    offered = {s["file"]: s for s in app.offered_scenarios(SCENARIOS)}
    assert list(offered)[:2] == ["startup.yaml", "baseline.yaml"], "the classroom scenarios come first"
    assert "national.yaml" not in offered and "region.yaml" not in offered, "several teams: skipped"
    assert "usual_services.yaml" not in offered, "case workers, no caseload cap: skipped"
    startup = offered["startup.yaml"]
    assert startup["levers"] == {
        "caseload_cap": 15,
        "referrals_per_week": 1.0,
        "time_limit": "reduced_capacity_3y",
        "reporting_hours": 5.0,
        "measure": "team",
        "handover": "redistribute",
        "quit_specialist": 0,
        "quit_day": app.DEFAULT_QUIT_DAY,
    }
    assert startup["posts"] == 5 and startup["warmup_days"] == 0


# --------------------------------------------------------------------------- the server
class Client:
    """Talks to the app like the page does (one connection per request)."""

    def __init__(self, port: int):
        self.port = port

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
            sent = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, body=data, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, headers, raw = self.request(method, path, body)
        assert headers["content-type"].startswith("application/json"), headers
        return status, json.loads(raw)


@pytest.fixture
def client() -> Iterator[Client]:
    server = app.make_server(0, SCENARIOS)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        yield Client(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _wait(client: Client, job: str, timeout: float = 30.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < end:
        status, view = client.json("GET", f"/api/job/{job}")
        assert status == 200, view
        assert 0.0 <= view["progress"] <= 1.0 and isinstance(view["stage"], str)
        seen.append(view["state"])
        if view["state"] != "running":
            return dict(view)
        time.sleep(0.02)
    raise AssertionError(f"job {job} still running after {timeout} s ({len(seen)} polls)")


RESOURCE_URL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import)|(?:\bfetch\(\s*["'`](?:https?:)?//)""",
    re.IGNORECASE,
)


def test_the_page_is_whole_and_loads_nothing_from_the_network(client: Client) -> None:
    status, headers, raw = client.request("GET", "/")
    page = raw.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert not RESOURCE_URL.search(page), RESOURCE_URL.search(page)
    assert "<script src" not in page and '<link rel="stylesheet"' not in page
    assert "default-src 'none'" in headers["content-security-policy"], (
        "the browser enforces: nothing else loads"
    )
    for ident in FORM_IDS:
        assert f'id="{ident}"' in page, ident
        if ident != "run":
            assert f'<label for="{ident}"' in page, f"{ident} has a label"
    assert 'id="kpis"' in page and 'id="players"' in page
    assert "CaseloadPlayer" in page, "the player's script is inline"
    assert 'min="1" max="100" step="1"' in page, "the cap's range from the schema"
    config = re.search(r'<script type="application/json" id="app-config">(.*?)</script>', page, re.S)
    assert config is not None
    assert [lever["name"] for lever in json.loads(config[1])["levers"]] == [lv.name for lv in LEVERS]


def test_the_scenarios_are_listed_with_their_levers(client: Client) -> None:
    status, scenarios = client.json("GET", "/api/scenarios")
    assert status == 200
    by_file = {s["file"]: s for s in scenarios}
    assert "startup.yaml" in by_file and "national.yaml" not in by_file
    startup = by_file["startup.yaml"]
    assert startup["name"] == "startup" and "new SE team" in startup["description"]
    assert set(startup["levers"]) == {lever.name for lever in LEVERS}


@pytest.mark.parametrize(
    ("levers", "words"),
    [
        ({"caseload_cap": 0}, ["caseload_cap", "got 0", "1 to 100"]),
        ({"time_limit": "forever"}, ["time_limit", "forever", "strict_6_6", "three_years_all"]),
    ],
)
def test_a_bad_lever_answers_400_and_runs_nothing(
    client: Client, levers: dict[str, Any], words: list[str]
) -> None:
    status, answer = client.json(
        "POST", "/api/run", {"scenario": "startup.yaml", "seed": 1, "years": 1, "levers": levers}
    )
    assert status == 400, answer
    for word in words:
        assert word in answer["error"], answer
    assert "Traceback" not in answer["error"]


def test_the_page_checks_first_and_a_refusal_is_not_an_http_error(client: Client) -> None:
    """The page asks /api/check before /api/run: a browser logs every 4xx as a console error."""
    request = {"scenario": "startup.yaml", "seed": 1, "years": 1, "levers": {"caseload_cap": 0}}
    status, answer = client.json("POST", "/api/check", request)
    assert status == 200 and answer["ok"] is False and "caseload_cap" in answer["error"]
    request["levers"] = {"caseload_cap": 9}
    status, answer = client.json("POST", "/api/check", request)
    assert status == 200 and answer == {
        "ok": True,
        "changes": [{"lever": "caseload_cap", "label": "Caseload cap per FTE", "was": 15, "now": 9}],
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"scenario": "../startup.yaml"}, ["scenario", "allowed: one of", "startup.yaml"]),
        ({"scenario": "national.yaml"}, ["one team"]),
        ({"scenario": "startup.yaml", "years": 9}, ["years: got 9"]),
        ({"scenario": "startup.yaml", "speed": 2}, ["speed", "unknown key"]),
        ([1, 2], ["a JSON object"]),
    ],
)
def test_a_bad_request_answers_400_in_words(client: Client, body: Any, words: list[str]) -> None:
    status, answer = client.json("POST", "/api/run", body)
    assert status == 400, answer
    for word in words:
        assert word in answer["error"], answer


def test_a_good_run_finishes_with_both_payloads(client: Client) -> None:
    status, answer = client.json(
        "POST",
        "/api/run",
        {
            "scenario": "startup.yaml",
            "seed": 2,
            "years": 1,
            "levers": {"caseload_cap": 8, "handover": "wait"},
        },
    )
    assert status == 202, answer
    view = _wait(client, answer["job"])
    assert view["state"] == "done", view
    assert view["progress"] == 1.0
    result = view["result"]
    for side in ("base", "changed"):
        assert result[side]["events"] and result[side]["posts"] and result[side]["seed"] == 2
        assert result[side]["days"] == pytest.approx(365)
        assert set(result["kpis"][side]) == {kpi.name for kpi in KPIS}
    assert result["kpis"]["base"]["work_12m"] is None, "no 12-month cohort in one year: null, not NaN"
    assert [c["lever"] for c in result["changes"]] == ["caseload_cap", "handover"]
    assert result["seconds"] < 30


def test_a_failed_run_says_so_in_one_line(
    client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the model broke\nsecond line")

    monkeypatch.setattr(app, "simulate", broken)
    status, answer = client.json("POST", "/api/run", {"scenario": "startup.yaml", "seed": 1, "years": 1})
    assert status == 202
    view = _wait(client, answer["job"])
    assert view["state"] == "failed" and "result" not in view
    assert view["error"] == "The run failed: RuntimeError: the model broke"
    err = capsys.readouterr().err
    assert "the model broke" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_things_answer_404_json(client: Client) -> None:
    status, answer = client.json("GET", "/api/job/0123456789abcdef")
    assert status == 404 and "no job" in answer["error"]
    status, answer = client.json("GET", "/nothing/here")
    assert status == 404 and "error" in answer
    status, answer = client.json("POST", "/api/nothing", {})
    assert status == 404


def test_the_server_refuses_other_hosts_and_other_content_types(client: Client) -> None:
    status, _, raw = client.request("GET", "/api/scenarios", headers={"Host": "evil.example:80"})
    assert status == 403 and b"127.0.0.1" in raw
    status, _, raw = client.request(
        "POST", "/api/run", body=b'{"scenario": "startup.yaml"}', headers={"Content-Type": "text/plain"}
    )
    assert status == 415, raw
    status, _, raw = client.request("POST", "/api/run", body=b"{not json")
    assert status == 400 and b"not JSON" in raw


def test_serve_says_where_opens_the_browser_and_stops_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(app.webbrowser, "open", lambda url: opened.append(url))

    def interrupted(self: app.AppServer, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app.AppServer, "serve_forever", interrupted)
    app.serve(0, open_browser=True, scenarios_dir=SCENARIOS)
    out = capsys.readouterr()
    line = out.out.splitlines()[0]
    assert re.fullmatch(r"caseload-sim app on http://127\.0\.0\.1:\d+ \(Ctrl-C to stop\)", line), line
    assert opened == [line.split()[3] + "/"]
    assert "Traceback" not in out.err
    app.serve(0, open_browser=False, scenarios_dir=SCENARIOS)
    assert len(opened) == 1


def test_the_app_command_refuses_a_busy_port_and_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    """``caseload-sim app`` on a port another program holds, or with no scenarios folder: exit 2, one
    line naming the option and what is allowed, no traceback."""
    import socket

    from typer.testing import CliRunner

    from caseload_sim.cli import app as cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        got = CliRunner().invoke(
            cli, ["app", "--port", str(port), "--no-browser", "--scenarios", str(SCENARIOS)]
        )
    assert got.exit_code == 2, got.output
    assert f"--port: cannot listen on 127.0.0.1:{port}" in got.output and "Traceback" not in got.output
    got = CliRunner().invoke(cli, ["app", "--no-browser", "--scenarios", str(tmp_path / "none")])
    assert got.exit_code == 2 and "--scenarios: got" in got.output
