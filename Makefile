# caseload_sim — everyday tasks. Needs only python3 and make; everything else is
# installed into .venv by `make install` (run implicitly by the other targets).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the model compiled with mypyc (caseload_sim.accelerate), rebuilt when its sources change
COMPILED := $(VENV)/.compiled
MODEL_SOURCES := $(wildcard src/caseload_sim/model/*.py) src/caseload_sim/accelerate.py

.PHONY: install run test bench lint docs screenshots

## install: create .venv (if missing), install the package with its dev tools, and compile
## the model with mypyc (about 40 s; without a C compiler the pure-Python model runs: same results)
install: $(STAMP) $(COMPILED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

$(COMPILED): $(STAMP) $(MODEL_SOURCES)
	$(BIN)/python -m caseload_sim.accelerate build
	touch $(COMPILED)

## run: 10 replications of the baseline scenario on 2 workers, written to out/baseline/,
## then its self-contained HTML report (out/baseline/report.html)
run: install
	$(BIN)/caseload-sim run scenarios/baseline.yaml -n 10 --seed 1 --workers 2
	$(BIN)/caseload-sim report out/baseline

## test: the test suite with a coverage report, then validate every scenario
test: install
	$(BIN)/pytest --cov=caseload_sim --cov-report=term
	$(BIN)/caseload-sim validate scenarios/*.yaml

## bench: the performance benchmark (experiments/bench.py: CPU time, model and bare SimPy interleaved, median of 3 rounds; then the sweep figures)
bench: install
	$(BIN)/python experiments/bench.py --repeat 3

## lint: ruff lint, ruff format check and mypy
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

## docs: regenerate the parameter table in docs/model.md from the scenario schema
docs: install
	$(BIN)/python -c "import pathlib, caseload_sim.scenario as s; p = pathlib.Path('docs/model.md'); t = p.read_text(); a, b = '<!-- parameters:start -->\n', '<!-- parameters:end -->'; i = t.index(a) + len(a); p.write_text(t[:i] + s.parameter_markdown() + t[t.index(b):])"

## screenshots: the browser tests of the animation and the classroom app, saving their screenshots for docs/teaching.md
screenshots: install
	CASELOAD_SCREENSHOTS=docs/img/teaching $(BIN)/pytest -q -p no:cacheprovider --no-cov tests/test_browser_teach.py
