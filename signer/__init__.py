"""signer: key sources (PKCS#12, PKCS#11), PAdES signing, timestamps, validation, demo PKI.

Knows nothing of DOCX, permits, the registry, click or the web.
"""

from . import _asn1_names  # noqa: F401,E402  (CMS names registered whatever was imported first)
