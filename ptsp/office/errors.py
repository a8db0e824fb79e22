"""Exceptions of the back office.

    PtspError
     +-- OfficeError          root of the office's errors
          +-- StageError      a change of workflow stage the table in ``stages`` does not allow
"""

from ..errors import PtspError


class OfficeError(PtspError):
    """Root of the back office's errors."""


class StageError(OfficeError):
    """A change of workflow stage that ``ptsp.office.stages.TRANSITIONS`` does not allow."""
