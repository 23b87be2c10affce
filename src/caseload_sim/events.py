"""The event log: the one observation channel of the model.

Every state change in the simulated world is one row: *when* (days since the start of
the replication), *what* (an :class:`EventKind`), *who* (team, specialist, candidate),
the candidate's step after the event, a kind-specific ``code`` and a kind-specific
``value``. The model appends plain tuples while it runs (cheap: the event loop runs
millions of times); the recorder packs them into typed records in batches as the run
goes (:meth:`EventRecorder.compact`) and joins them into columns at the end
(:meth:`EventRecorder.finish`).
Metrics, reports and tests read the columns; none of them reaches into the model.

Beside the events, the log holds a **candidate table** (traits drawn at referral, for
every *potential* referral, also those never referred: see NOT_REFERRED), a
**specialist table** (one row per post: team, FTE, caseload slots), a **week table**
(one row per post and week: demand, capacity, stress, employer visits, outside time),
plus the run's metadata (window, seed, replication). Field meanings are documented in ``docs/model.md``.

Candidate states and the allowed transitions are defined here too
(:data:`ALLOWED`), so that tests and users can check any log against the state
machine with :func:`check_transitions`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import starmap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ALLOWED",
    "CANDIDATE_DTYPE",
    "EVENT_DTYPE",
    "SPECIALIST_DTYPE",
    "WEEK_DTYPE",
    "Decision",
    "EventKind",
    "EventLog",
    "EventRecorder",
    "ExitReason",
    "JobEndReason",
    "JobType",
    "LeaveReason",
    "LeftWaitingReason",
    "MentorEndReason",
    "NotReferredReason",
    "State",
    "check_transitions",
]


class EventKind(IntEnum):
    """What happened. ``code``/``value`` meaning per kind is given in brackets."""

    SPECIALIST_START = 0  # a specialist joins (code: caseload slots, value: FTE)
    REFERRAL = 1  # a candidate is referred (value: 0)
    QUEUED = 2  # no free slot: joins the team's FIFO waiting list (value: queue length after)
    INTAKE = 3  # assigned to a specialist, step 1 begins (value: days waited)
    STEP = 4  # moves between steps 1-4 (code: +1 forward, -1 regression)
    JOB_TASTING = 5  # a short unpaid job tasting in step 3
    WORK_PRACTICE_START = 6  # unpaid work practice begins (step 3)
    WORK_PRACTICE_END = 7  # work practice ends
    JOB_START = 8  # paid job starts, step 5 (code: JobType, value: subsidy rate, 0 if none)
    SUBSIDY_CHANGE = 9  # wage subsidy rate changes (code: 1 permanent subsidy, 0 temporary; value: new
    #                      rate, 0 = subsidy ended); after a discharge to work logged in advance, specialist -1
    EMPLOYER_DECISION = 10  # subsidy/fixed term ends (code: Decision); after a discharge to work logged in
    #                         advance, specialist -1
    JOB_END = 11  # the job ends while followed up, back to step 3 (code: JobEndReason)
    SICK_START = 12  # sick-leave episode begins (progress paused)
    SICK_END = 13  # sick-leave episode ends
    EXTENSION = 14  # follow-up extended (value: new limit, days since intake)
    EXIT = 15  # leaves the caseload (code: ExitReason, value: days on caseload)
    POST_EXIT_JOB_END = 16  # a person discharged to work later loses the job, or loses a job found after the
    #                          service (code: JobEndReason; value: days since the exit, or since that job's
    #                          start); logged in advance, specialist -1
    SPECIALIST_LEAVE = 17  # the holder of a post leaves (code: LeaveReason, value: tenure in days)
    HANDOVER = 18  # a candidate gets a new specialist (specialist: new post, code: 1 moved to another
    #                post / 0 same post, new holder; value: the old post)
    ABSENCE_START = 19  # the post's holder starts a sick absence
    ABSENCE_END = 20  # the sick absence ends
    POST_CLOSED = 21  # a post cut by attrition has wound down its caseload and closes
    MENTOR_START = 22  # the job gets a paid mentor (code: 1 trained mentor, 0 not; value: paid hours/month)
    MENTOR_END = 23  # mentoring ends (code: MentorEndReason; value: days mentored); after a discharge to
    #                  work logged in advance, specialist -1
    NOT_REFERRED = 24  # a potential referral that is not made, instead of REFERRAL (code: NotReferredReason;
    #                    value: people waiting then); the person goes to other measures
    LEFT_WAITING = 25  # leaves the waiting list before intake (code: LeftWaitingReason; value: days waited)
    # after the service, back in usual services, a job found unfollowed (code: JobType; value: days since
    # the exit); logged in advance, specialist -1
    POST_EXIT_JOB_START = 26
    # the person referred is in some (part-time, unstable) work: logged with the referral (step 0)
    PRIOR_WORK = 27
    # that work ends (value: days since the referral), unless a new job replaced it first; logged in
    # advance at the referral, specialist -1
    PRIOR_WORK_END = 28


class JobType(IntEnum):
    PERMANENT = 0
    FIXED_TERM = 1
    ON_CALL = 2


class Decision(IntEnum):
    HIRE_PERMANENT = 0
    RENEW = 1
    END = 2


class JobEndReason(IntEnum):
    MISMATCH = 0
    DROPOUT = 1
    SICKNESS = 2
    EMPLOYER_END = 3


class ExitReason(IntEnum):
    WORK_PERMANENT = 0
    WORK_TEMPORARY = 1
    EDUCATION = 2
    HEALTH = 3
    DROPOUT = 4
    TIME_LIMIT = 5
    DISCHARGED = 6  # discharged at a review, under target pressure, while not progressing

    @property
    def label(self) -> str:
        return self.name.lower()


class LeaveReason(IntEnum):
    QUIT = 0


class NotReferredReason(IntEnum):
    """Why a potential referral was not made (NOT_REFERRED code)."""

    WITHHELD = 0  # the case worker, seeing the waiting list, offered another measure instead
    LIST_CLOSED = 1  # the team's list was closed at its length: sent to other measures


class LeftWaitingReason(IntEnum):
    """Why a person left the waiting list before intake (LEFT_WAITING code)."""

    PATIENCE = 0  # waited as long as they (or their case worker) would: left for another measure


class MentorEndReason(IntEnum):
    PLANNED = 0  # the granted mentoring period is over
    JOB_ENDED = 1  # the job ended first


class State(IntEnum):
    """A candidate's state: exactly one at any time from referral on."""

    REFERRED = 0  # transient: referral instant only
    WAITING = 1
    STEP1 = 2
    STEP2 = 3
    STEP3 = 4
    STEP4 = 5
    STEP5 = 6  # in a job, on/off-the-job support
    EXITED = 7
    ELSEWHERE = 8  # never taken in: not referred (NOT_REFERRED) or left the waiting list (LEFT_WAITING)


