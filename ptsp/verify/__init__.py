"""Verification of decrees: the one home of ``ptsp verify``, the portal and the API.

* :mod:`.office` -- :func:`verify_bytes`, :func:`verify_file`, :func:`verify_files`: a file
  checked with the office's settings (trust roots, delegations, registry);
* :mod:`.verdict` -- the verdict from the signatures, our structural checks
  (:mod:`signer.structure`), the delegation and the registry;
* :mod:`.registry_check` -- which registered decree the file is, and its status;
* :mod:`.result` -- :class:`VerifyResult` and its JSON shape (``docs/verification-json.md``);
* :mod:`.report` -- the verification report as a PDF in Bahasa Indonesia.

The signature validation itself is :mod:`signer.validate`.
"""

from __future__ import annotations

from ..timefmt import WITA, iso_wita, people_time  # the verification's times, for callers
from .office import verify_bytes, verify_file, verify_files
from .registry_check import STATUS_ID, registry_check, status_reasons
from .result import (
    SAH,
    SCHEMA_VERSION,
    TIDAK_DAPAT_DIPASTIKAN,
    TIDAK_SAH,
    RegistryCheck,
    VerifyReason,
    VerifyResult,
)
from .verdict import (
    CHECKS,
    MESSAGES,
    REVOCATION_STATUS_ID,
    UNCERTAIN,
    against_decree,
    common_name,
    verify_pdf,
)

__all__ = [
    "CHECKS", "MESSAGES", "REVOCATION_STATUS_ID", "SAH", "SCHEMA_VERSION", "STATUS_ID",
    "TIDAK_DAPAT_DIPASTIKAN", "TIDAK_SAH", "UNCERTAIN", "WITA", "RegistryCheck",
    "VerifyReason", "VerifyResult", "against_decree", "common_name", "iso_wita",
    "people_time", "registry_check", "status_reasons", "verify_bytes", "verify_file",
    "verify_files", "verify_pdf",
]
