"""Every CMS attribute and extension name signer uses, known to asn1crypto before any use.

asn1crypto builds an OID type's name -> OID map (``_reverse_map``) once, the first time a
value is made from a name; modules imported later (asn1crypto.tsp's signing-certificate-v2,
pyHanko's CAdES signer-attributes-v2, ...) add their names to ``_map`` only. A process that
touched CMS attribute names before it imported signer (a portal that verified an upload, a
library) then cannot sign: "invalid literal for int() ... 'signing_certificate_v2'". Importing
the registering modules here and rebuilding a map already built from ``_map`` makes the
order of imports irrelevant.
"""

from __future__ import annotations

import asn1crypto.tsp  # noqa: F401  (registers signing_certificate_v2 and friends)
import pyhanko.sign.ades.cades_asn1  # noqa: F401  (registers the CAdES attributes)
from asn1crypto import cms, x509

for _oid_type in (cms.CMSAttributeType, x509.ExtensionId):
    if _oid_type._reverse_map is not None:  # built already: rebuilt from _map, which has all
        _oid_type._reverse_map = None
        _oid_type()._setup()