EVENT_DTYPE = np.dtype(
    [
        ("time", "f8"),
        ("kind", "u1"),
        ("team", "i4"),
        ("specialist", "i4"),
        ("candidate", "i4"),
        ("step", "i1"),
        ("code", "i2"),
        ("value", "f8"),
    ]
)
CANDIDATE_DTYPE = np.dtype(
    [
        ("candidate", "i4"),
        ("team", "i4"),
        ("referral_time", "f8"),
        ("severity", "f8"),
        ("reduced_capacity", "?"),
        ("in_work_at_intake", "?"),
        ("readiness", "f8"),
    ]
)
SPECIALIST_DTYPE = np.dtype(
    [
        ("specialist", "i4"),
        ("team", "i4"),
        ("fte", "f8"),
        ("slots", "i4"),
    ]
)
# One row per post and week (at the end of the week): the specialist's week as lived.
WEEK_DTYPE = np.dtype(
    [
        ("time", "f8"),  # end of the week, days
        ("team", "i4"),
        ("specialist", "i4"),  # the post
        ("present", "?"),  # a holder at work (not vacant, not absent) during the week
        ("fte", "f8"),
        ("caseload", "i4"),  # candidates on the post at the end of the week
        ("demand", "f8"),  # hours a week the caseload asked for
        ("capacity", "f8"),  # candidate hours the post had that week (after crises, learning, cover)
        ("stress", "f8"),  # the holder's stress at the end of the week, [0, 1]; NaN if vacant
        ("employer_visits", "f8"),  # employer visits made
        ("outside_share", "f8"),  # share of working time spent outside the office
        ("network", "f8"),  # the holder's employer network after the week (1.0: the reference)
        ("hours_from_visits", "f8"),  # visit hours given to the caseload under overload
    ]
)

