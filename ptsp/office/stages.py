"""The back office's workflow: its stages, who may move an application from one to another,
and what people read about each stage: :data:`LABELS` on the office pages, :data:`PUBLIC_LABELS`
(and :data:`PUBLIC_NOTES`) for the applicant on the portal's ``/lacak`` and ``ptsp track``.

Every change of stage in ``office_applications`` is checked against :data:`TRANSITIONS` (by
:class:`ptsp.office.store.OfficeStore`); a change not in the table raises :class:`StageError`.

    uploaded -> generating -> kasi -> kabid -> kadis -> signing -> signed -> handed_over
    side tracks: failed, returned (back to uploaded or voided), voided, revoked
"""

from __future__ import annotations

from enum import StrEnum

from .errors import StageError
from .roles import BACKOFFICE, KABID, KADIS, KASI, SYSTEM


class Stage(StrEnum):
    """Workflow stages in SOP order; ``returned``, ``failed`` and ``voided`` are side tracks.
    Values are what the database stores."""

    UPLOADED = "uploaded"
    GENERATING = "generating"
    FAILED = "failed"
    RETURNED = "returned"
    KASI = "kasi"
    KABID = "kabid"
    KADIS = "kadis"
    SIGNING = "signing"
    SIGNED = "signed"
    HANDED_OVER = "handed_over"
    REVOKED = "revoked"
    VOIDED = "voided"


S = Stage
#: The allowed changes of stage, each with the roles that may make it.
TRANSITIONS: dict[tuple[Stage, Stage], frozenset[str]] = {
    # a new upload of the same application replaces the stored record
    (S.UPLOADED, S.UPLOADED): frozenset({BACKOFFICE}),
    (S.FAILED, S.UPLOADED): frozenset({BACKOFFICE}),
    (S.RETURNED, S.UPLOADED): frozenset({BACKOFFICE}),
    (S.VOIDED, S.UPLOADED): frozenset({BACKOFFICE}),
    # drafting (a background job claims the application, then reports)
    (S.UPLOADED, S.GENERATING): frozenset({BACKOFFICE}),
    (S.GENERATING, S.KASI): frozenset({SYSTEM}),
    (S.GENERATING, S.FAILED): frozenset({SYSTEM}),
    (S.GENERATING, S.UPLOADED): frozenset({SYSTEM}),
    # voiding a draft that never went on
    (S.UPLOADED, S.VOIDED): frozenset({BACKOFFICE}),
    (S.FAILED, S.VOIDED): frozenset({BACKOFFICE}),
    (S.RETURNED, S.VOIDED): frozenset({BACKOFFICE}),
    # review: initials, or back to the back office with a note
    (S.KASI, S.KABID): frozenset({KASI}),
    (S.KABID, S.KADIS): frozenset({KABID}),
    (S.KASI, S.RETURNED): frozenset({KASI}),
    (S.KABID, S.RETURNED): frozenset({KABID}),
    (S.KADIS, S.RETURNED): frozenset({KADIS}),
    # signing (a background job with the key the Kepala Dinas unlocked)
    (S.KADIS, S.SIGNING): frozenset({KADIS}),
    (S.SIGNING, S.SIGNED): frozenset({SYSTEM}),
    (S.SIGNING, S.KADIS): frozenset({SYSTEM}),
    # after signing
    (S.SIGNED, S.HANDED_OVER): frozenset({BACKOFFICE}),
    (S.SIGNED, S.REVOKED): frozenset({KADIS}),
    (S.HANDED_OVER, S.REVOKED): frozenset({KADIS}),
}
#: Where a new application starts.
START = Stage.UPLOADED
#: Stages in which a new upload of the same application replaces the stored record.
REPLACEABLE = frozenset(a for (a, b), roles in TRANSITIONS.items()
                        if b is Stage.UPLOADED and BACKOFFICE in roles)
#: Stages of a decree that has been signed.
SIGNED = (Stage.SIGNED, Stage.HANDED_OVER, Stage.REVOKED)
#: Stages of a decree that is out and in force: the applicant may answer the SKM survey.
IN_FORCE = (Stage.SIGNED, Stage.HANDED_OVER)
#: Transient stages a background job holds, and where a restart sends them back to.
INTERRUPTED = {Stage.GENERATING: Stage.UPLOADED, Stage.SIGNING: Stage.KADIS}

LABELS: dict[Stage, str] = {
    S.UPLOADED: "Menunggu penyusunan draf",
    S.GENERATING: "Penyusunan draf",
    S.FAILED: "Draf gagal disusun",
    S.RETURNED: "Dikembalikan untuk perbaikan",
    S.KASI: "Pemeriksaan dan paraf Kepala Seksi",
    S.KABID: "Paraf Kepala Bidang",
    S.KADIS: "Penandatanganan Kepala Dinas",
    S.SIGNING: "Sedang ditandatangani",
    S.SIGNED: "Penomoran dan penyerahan",
    S.HANDED_OVER: "Telah diserahkan",
    S.REVOKED: "Dicabut / dibatalkan (Pasal 10)",
    S.VOIDED: "Dibatalkan",
}
#: What the applicant reads of each stage (``/lacak``, ``ptsp track``): the office's own
#: setbacks (a failed draft, a draft sent back) read alike, as a draft being corrected.
PUBLIC_LABELS: dict[Stage, str] = {
    S.UPLOADED: "Menunggu penyusunan draf",
    S.GENERATING: "Penyusunan draf keputusan",
    S.FAILED: "Draf sedang diperbaiki",
    S.RETURNED: "Draf sedang diperbaiki",
    S.KASI: "Pemeriksaan Kepala Seksi",
    S.KABID: "Paraf Kepala Bidang",
    S.KADIS: "Menunggu tanda tangan Kepala Dinas",
    S.SIGNING: "Sedang ditandatangani",
    S.SIGNED: "Keputusan terbit, siap diserahkan",
    S.HANDED_OVER: "Keputusan telah diserahkan",
    S.REVOKED: "Keputusan dicabut atau dibatalkan",
    S.VOIDED: "Permohonan dibatalkan",
}
#: A sentence more for the applicant where the label alone leaves a question.
PUBLIC_NOTES: dict[Stage, str] = {
    S.REVOKED: "Keputusan telah dicabut atau dibatalkan (Pasal 10).",
    S.VOIDED: "Permohonan dibatalkan. Hubungi kantor untuk keterangan.",
    S.RETURNED: "Draf sedang diperbaiki oleh back office.",
    S.FAILED: "Draf sedang diperbaiki oleh back office.",
}
#: Who acts at each stage (the SOP's "pelaksana").
ACTORS: dict[Stage, str] = {
    S.UPLOADED: "Back office", S.GENERATING: "Back office", S.FAILED: "Back office",
    S.RETURNED: "Back office", S.KASI: "Kasi", S.KABID: "Kabid", S.KADIS: "Kepala Dinas",
    S.SIGNING: "Kepala Dinas", S.SIGNED: "Back office", S.HANDED_OVER: "-", S.REVOKED: "-",
    S.VOIDED: "-",
}


def check(src: str, dst: str, role: str) -> None:
    """Raise :class:`StageError` unless ``role`` may move an application from ``src`` to
    ``dst``."""
    try:
        key = (Stage(src), Stage(dst))
    except ValueError as e:
        raise StageError(f"unknown workflow stage: {e}") from e
    roles = TRANSITIONS.get(key)
    if roles is None:
        raise StageError(f"an application cannot move from stage {src} to {dst}")
    if role not in roles:
        raise StageError(f"role {role} may not move an application from stage {src} to {dst} "
                         f"(allowed: {', '.join(sorted(roles))})")
