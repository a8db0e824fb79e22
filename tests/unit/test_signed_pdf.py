"""signer.signed: the value BatchSigner.sign returns, and the one digest of a signed revision."""

from __future__ import annotations

import copy
import hashlib
import pickle

from signer.signed import SignedPdf, first_signature_end, revision_sha256

ORIGINAL = b"%PDF-1.7\n...original...\n%%EOF\n"
SIGNATURE = b"1 0 obj << /Type /Sig /ByteRange [ 0 40 60 22 ] /Contents <00> >>\n%%EOF\n"
LATER = b"2 0 obj << /Type /Sig /ByteRange [0 200 220 30] >>\n%%EOF\n"


def test_digests_of_the_file_and_of_the_revision_the_new_signature_covers():
    data = ORIGINAL + SIGNATURE + LATER  # a later revision (DSS, timestamp) does not count
    signed = SignedPdf(data, len(ORIGINAL))
    assert signed == data and isinstance(signed, bytes) and signed.data == data
    assert type(signed.data) is bytes
    assert signed.sha256 == hashlib.sha256(data).hexdigest()
    assert first_signature_end(data, len(ORIGINAL)) == 82
    assert signed.signed_revision_sha256 == hashlib.sha256(data[:82]).hexdigest()


def test_no_signature_after_the_original_or_a_range_outside_the_file():
    assert SignedPdf(ORIGINAL, len(ORIGINAL)).signed_revision_sha256 is None
    assert first_signature_end(ORIGINAL + SIGNATURE, len(ORIGINAL) + len(SIGNATURE)) == 0
    assert revision_sha256(b"abc", 4) is None and revision_sha256(b"abc", 0) is None
    assert revision_sha256(b"abc", 2) == hashlib.sha256(b"ab").hexdigest()


def test_pickles_and_copies_with_its_digests():
    signed = SignedPdf(ORIGINAL + SIGNATURE, len(ORIGINAL))
    for again in (pickle.loads(pickle.dumps(signed)), copy.copy(signed), copy.deepcopy(signed)):
        assert isinstance(again, SignedPdf) and again == signed
        assert (again.sha256, again.signed_revision_sha256) == (
            signed.sha256, signed.signed_revision_sha256)