_K = EventKind
# (state before) -> {kind: state after}. STEP moves are checked against the step column.
# Kinds that do not change the state (job tasting, sickness, extension, ...) map to None.
# The work a person holds at referral (PRIOR_WORK, PRIOR_WORK_END) runs beside every state.
ALLOWED: dict[State, dict[EventKind, State | None]] = {
    State.REFERRED: {
        _K.QUEUED: State.WAITING,
        _K.INTAKE: State.STEP1,
        _K.PRIOR_WORK: None,
        _K.PRIOR_WORK_END: None,
    },
    State.WAITING: {_K.INTAKE: State.STEP1, _K.LEFT_WAITING: State.ELSEWHERE, _K.PRIOR_WORK_END: None},
    **{
        s: {
            _K.STEP: None,
            _K.JOB_TASTING: None,
            _K.WORK_PRACTICE_START: None,
            _K.WORK_PRACTICE_END: None,
            _K.JOB_START: State.STEP5,
            _K.SICK_START: None,
            _K.SICK_END: None,
            _K.EXTENSION: None,
            _K.HANDOVER: None,
            _K.EXIT: State.EXITED,
            _K.PRIOR_WORK_END: None,
        }
        for s in (State.STEP1, State.STEP2, State.STEP3, State.STEP4)
    },
    State.STEP5: {
        _K.SUBSIDY_CHANGE: None,
        _K.MENTOR_START: None,
        _K.MENTOR_END: None,
        _K.EMPLOYER_DECISION: None,
        _K.JOB_END: State.STEP3,
        _K.SICK_START: None,
        _K.SICK_END: None,
        _K.EXTENSION: None,
        _K.HANDOVER: None,
        _K.EXIT: State.EXITED,
        _K.PRIOR_WORK_END: None,
    },
    # after a discharge to work the job goes on: its subsidy, mentor, employer decisions and end are logged
    State.EXITED: {
        _K.POST_EXIT_JOB_START: State.EXITED,
        _K.POST_EXIT_JOB_END: State.EXITED,
        _K.EMPLOYER_DECISION: State.EXITED,
        _K.SUBSIDY_CHANGE: State.EXITED,
        _K.MENTOR_END: State.EXITED,
        _K.PRIOR_WORK_END: State.EXITED,
    },
    # sent to or left for other measures: nothing more happens to them here but the end of
    # the work they held at referral
    State.ELSEWHERE: {_K.PRIOR_WORK_END: State.ELSEWHERE},
}
_FIRST: dict[EventKind, State] = {_K.REFERRAL: State.REFERRED, _K.NOT_REFERRED: State.ELSEWHERE}
"""The kinds a candidate's history may start with, and the state each leads to."""


