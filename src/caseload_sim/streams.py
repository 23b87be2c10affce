"""Random streams: one root seed per replication, split by purpose and by entity.

Common random numbers need every random quantity to belong to *someone*: a team's
referral times come from that team's referral stream, and everything about candidate
*i* of team *t* — traits at referral, how long each step takes, whether they drop out,
the jobs they find — comes from that candidate's own stream. What happens to a
*potential* referral before it reaches the team — whether the case worker refers the
person, how long they would wait on the list — comes from the team's stream of
referral decisions, two uniforms for every potential referral whether they are used
or not, so the *i*-th potential referral is the same person, with the same patience,
in every scenario. Changing a policy lever
(say the caseload cap) then changes *when* draws are used but not *which* numbers a
candidate gets, so paired scenario comparisons differ by the policy, not by noise.

All streams are :class:`numpy.random.Generator` objects keyed by
``SeedSequence(seed, spawn_key=(replication, purpose, *entity))``: the same
(seed, replication) gives the same world on any machine, process or executor.

Creating a generator per candidate costs ~20 µs (about fifteen SimPy events), so
candidate streams are cut from a per-team generator in fixed-size rows: candidate *i*
always gets row *i* (its first :data:`UNIFORMS_PER_BLOCK` uniforms and
:data:`GAMMAS_PER_BLOCK` unit-mean gamma variates). A candidate that needs more gets
further blocks (of :data:`OVERFLOW_BLOCK`) from an overflow generator keyed by (team, i, block number) — still a
fixed function of the candidate's identity.

A candidate's draws are held in an :class:`array.array` of doubles, not a list of
Python floats: 8 bytes a number instead of 32, made straight from numpy's buffer.
Most candidates use a fraction of their row, and the whole service holds thousands
of them at once, so this keeps the numbers the running model touches in the CPU's
caches (and a row is cut in a few microseconds).
"""

from __future__ import annotations

from array import array
from enum import IntEnum
from typing import NamedTuple

import numpy as np

__all__ = [
    "GAMMAS_PER_BLOCK",
    "OVERFLOW_BLOCK",
    "UNIFORMS_PER_BLOCK",
    "CandidateDraws",
    "CandidateSource",
    "Purpose",
    "Streams",
]

UNIFORMS_PER_BLOCK = 128
GAMMAS_PER_BLOCK = 24
OVERFLOW_BLOCK = 256
_ROWS_PER_CHUNK = 128


class Purpose(IntEnum):
    """What a stream is for; part of every stream's key, so purposes never share numbers."""

    REFERRALS = 1
    CANDIDATES = 2
    CANDIDATE_OVERFLOW = 3
    TEAM_CHOICES = 5
    POSTS = 6
    REFERRAL_DECISIONS = 7  # per team: whether a case worker refers, and the person's patience on the list


class Streams:
    """Factory of named generators for one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError(f"seed and replication must be >= 0, got {seed}, {replication}")
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, purpose: Purpose, *entity: int) -> np.random.Generator:
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, int(purpose), *entity))
        return np.random.Generator(np.random.PCG64(ss))


class CandidateDraws(NamedTuple):
    """What a new candidate receives: traits, and its first uniforms and unit-mean gammas.

    ``uniforms`` and ``gammas`` are consumed with ``pop()`` (from the end: the cheapest
    way to hand out a number in Python); :meth:`CandidateSource.top_up` prepends the
    next block when one runs low. The order is fixed, so the stream is too.
    """

    number: int  # the candidate's number within its team (its stream's key)
    severity: float
    reduced_capacity: bool
    in_work: bool
    readiness_z: float  # standard normal; the model scales it
    uniforms: array[float]
    gammas: array[float]


class CandidateSource:
    """Per-team source of candidate streams (row *i* for the team's *i*-th referral)."""

    def __init__(
        self,
        streams: Streams,
        team: int,
        *,
        severity_ab: tuple[float, float],
        rwc_share: float,
        in_work_share: float,
        gamma_shape: float,
    ) -> None:
        self._streams = streams
        self._team = team
        self._gen = streams.generator(Purpose.CANDIDATES, team)
        self._ab = severity_ab
        self._rwc = rwc_share
        self._inwork = in_work_share
        self._shape = gamma_shape
        self._rows: list[tuple[float, bool, bool, float, array[float], array[float]] | None] = []
        self._pos = 0
        self._next_index = 0

    def _refill(self) -> None:
        g, n, k = self._gen, _ROWS_PER_CHUNK, self._shape
        sev = g.beta(self._ab[0], self._ab[1], n).tolist()
        rwc = (g.random(n) < self._rwc).tolist()
        inw = (g.random(n) < self._inwork).tolist()
        z = g.standard_normal(n).tolist()
        u = _rows_of(g.random((n, UNIFORMS_PER_BLOCK)))
        gm = _rows_of(g.standard_gamma(k, (n, GAMMAS_PER_BLOCK)) / k)
        self._rows = list(zip(sev, rwc, inw, z, u, gm, strict=True))
        self._pos = 0

    def next(self) -> CandidateDraws:
        """The next referral's draws (row *i* of the team's candidate stream)."""
        if self._pos >= len(self._rows):
            self._refill()
        row = self._rows[self._pos]
        assert row is not None
        self._rows[self._pos] = None  # free memory early
        self._pos += 1
        i = self._next_index
        self._next_index += 1
        return CandidateDraws(i, *row)

    def top_up(self, draws: array[float], index: int, which: int, block: int) -> None:
        """Prepend block ``block`` (>= 1) of candidate ``index``'s uniforms (0) or gammas (1)."""
        g = self._streams.generator(Purpose.CANDIDATE_OVERFLOW, self._team, index, which, block)
        more = (
            g.random(OVERFLOW_BLOCK)
            if which == 0
            else g.standard_gamma(self._shape, OVERFLOW_BLOCK) / self._shape
        )
        draws[0:0] = array("d", more.tobytes())


def _rows_of(block: np.ndarray) -> list[array[float]]:
    """The rows of a 2-D block as arrays of doubles (the same numbers, in order)."""
    data = np.ascontiguousarray(block, dtype=np.float64).tobytes()
    width = block.shape[1] * 8
    return [array("d", data[i : i + width]) for i in range(0, len(data), width)]  # bytes: copied as doubles
