/*
 * The classroom app's page script (caseload_sim.teach.app): the lever form, the run
 * button, the progress bar, the error line, the KPI table and the two players.
 *
 * Plain JavaScript and no network but this page's own server: the app must work on an
 * offline classroom PC. The server checks every request with the scenario's own
 * validation, so the form does not second-guess it (the form is `novalidate`): a value
 * the model refuses comes back as one line naming the lever and what is allowed.
 */
(function () {
  "use strict";

  var POLL_MS = 150;
  var config = JSON.parse(document.getElementById("app-config").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var form = byId("levers-form");
  var scenarioSelect = byId("scenario");
  var seedInput = byId("seed");
  var yearsSelect = byId("years");
  var runButton = byId("run");
  var resetButton = byId("reset");
  var progressBar = byId("progress");
  var stageText = byId("stage");
  var errorLine = byId("error");
  var results = byId("results");
  var players = byId("players");

  var scenarios = [];
  var player = null;
  var busy = false;

  function control(name) { return byId("lever-" + name); }

  function currentScenario() {
    for (var i = 0; i < scenarios.length; i++) {
      if (scenarios[i].file === scenarioSelect.value) { return scenarios[i]; }
    }
    return null;
  }

  function showError(message) { errorLine.textContent = message || ""; }

  function setBusy(on, stage) {
    busy = on;
    runButton.disabled = on;
    progressBar.hidden = !on;
    if (!on) { progressBar.value = 0; }
    stageText.textContent = stage || "";
  }

  function leverWords(lever, value) {
    if (lever.kind === "choice") {
      for (var i = 0; i < lever.choices.length; i++) {
        if (lever.choices[i].value === value) { return lever.choices[i].label; }
      }
    }
    if (lever.name === "quit_specialist") { return value ? "Specialist " + value : "nobody"; }
    return String(value);
  }

  function leverValue(lever) {
    var el = control(lever.name);
    if (lever.kind === "choice") { return el.value; }
    if (el.value.trim() === "") { return null; }
    var n = Number(el.value);
    return isFinite(n) ? n : el.value;
  }

  function markChanged() {
    var sc = currentScenario();
    if (!sc) { return; }
    var quitting = Number(control("quit_specialist").value) > 0;
    config.levers.forEach(function (lever) {
      var row = byId("row-" + lever.name);
      var changed;
      if (lever.name === "quit_day") {
        changed = quitting;
      } else if (lever.name === "quit_specialist") {
        changed = quitting;
      } else {
        changed = String(leverValue(lever)) !== String(sc.levers[lever.name]);
      }
      row.classList.toggle("changed", changed);
    });
  }

  function updateQuitDayRange() {
    var days = 365 * Number(yearsSelect.value || 1) - 1;
    control("quit_day").max = String(days);
  }

  function applyScenario() {
    var sc = currentScenario();
    if (!sc) { return; }
    byId("scenario-description").textContent = sc.description;
    config.levers.forEach(function (lever) {
      var el = control(lever.name);
      el.value = String(sc.levers[lever.name]);
      var was = byId("was-" + lever.name);
      if (lever.name === "quit_day") {
        was.textContent = "";
      } else if (lever.name === "quit_specialist") {
        was.textContent = "as it is: nobody";
      } else {
        was.textContent = "as it is: " + leverWords(lever, sc.levers[lever.name]);
      }
    });
    control("quit_specialist").max = String(sc.posts);
    byId("help-quit_specialist").textContent =
      "A scripted resignation: post 1 to " + sc.posts + " of " + sc.team + ", 0 for nobody.";
    yearsSelect.value = String(sc.years);
    updateQuitDayRange();
    markChanged();
  }

  function loadScenarios() {
    setBusy(false, "Loading the scenarios…");
    fetch("/api/scenarios")
      .then(function (r) {
        if (!r.ok) { throw new Error("the server answered " + r.status); }
        return r.json();
      })
      .then(function (list) {
        scenarios = list;
        scenarioSelect.textContent = "";
        list.forEach(function (sc) {
          var opt = document.createElement("option");
          opt.value = sc.file;
          opt.textContent = sc.name + " (" + sc.file + ")";
          scenarioSelect.appendChild(opt);
        });
        stageText.textContent = "";
        if (!list.length) {
          showError("No classroom scenarios found (one team of job specialists each) in the scenarios folder.");
          runButton.disabled = true;
          return;
        }
        applyScenario();
      })
      .catch(function (err) {
        stageText.textContent = "";
        showError("Could not load the scenarios: " + err.message + ". Is caseload-sim app still running?");
      });
  }

  function request() {
    var levers = {};
    config.levers.forEach(function (lever) { levers[lever.name] = leverValue(lever); });
    var seed = seedInput.value.trim() === "" ? null : Number(seedInput.value);
    return {
      scenario: scenarioSelect.value,
      seed: seed,
      years: Number(yearsSelect.value),
      levers: levers
    };
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) { return { ok: r.ok, status: r.status, body: answer }; });
    });
  }

  function run(event) {
    if (event) { event.preventDefault(); }
    if (busy) { return; }
    showError("");
    setBusy(true, "Starting…");
    var body = request();
    // check first: /api/check answers a refused lever with 200, which the browser does not log as an error
    post("/api/check", body)
      .then(function (checked) {
        if (!checked.ok || !checked.body.ok) {
          setBusy(false, "");
          showError(checked.body.error || ("The server answered " + checked.status + "."));
          return null;
        }
        return post("/api/run", body);
      })
      .then(function (answer) {
        if (answer === null) { return; }
        if (!answer.ok) {
          setBusy(false, "");
          showError(answer.body.error || ("The server answered " + answer.status + "."));
          return;
        }
        poll(answer.body.job);
      })
      .catch(function (err) {
        setBusy(false, "");
        showError("The server does not answer (" + err.message + "). Is caseload-sim app still running?");
      });
  }

  function poll(job) {
    fetch("/api/job/" + encodeURIComponent(job))
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (answer) {
        var body = answer.body;
        if (!answer.ok) {
          setBusy(false, "");
          showError(body.error || "The run was lost.");
          return;
        }
        progressBar.value = body.progress;
        stageText.textContent = body.stage + "…";
        if (body.state === "running") {
          window.setTimeout(function () { poll(job); }, POLL_MS);
        } else if (body.state === "done") {
          setBusy(false, "");
          show(body.result);
        } else {
          setBusy(false, "");
          showError(body.error || "The run failed.");
        }
      })
      .catch(function (err) {
        setBusy(false, "");
        showError("The server does not answer (" + err.message + "). Is caseload-sim app still running?");
      });
  }

  function formatKpi(spec, value) {
    if (value === null || value === undefined) { return "–"; }
    var shown = (value * spec.scale).toFixed(spec.decimals);
    return spec.unit === "%" ? shown + " %" : shown;
  }

  function changeCell(spec, base, changed) {
    var td = document.createElement("td");
    if (base === null || changed === null || base === undefined || changed === undefined) {
      td.textContent = "–";
      return td;
    }
    var a = Number((base * spec.scale).toFixed(spec.decimals));
    var b = Number((changed * spec.scale).toFixed(spec.decimals));
    var d = b - a;
    if (Math.abs(d) < Math.pow(10, -spec.decimals) / 2) {
      td.textContent = "no change";
      return td;
    }
    var text = (d > 0 ? "+" : "−") + Math.abs(d).toFixed(spec.decimals) + (spec.unit === "%" ? " points" : "");
    if (spec.better !== 0) {
      var good = d * spec.better > 0;
      td.className = good ? "better" : "worse";
      text += good ? " (better)" : " (worse)";
    }
    td.textContent = text;
    return td;
  }

  function kpiTable(result) {
    var body = byId("kpis").querySelector("tbody");
    body.textContent = "";
    config.kpis.forEach(function (spec) {
      var base = result.kpis.base[spec.name];
      var changed = result.kpis.changed[spec.name];
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = spec.label;
      if ((base === null || changed === null) && spec.note) {
        var note = document.createElement("span");
        note.className = "note";
        note.textContent = spec.note;
        th.appendChild(note);
      }
      var tdBase = document.createElement("td");
      tdBase.textContent = formatKpi(spec, base);
      tdBase.setAttribute("data-kpi-base", spec.name);
      var tdChanged = document.createElement("td");
      tdChanged.textContent = formatKpi(spec, changed);
      tdChanged.setAttribute("data-kpi", spec.name);
      tr.appendChild(th);
      tr.appendChild(tdBase);
      tr.appendChild(tdChanged);
      tr.appendChild(changeCell(spec, base, changed));
      body.appendChild(tr);
    });
  }

  function changesText(result) {
    if (!result.changes.length) {
      return "No lever changed: both runs are the same scenario, so they should look the same.";
    }
    return "With your changes: " + result.changes.map(function (c) {
      var lever = null;
      config.levers.forEach(function (l) { if (l.name === c.lever) { lever = l; } });
      if (c.was === null) { return c.label + ": " + c.now; }
      var now = lever ? leverWords(lever, c.now) : c.now;
      var was = lever ? leverWords(lever, c.was) : c.was;
      return c.label + ": " + now + " (as it is: " + was + ")";
    }).join("; ") + ".";
  }

  function mean(xs) {
    var s = 0, n = 0;
    for (var i = 0; i < xs.length; i++) { if (xs[i] >= 0) { s += xs[i]; n++; } }
    return n ? s / n : 0;
  }

  function fallback(result) {
    // until the player is there: the two runs' headline numbers as text
    var wrap = document.createElement("div");
    wrap.className = "fallback";
    [result.base, result.changed].forEach(function (payload, i) {
      var sec = document.createElement("section");
      var h = document.createElement("h3");
      h.textContent = config.labels[i];
      sec.appendChild(h);
      var lines = [
        payload.people.length + " people referred or on the caseload",
        "waiting list: " + mean(payload.series.waiting).toFixed(1) + " people on average",
        "in a job on the caseload: " + mean(payload.series.in_work).toFixed(1) + " on average",
        "stress: " + mean(payload.series.stress).toFixed(0) + " of 100 on average"
      ];
      lines.forEach(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        sec.appendChild(p);
      });
      wrap.appendChild(sec);
    });
    players.appendChild(wrap);
  }

  function mountPlayers(result) {
    if (player && typeof player.destroy === "function") {
      try { player.destroy(); } catch (err) { /* the old player is going anyway */ }
    }
    player = null;
    players.textContent = "";
    if (!window.CaseloadPlayer || typeof window.CaseloadPlayer.mount !== "function") {
      fallback(result);
      return;
    }
    var sc = currentScenario();
    var title = (sc ? sc.name : result.scenario) + ", seed " + result.seed + ", " +
      result.years + (result.years === 1 ? " year" : " years");
    try {
      player = window.CaseloadPlayer.mount(players, [result.base, result.changed], {
        labels: config.labels,
        title: title
      });
    } catch (err) {
      players.textContent = "";
      showError("The player could not start: " + err.message);
      fallback(result);
    }
  }

  function show(result) {
    results.classList.remove("hidden");
    byId("changes").textContent = changesText(result);
    var secs = result.seconds < 1 ? result.seconds.toFixed(2) : result.seconds.toFixed(1);
    byId("timing").textContent = "Both runs, with their animations, took " + secs + " s.";
    kpiTable(result);
    mountPlayers(result);
  }

  form.addEventListener("submit", run);
  form.addEventListener("input", markChanged);
  form.addEventListener("change", markChanged);
  scenarioSelect.addEventListener("change", applyScenario);
  yearsSelect.addEventListener("change", updateQuitDayRange);
  resetButton.addEventListener("click", function () { showError(""); applyScenario(); });
  seedInput.max = String(config.seedMax);

  // for the browser tests and the curious: the page's state, read-only in spirit
  window.caseloadApp = {
    player: function () { return player; },
    scenarios: function () { return scenarios; },
    run: function () { run(null); }
  };

  loadScenarios();
})();
