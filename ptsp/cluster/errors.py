"""Errors of the distributed mode (a branch of :class:`ptsp.errors.PtspError`)."""

from __future__ import annotations

from ..errors import PtspError


class ClusterError(PtspError):
    """The broker cannot be reached or a worker refused or failed a task; the message says
    which and what to do."""


class TemplateMismatch(ClusterError):
    """A worker has other templates than the task was made for: it refuses the task rather
    than produce a different decree."""


class OfficeMissing(ClusterError):
    """A task named its office by digest only and this worker does not hold that office's
    letterhead yet: the signer sends the task again with it."""
