"""signer: key sources (PKCS#12, PKCS#11), PAdES signing, timestamps, validation, demo PKI.

Knows nothing of DOCX, permits, the registry, click or the web.
"""
