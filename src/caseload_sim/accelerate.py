"""The model compiled to C with mypyc: the same code, about 1.45× faster, used only when current.

The SimPy model (:mod:`caseload_sim.model`) is plain, fully typed Python. ``make install``
also compiles its modules with `mypyc <https://mypyc.readthedocs.io>`_ (it comes with
mypy, a development dependency) into ``<venv>/caseload-sim-compiled/<python>/``, beside
the interpreter it was built for, with a manifest of the SHA-256 of every source it
compiled. When ``caseload_sim.model`` is imported, :func:`enable` puts the compiled
modules ahead of the sources **only if** every source file is byte for byte the one
that was compiled; otherwise — a source edited since, another Python, no C compiler on
the machine, or ``CASELOAD_SIM_PURE=1`` — the pure-Python modules run. Either way the
results are the same to the last bit: mypyc keeps Python's semantics, floats are C
doubles with the same IEEE operations (built with ``-ffp-contract=off``, so no fused
multiply-add changes a rounding), and ``tests/test_compiled.py`` checks that every
shipped scenario and random valid ones give byte-identical event logs both ways.

``python -m caseload_sim.accelerate build`` compiles (``make install`` runs it);
``python -m caseload_sim.accelerate status`` says which model a process would run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["MODULES", "build", "compiled_dir", "enable", "status"]

#: The compiled modules of :mod:`caseload_sim.model` (its ``__init__`` stays Python: it chooses).
MODULES = ("clock", "rules", "job", "afterwards", "workforce", "world", "candidate")
#: Set to 1 to run the pure-Python model even when a current compiled one exists.
PURE_ENV = "CASELOAD_SIM_PURE"
MANIFEST = "manifest.json"
MODEL_DIR = Path(__file__).resolve().parent / "model"

_state: str | None = None  # what enable() decided, for status()


def compiled_dir() -> Path:
    """Where the compiled model of this interpreter lives (inside its environment)."""
    return Path(sys.prefix) / "caseload-sim-compiled" / sys.implementation.cache_tag


def _digests(folder: Path) -> dict[str, str]:
    return {m: hashlib.sha256((folder / f"{m}.py").read_bytes()).hexdigest() for m in MODULES}


def _why_not(target: Path) -> str | None:
    """Why the compiled model in ``target`` cannot be used (``None``: it can)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"{PURE_ENV} is set"
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "not built (make install builds it)"
    if manifest.get("sources") != _digests(MODEL_DIR):
        return "the sources changed since it was built (make install rebuilds it)"
    return None


def enable(package_path: list[str]) -> str:
    """Put the current compiled model ahead of the sources in ``package_path`` (the model's
    ``__path__``), if there is one; returns what was decided (see :func:`status`)."""
    global _state
    target = compiled_dir()
    why = _why_not(target)
    if why is None:
        package_path.insert(0, str(target / "model"))
        if str(target / "lib") not in sys.path:
            sys.path.append(str(target / "lib"))  # mypyc's shared runtime module, alone in its folder
        _state = f"compiled ({target})"
    else:
        _state = f"pure Python: {why}"
    return _state


def status() -> str:
    """``compiled (<dir>)`` or ``pure Python: <why>`` for this process's model."""
    import caseload_sim.accelerate as this  # the imported module, also under ``python -m``
    import caseload_sim.model  # noqa: F401  # decides, once

    assert this._state is not None
    return this._state


def build(target: Path | None = None) -> Path:
    """Compile the model's modules with mypyc into ``target`` (default :func:`compiled_dir`).

    The sources are copied to a temporary tree and compiled there; the result replaces
    ``target`` as a whole only once the build has succeeded, so a failed build leaves
    the previous one (and the pure model) as they were. Raises ``RuntimeError`` with the
    compiler's last lines if the build fails.
    """
    target = target or compiled_dir()
    with tempfile.TemporaryDirectory(prefix="caseload-sim-mypyc-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(
            MODEL_DIR.parent, work / "caseload_sim", ignore=shutil.ignore_patterns("__pycache__", "*.so")
        )
        sources = _digests(work / "caseload_sim" / "model")
        env = {**os.environ, "CFLAGS": (os.environ.get("CFLAGS", "") + " -ffp-contract=off").strip()}
        files = [f"caseload_sim/model/{m}.py" for m in MODULES]
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *files], cwd=work, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"mypyc failed (exit {done.returncode}):\n{tail}")
        staged = Path(tmp) / "out"
        (staged / "model").mkdir(parents=True)
        (staged / "lib").mkdir()
        for lib in work.glob("*__mypyc*.so"):
            shutil.move(str(lib), staged / "lib" / lib.name)
        for module in (work / "caseload_sim" / "model").glob("*.so"):
            shutil.move(str(module), staged / "model" / module.name)
        from mypy.version import __version__ as mypy_version

        manifest = {"sources": sources, "mypy": mypy_version, "python": sys.version}
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["build"]:
        try:
            where = build()
        except (RuntimeError, OSError, ImportError) as exc:
            print(
                f"caseload-sim: the compiled model was not built ({exc}); the pure-Python model runs "
                "instead: the same results, about 1.45x slower",
                file=sys.stderr,
            )
            return 0  # not an error: everything works without it
        print(f"caseload-sim: compiled the model with mypyc into {where}")
        return 0
    if args == ["status"]:
        print(status())
        return 0
    print("usage: python -m caseload_sim.accelerate build|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
