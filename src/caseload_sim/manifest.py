"""Output folders: the manifest that makes a result reproducible, and safe publication.

Every output folder carries a ``manifest.json``: the resolved scenario (after
``extends:``), its SHA-256, the seed and number of replications, the package, Python and
dependency versions, and when the run started and finished (ISO 8601, UTC). With it,
anyone can re-run exactly the same experiment, or tell why two folders differ.

:func:`publish` writes a folder's files without ever leaving it half-written: all files
are first written into a hidden staging folder beside the target, then moved into place
(one rename per file, ``manifest.json`` last). Files in the target that we did not
write are left alone, except our own outputs from an earlier run that this run no
longer produces (e.g. a stale ``events.parquet``), which would otherwise be mistaken
for results of this run.

Reports are made later, from a finished folder, so the manifest cannot list them. A
report instead carries the :func:`results_digest` of the manifest it was made from
(``<meta name="caseload-sim-results" content="...">``); :func:`reports_made_from`
finds the reports in a folder that describe the results in it, so that a new run can
remove them together with the results they describe (see ``remove`` in
:func:`publish`) instead of leaving them to claim the new results as theirs.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from caseload_sim import __version__
from caseload_sim.scenario import Scenario

__all__ = [
    "DEPENDENCIES",
    "MANIFEST_NAME",
    "REPORT_MARKER",
    "build_manifest",
    "dependency_versions",
    "process_alive",
    "publish",
    "reports_made_from",
    "results_digest",
    "utc_now",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
#: Distributions whose versions can change the numbers; recorded in every manifest.
DEPENDENCIES: tuple[str, ...] = ("simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow")

#: The ``name`` of the HTML ``<meta>`` element by which a report names the results it describes.
REPORT_MARKER = "caseload-sim-results"
_MARKER_PATTERN = re.compile(
    rb"""<meta\s+name=['"]""" + REPORT_MARKER.encode() + rb"""['"]\s+content=['"]([0-9a-f]{64})['"]"""
)
_MARKER_SEARCH_BYTES = 4096  # the marker sits near the top of the page's head

#: Writes one output file to the path it is given.
FileWriter = Callable[[Path], None]


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def dependency_versions(names: Iterable[str] = DEPENDENCIES) -> dict[str, str | None]:
    """Installed version of each distribution, or ``None`` if it is not installed."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _iso_utc(moment: datetime, what: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what}: got a naive datetime {moment!r}; allowed: a timezone-aware datetime")
    return moment.astimezone(UTC).isoformat()


def build_manifest(
    scenario: Scenario,
    seed: int,
    replications: int,
    started: datetime,
    finished: datetime,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Describe a run completely enough to reproduce it.

    Parameters
    ----------
    scenario
        The resolved, validated scenario that was run.
    seed, replications
        The experiment's root seed and number of replications.
    started, finished
        Timezone-aware start and end of the run; stored as ISO 8601 in UTC.
    extra
        Further top-level entries (e.g. the command, workers, files written). They may
        not replace the standard entries.

    Returns
    -------
    dict
        JSON-serialisable; keys ``scenario_name``, ``scenario_sha256``, ``seed``,
        ``replications``, ``package``, ``python``, ``dependencies``, ``started``,
        ``finished``, ``duration_seconds``, ``scenario`` and then those of ``extra``.

    Raises
    ------
    ValueError
        If a time is naive or ``extra`` reuses a standard key.
    """
    manifest: dict[str, Any] = {
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.digest(),
        "seed": int(seed),
        "replications": int(replications),
        "package": {"name": "caseload-sim", "version": __version__},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
        },
        "dependencies": dependency_versions(),
        "started": _iso_utc(started, "started"),
        "finished": _iso_utc(finished, "finished"),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "scenario": scenario.model_dump(mode="json"),
    }
    for key, value in (extra or {}).items():
        if key in manifest:
            raise ValueError(f"extra: key {key!r} would replace a standard manifest entry")
        manifest[key] = value
    return manifest


def write_manifest(manifest: Mapping[str, Any], path: str | Path) -> None:
    """Write a manifest as indented JSON (UTF-8, trailing newline)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def results_digest(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of a manifest's content (canonical JSON): names the results of one run.

    Two runs differ at least in their start time, so their digests differ; reading a
    manifest back from its file gives the same digest as the manifest written.
    """
    text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reports_made_from(target: str | Path) -> list[str]:
    """The HTML files directly in ``target`` that report the results now in it.

    A file qualifies only if it carries the :data:`REPORT_MARKER` with the
    :func:`results_digest` of ``target/manifest.json``: it was made by ``caseload-sim
    report`` from exactly these results. Anything else — a user's page, a report of
    other results, one made before reports carried the marker — is not listed.
    Sorted names; empty if there is no readable manifest.
    """
    folder = Path(target)
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(manifest, dict):
        return []
    digest = results_digest(manifest).encode()
    found = []
    for path in sorted(folder.glob("*.html")):
        try:
            if not path.is_file() or path.is_symlink():
                continue
            with path.open("rb") as fh:
                head = fh.read(_MARKER_SEARCH_BYTES)
        except OSError:
            continue
        match = _MARKER_PATTERN.search(head)
        if match is not None and match.group(1) == digest:
            found.append(path.name)
    return found


