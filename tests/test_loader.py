"""The strict scenario reader (``yaml_strict.py``): careless and hostile files, refused clearly.

Every case the reliability review found (issue 9) is here, through the real CLI entry
point (``caseload-sim validate``): the answer is ``OK`` (exit 0) or one line per
problem naming the file and the line or key (exit 2) — never a traceback, never a
hang, never the content of a file that is not the scenario. Then a fuzz of generated
documents (hypothesis, 1,000 examples) through the same entry point.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from caseload_sim.cli import app
from caseload_sim.scenario import ScenarioError, load_scenario
from caseload_sim.yaml_strict import MAX_BYTES

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()
_counter = itertools.count()
GOOD = "name: tiny\nteams:\n  - {name: t, specialists: 1}\n"


def validate(path: Path) -> Any:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"a traceback for {path.name}: {result.exception!r}"
    )
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    return result


def refused(tmp_path: Path, text: str | bytes, *, name: str = "s.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = validate(path)
    assert result.exit_code == 2, f"accepted: {text!r}"
    assert str(path) in result.stderr, "the message names the file"
    return result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: a\nteams: [{name: t}]\nregulation: {caseload_cap: !!int abc}\n", "line 3: the tag"),
        ("name: a\nteams: [{name: t}]\ndescription: !!timestamp x\n", "line 3: the tag"),
        ("name: a\nteams: [{name: t}]\ndescription: !!python/object:os.system x\n", "not allowed"),
        (
            "name: a\nteams: [{name: t}]\nrun: {warmup_days: " + "9" * 5000 + "}\n",
            "line 3: cannot read the value",
        ),
        (
            "name: a\nteams: [{name: t}]\nregulation: {caseload_cap: 12}\nregulation: {time_limit: none}\n",
            "line 4: the key 'regulation' again (first on line 3)",
        ),
        (
            "name: a\nteams: [{name: t}]\nregulation: {caseload_cap: true}\n",
            "regulation.caseload_cap: got true",
        ),
        (
            "name: a\nteams: [{name: t}]\nregulation: {caseload_cap: '12'}\n",
            "regulation.caseload_cap: got the text",
        ),
        ("name: '..'\nteams: [{name: t}]\n", "not starting with '.'"),
        ("name: a\nteams: &t [{name: t, changes: *t}]\n", "an alias refers to the value it is part of"),
        ("base: &b {name: a}\n<<: *b\nteams: [{name: t}]\n", "merge keys (<<) are not allowed"),
        ("name: a\nteams: [{name: t}]\nx: " + "[" * 40 + "]" * 40 + "\n", "levels deep"),
    ],
)
def test_what_a_yaml_library_would_do_quietly_is_refused_with_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in refused(tmp_path, text)


def test_a_date_typo_is_a_string_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(GOOD + "description: 2024-02-30\n", encoding="utf-8")
    assert validate(path).exit_code == 0
    assert load_scenario(path).description == "2024-02-30"


def test_nested_aliases_are_refused_at_once_not_expanded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]  # 9**12 values
    start = time.process_time()
    message = refused(tmp_path, "\n".join(lines) + "\n" + GOOD)
    assert "aliases expand the document to more than 100,000 values" in message
    assert time.process_time() - start < 30, "a guard, not a timing test: it must not expand the tree"


def test_bytes_that_are_not_a_text_file_are_refused(tmp_path: Path) -> None:
    assert "a NUL byte" in refused(tmp_path, GOOD.encode() + b"\x00\n")
    assert "not UTF-8" in refused(tmp_path, GOOD.encode() + b"description: \xff\xfe\n")
    assert "special characters" in refused(tmp_path, GOOD + "description: \x07\n")
    big = GOOD + "description: " + "x" * (MAX_BYTES + 10) + "\n"
    assert f"allowed: at most {MAX_BYTES:,}" in refused(tmp_path, big)


def test_special_files_are_refused_before_they_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would block for ever
    result = validate(fifo)
    assert result.exit_code == 2 and "is not a regular file" in result.stderr
    result = validate(Path("/dev/zero"))
    assert result.exit_code == 2 and "is not a regular file" in result.stderr
    result = validate(tmp_path)
    assert result.exit_code == 2 and "is not a regular file" in result.stderr


def test_bad_extends_targets_are_refused_without_a_traceback_or_their_content(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    for target, expected in (
        ("a\x00b.yaml", "extends"),
        ("x" * 300 + ".yaml", "extends"),
        ("loop.yaml", "loop.yaml"),
    ):
        message = refused(tmp_path, f"extends: {target!r}\n" + GOOD, name="child.yaml")
        assert expected in message, message
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\nmore: [1, 2]\n", encoding="utf-8")
    message = refused(tmp_path, "extends: secret.yaml\n" + GOOD, name="child2.yaml")
    assert "hunter2" not in message, "a parent's values are never echoed"


# ------------------------------------------------------------------------------ fuzz

_SNIPPETS = [
    "!!int abc",
    "!!timestamp x",
    "2024-02-30",
    "&a [*a]",
    "*nowhere",
    "<<: {a: 1}",
    "true",
    "'12'",
    "1e400",
    "-.inf",
    ".nan",
    "9" * 4400,
    "[",
    "]",
    "{",
    "}",
    ":",
    "- ",
    "? ",
    "|",
    ">",
    "\t",
    "%YAML 1.1",
    "---",
    "...",
    "\x00",
    "\x07",
    "\ufeff",
    "&x",
    "!custom",
    "'",
    '"',
    "#",
    "\n  ",
    "\n- \n",
    "extends: nowhere.yaml",
    "extends: /etc/passwd",
    "extends: ..",
    "name: ..",
    "teams: []",
]


def _baseline_text() -> str:
    return (REPO / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")


@st.composite
def documents(draw: Any) -> str:
    """A valid scenario's text with one to four snippets or random characters put in anywhere."""
    text = GOOD if draw(st.booleans()) else yaml.safe_dump(yaml.safe_load(_baseline_text()), sort_keys=False)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        junk = draw(st.one_of(st.sampled_from(_SNIPPETS), st.text(max_size=12)))
        text = text[:pos] + junk + text[pos:]
    return text


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=documents())
@example(text=GOOD)
@example(text=GOOD + "description: 2024-02-30\n")
@example(text=GOOD + "regulation: {caseload_cap: !!int abc}\n")
@example(text="x: &a [*a]\n" + GOOD)
def test_any_document_gives_ok_or_a_clear_refusal_through_the_cli(tmp_path: Path, text: str) -> None:
    path = tmp_path / f"f{next(_counter)}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = validate(path)
    if result.exit_code == 2:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        summary = "1 of 1 scenario file(s) invalid"
        assert lines and all(ln.startswith(str(path)) or summary in ln for ln in lines), result.stderr
        assert "Traceback" not in result.stderr
    else:
        load_scenario(path)  # what validate accepts, loads


