"""Calibration under uncertainty: emulators of the model's outputs and history matching.

History matching (Craig et al. 1997; Vernon, Goldstein & Bower 2010; Andrianakis et
al. 2015) asks which parameter values the observed figures *rule out*, rather than
which single value fits best: a cheap emulator of each output is fitted to a designed
set of runs, and a point is implausible when an observed figure lies more than a
cut-off number of standard deviations (observation, model discrepancy, emulator and
replication noise together) from the emulator's prediction. What is left is the
not-ruled-out-yet (NROY) space. See :mod:`caseload_sim.calibrate.history`.
"""

from __future__ import annotations

from caseload_sim.calibrate.history import QuadraticEmulator, Target, implausibility, nroy

__all__ = ["QuadraticEmulator", "Target", "implausibility", "nroy"]
