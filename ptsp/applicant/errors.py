"""Errors of the applicant side; messages are Bahasa Indonesia (they reach the portal).

    PtspError
     +-- ApplicantError      a request of an applicant that cannot be met (message for the page)
          +-- NotFound       no such receipt / complaint / survey token (or the NIK digits differ)
          +-- RateLimited    too many attempts from one client or on one receipt
          +-- TooLarge       an attachment or file past its size limit
          +-- SurveyError    a survey answer or an imported questionnaire row is invalid
          +-- MailError      the SMTP settings are unusable
"""

from __future__ import annotations

from ..errors import PtspError


class ApplicantError(PtspError):
    status = 400


class NotFound(ApplicantError):
    status = 404


class RateLimited(ApplicantError):
    status = 429


class TooLarge(ApplicantError):
    status = 413


class SurveyError(ApplicantError):
    pass


class MailError(ApplicantError):
    status = 500