class EventRecorder:
    """Append-only sink used by the running model: ``rec.append((t, kind, team, spec, cand, step, code, value))``.

    Rows are plain tuples while they are fresh (appending a tuple is the cheapest
    record Python has); :meth:`compact` packs what has piled up into typed records
    (bytes) and empties the lists, so the tuples' memory is reused instead of growing
    with the run (the model calls it every simulated week, see ``World``).
    :meth:`finish` compacts the rest and joins the pieces into structured arrays.
    """

    __slots__ = (
        "_event_parts",
        "_week_parts",
        "append",
        "candidates",
        "deferred",
        "rows",
        "specialists",
        "weeks",
    )

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.append = self.rows.append
        # rows known in advance (e.g. a job lost after discharge), merged in time order by finish()
        self.deferred: list[tuple[Any, ...]] = []
        self.candidates: list[tuple[Any, ...]] = []
        self.specialists: list[tuple[Any, ...]] = []
        self.weeks: list[tuple[Any, ...]] = []
        self._event_parts: list[bytes] = []  # packed records (see _packed)
        self._week_parts: list[bytes] = []

    def compact(self, min_rows: int = 0) -> None:
        """Pack the rows recorded so far into typed records, if there are at least ``min_rows``."""
        if self.rows and len(self.rows) >= min_rows:
            self._event_parts.append(_packed(self.rows, _EVENT_ROW))
            self.rows.clear()
        if self.weeks and len(self.weeks) >= min_rows:
            self._week_parts.append(_packed(self.weeks, _WEEK_ROW))
            self.weeks.clear()

    def finish(self, meta: dict[str, Any]) -> EventLog:
        self.compact()
        events = _records(self._event_parts, EVENT_DTYPE)
        weeks = _records(self._week_parts, WEEK_DTYPE)
        if self.deferred:
            end = meta.get("end_time", np.inf)
            later = np.array([r for r in self.deferred if r[0] < end], dtype=EVENT_DTYPE)
            later = later[np.argsort(later["time"], kind="stable")]
            # merge into the time-ordered rows: each lands after the rows of its instant
            where = np.searchsorted(events["time"], later["time"], side="right")
            whole = np.dtype((np.void, EVENT_DTYPE.itemsize))  # whole records: copied as bytes
            events = np.insert(events.view(whole), where, later.view(whole)).view(EVENT_DTYPE)
            self.deferred.clear()
        cands = _records([_packed(self.candidates, _CANDIDATE_ROW)], CANDIDATE_DTYPE)
        specs = (
            np.array(self.specialists, dtype=SPECIALIST_DTYPE)
            if self.specialists
            else np.empty(0, SPECIALIST_DTYPE)
        )
        self.candidates.clear()
        return EventLog(events=events, candidates=cands, specialists=specs, meta=dict(meta), weeks=weeks)


def _row_struct(dtype: np.dtype[Any]) -> struct.Struct:
    """The :mod:`struct` layout of one record of a packed structured dtype (native order, no padding)."""
    codes = {"f8": "d", "u1": "B", "i1": "b", "i2": "h", "i4": "i", "b1": "?"}
    fields = [dtype.fields[name][0] for name in dtype.names or ()]  # type: ignore[index]
    row = struct.Struct("=" + "".join(codes[f"{f.kind}{f.itemsize}"] for f in fields))
    if row.size != dtype.itemsize:
        raise TypeError(f"{dtype} is not packed: {row.format} takes {row.size} bytes, not {dtype.itemsize}")
    return row


_EVENT_ROW = _row_struct(EVENT_DTYPE)
_WEEK_ROW = _row_struct(WEEK_DTYPE)
_CANDIDATE_ROW = _row_struct(CANDIDATE_DTYPE)


def _packed(rows: list[tuple[Any, ...]], row: struct.Struct) -> bytes:
    """Rows packed as records by :mod:`struct`.

    About twice as fast as ``np.fromiter(rows, dtype)``, which looks every field up by
    name in every row; and strict: a float where an integer belongs is an error.
    """
    return b"".join(starmap(row.pack, rows))


def _records(chunks: list[bytes], dtype: np.dtype[Any]) -> np.ndarray:
    """Packed records, in order, as one writable structured array (the chunks are dropped).

    Joined as bytes: numpy copies a structured array field by field, several times slower.
    """
    records = np.frombuffer(bytearray().join(chunks), dtype=dtype)
    chunks.clear()
    return records