def _previous_outputs(target: Path) -> list[str]:
    """Files an earlier run recorded in ``target/manifest.json`` (empty if none/unreadable)."""
    try:
        old = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = old.get("files") if isinstance(old, dict) else None
    if not isinstance(files, list):
        return []
    # Only bare file names: a manifest must never make us delete outside the folder.
    return [f for f in files if isinstance(f, str) and f and Path(f).name == f and f != MANIFEST_NAME]


class FolderBusy(RuntimeError):
    """Another live process holds the output folder's lock."""


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def changed_files(folder: str | Path, manifest: Mapping[str, Any]) -> list[str]:
    """The files of ``folder`` whose bytes no longer match the manifest's ``sha256`` (missing ones too).

    Empty for a manifest without hashes (written before they were recorded).
    """
    digests = manifest.get("sha256")
    if not isinstance(digests, dict):
        return []
    out = []
    for name, digest in digests.items():
        path = Path(folder) / str(name)
        if Path(str(name)).name != name or not path.is_file() or file_digest(path) != digest:
            out.append(str(name))
    return sorted(out)


def lock_folder(target: str | Path) -> Any:
    """Hold ``target``'s lock for as long as the returned file stays open (refuse if another holds it).

    The lock is an advisory ``flock`` on a small file named by the SHA-256 of the
    folder's absolute path, in this user's lock folder under the system's temporary
    folder (so nothing is added beside the results): the kernel releases it when its
    holder exits, however it exits, so a dead run never leaves a stale lock. Raises
    :class:`FolderBusy` if a live process holds it.
    """
    import fcntl
    import tempfile

    target = Path(target)
    key = hashlib.sha256(str(target.absolute().resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    locks = Path(tempfile.gettempdir()) / f"caseload-sim-locks-{os.getuid()}"
    locks.mkdir(mode=0o700, exist_ok=True)
    handle = (locks / f"{key[:32]}.lock").open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise FolderBusy(
            f"{target} is being written by another run ({holder or 'a running process'})"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


def remove_stale_staging(target: str | Path) -> list[Path]:
    """Remove the staging folders beside ``target`` left by runs that are no longer alive."""
    target = Path(target)
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    for path in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        parts = path.name[len(target.name) + 2 :].split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not path.is_dir():
            continue
        if int(parts[0]) == os.getpid() or process_alive(int(parts[0])):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(
    target: str | Path,
    writers: Mapping[str, FileWriter],
    manifest: Mapping[str, Any],
    owned: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> list[Path]:
    """Write a folder's files safely: stage everything, then move it into place.

    Parameters
    ----------
    target
        The output folder; created (with parents) if missing.
    writers
        File name -> function that writes that file to the path it is given. Names
        are bare file names; ``manifest.json`` is written from ``manifest``.
    manifest
        Written last, as ``manifest.json``, with a ``files`` entry added that lists
        the files written (so a later run can recognise its own stale outputs) and a
        ``sha256`` entry with each file's digest (so a reader can tell a changed file).
    owned
        Names of files this kind of run can produce. A file listed both here and in
        the folder's previous manifest, but not written now, is removed as stale.
    remove
        Further bare file names to remove once the new files are in place, e.g. the
        :func:`reports_made_from` the results being replaced.

    Returns
    -------
    list of pathlib.Path
        The files written, manifest last.

    Notes
    -----
    If writing fails, the staging folder is removed and ``target`` is untouched. Each
    file is moved into place with an atomic rename; a reader may see a mix of old and
    new files only during the final renames, and never a partly written file.
    """
    target = Path(target)
    for name in writers:
        if Path(name).name != name or name == MANIFEST_NAME:
            raise ValueError(f"writers: {name!r} is not a bare file name other than {MANIFEST_NAME}")
    remove = list(remove)
    for name in remove:
        if not name or Path(name).name != name or name == MANIFEST_NAME or name in writers:
            raise ValueError(f"remove: {name!r} is not a bare file name other than those written")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    # Not tempfile.mkdtemp: its 0700 mode would stay on the folder after the rename.
    staging = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    staging.mkdir()
    try:
        for name, write in writers.items():
            write(staging / name)
        names = [*writers, MANIFEST_NAME]
        digests = {name: file_digest(staging / name) for name in writers}
        write_manifest({**manifest, "files": names, "sha256": digests}, staging / MANIFEST_NAME)
        if not target.exists():
            try:
                staging.rename(target)  # the whole folder appears at once
                return [target / n for n in names]
            except OSError:
                pass  # created meanwhile by someone else: fall back to file by file
        if not target.is_dir():
            raise NotADirectoryError(f"{target} exists and is not a directory")
        stale = (set(_previous_outputs(target)) & set(owned)) | set(remove)
        for name in writers:
            os.replace(staging / name, target / name)
        for name in sorted(stale - set(writers)):
            (target / name).unlink(missing_ok=True)
        os.replace(staging / MANIFEST_NAME, target / MANIFEST_NAME)
        return [target / n for n in names]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