def test_load_scenario_raises_only_scenario_errors_for_the_review_cases(tmp_path: Path) -> None:
    for i, text in enumerate(_SNIPPETS):
        path = tmp_path / f"r{i}.yaml"
        path.write_text(GOOD + f"description: {text}\n", encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(ScenarioError):
            load_scenario(path)


def test_generated_documents_through_the_installed_executable(tmp_path: Path) -> None:
    """The same kind of documents through the real ``caseload-sim`` entry point (a new
    process, signal handlers and all): one call validating 300 files gives exit 0 or 2,
    one line per problem naming its file, and never a traceback."""
    import random
    import subprocess
    import sys

    rng = random.Random(20261201)
    bases = [GOOD, yaml.safe_dump(yaml.safe_load(_baseline_text()), sort_keys=False)]
    paths = []
    for i in range(300):
        text = rng.choice(bases)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(0, len(text))
            junk = (
                rng.choice(_SNIPPETS)
                if rng.random() < 0.7
                else "".join(rng.choice(":-[]{}&*!|>#'\" \n\tab1") for _ in range(6))
            )
            text = text[:pos] + junk + text[pos:]
        path = tmp_path / f"g{i:03d}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        paths.append(path)
    executable = Path(sys.executable).with_name("caseload-sim")
    done = subprocess.run(
        [str(executable), "validate", *map(str, paths)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    names = {str(p) for p in paths}
    for line in filter(str.strip, done.stderr.splitlines()):
        assert line.split(": ", 1)[0] in names or "scenario file(s) invalid" in line, line
    ok = [ln for ln in done.stdout.splitlines() if ln.startswith("OK ")]
    refused = {ln.split(": ", 1)[0] for ln in done.stderr.splitlines() if ln.split(": ", 1)[0] in names}
    assert len(ok) + len(refused) == len(paths), "every file is either OK or refused"