@dataclass(frozen=True)
class EventLog:
    """A finished replication: typed, columnar, time-ordered events plus entity tables.

    ``meta`` holds at least ``scenario``, ``seed``, ``replication``, ``window_start``
    and ``window_end`` (days) and ``end_time`` (when the replication stopped).
    """

    events: np.ndarray
    candidates: np.ndarray
    specialists: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    weeks: np.ndarray = field(default_factory=lambda: np.empty(0, WEEK_DTYPE))

    def __len__(self) -> int:
        return len(self.events)

    def of_kind(self, kind: EventKind) -> np.ndarray:
        return self.events[self.events["kind"] == kind]

    def to_frame(self) -> pd.DataFrame:
        """Events as a DataFrame; ``kind`` is a categorical of :class:`EventKind` names."""
        df = pd.DataFrame({name: self.events[name] for name in EVENT_DTYPE.names or ()})
        names = [k.name.lower() for k in EventKind]
        df["kind"] = pd.Categorical.from_codes(df["kind"].astype("int64"), categories=pd.Index(names))
        return df

    def candidates_frame(self) -> pd.DataFrame:
        return pd.DataFrame({n: self.candidates[n] for n in CANDIDATE_DTYPE.names or ()})

    def specialists_frame(self) -> pd.DataFrame:
        return pd.DataFrame({n: self.specialists[n] for n in SPECIALIST_DTYPE.names or ()})

    def weeks_frame(self) -> pd.DataFrame:
        return pd.DataFrame({n: self.weeks[n] for n in WEEK_DTYPE.names or ()})

    def to_parquet(self, path: str | Path, **extra_columns: Any) -> None:
        df = self.to_frame()
        for k, v in extra_columns.items():
            df.insert(0, k, v)
        df.to_parquet(path, index=False)


def check_transitions(log: EventLog) -> list[str]:
    """Replay every candidate through the state machine; return the violations found.

    Checks: time never goes back; every candidate starts with REFERRAL (or NOT_REFERRED:
    a potential referral that was never made, and nothing follows it); every event is
    allowed from the candidate's current state (:data:`ALLOWED`); STEP events move one
    step within 1-4 in the direction of their code. An empty list means the log is valid.
    """
    ev = log.events
    problems: list[str] = []
    if len(ev) and np.any(np.diff(ev["time"]) < 0):
        i = int(np.argmax(np.diff(ev["time"]) < 0))
        problems.append(f"time goes back at row {i + 1}: {ev['time'][i]} -> {ev['time'][i + 1]}")
    state: dict[int, State] = {}
    step_of = {State.STEP1: 1, State.STEP2: 2, State.STEP3: 3, State.STEP4: 4}
    by_step = {1: State.STEP1, 2: State.STEP2, 3: State.STEP3, 4: State.STEP4}
    for row in ev[ev["candidate"] >= 0]:
        c = int(row["candidate"])
        kind = EventKind(int(row["kind"]))
        first = _FIRST.get(kind)
        if first is not None:
            if c in state:
                problems.append(f"candidate {c}: referred twice (t={row['time']:.2f})")
            state[c] = first
            continue
        cur = state.get(c)
        if cur is None:
            problems.append(f"candidate {c}: {kind.name} before REFERRAL (t={row['time']:.2f})")
            continue
        allowed = ALLOWED[cur]
        if kind not in allowed:
            problems.append(
                f"candidate {c}: {kind.name} not allowed in state {cur.name} (t={row['time']:.2f})"
            )
            continue
        nxt = allowed[kind]
        if kind == EventKind.STEP:
            new = int(row["step"])
            old = step_of[cur]
            if new not in by_step or new - old != int(row["code"]) or abs(new - old) != 1:
                problems.append(
                    f"candidate {c}: STEP {old}->{new} with code {int(row['code'])} (t={row['time']:.2f})"
                )
                continue
            nxt = by_step[new]
        if nxt is not None:
            state[c] = nxt
    return problems
