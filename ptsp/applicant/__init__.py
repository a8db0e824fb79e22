"""The applicant's side of the regulation: track an application by its receipt number, the SKM
survey (Pasal 11(3), Permenpan RB 14/2017), complaints (SOP Layanan Pengaduan) and the e-mail
hand-over of signed decrees through a persistent outbox.

Tables: :mod:`.schema` (registry migration ``0004``). Nothing here imports the web framework;
the portal pages are :mod:`ptsp.web.applicant`, the office pages :mod:`ptsp.office.complaints`.
"""

from .errors import ApplicantError, NotFound, RateLimited

__all__ = ["ApplicantError", "NotFound", "RateLimited"]
