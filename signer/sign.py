"""PAdES signing of many documents with one unlocked key.

:class:`BatchSigner` signs PDF bytes at PAdES baseline B-B, B-T, B-LT or B-LTA. Everything
that is the same for every decree of a batch is done once: the key is unlocked once, the
signature size is estimated once, and for B-LT/B-LTA the signer's chain is validated and its
revocation data (OCSP/CRL) fetched once, through one shared pyHanko ``ValidationContext``.
"""

from __future__ import annotations

import asyncio
import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from .errors import SettingsError, SigningError
from .keys import UnlockedKey, load_certificate
from .signed import SignedPdf

__all__ = ["BatchSigner", "FieldPlacement", "PadesLevel", "PageContent", "PdfPages",
           "SignatureSettings", "SignedPdf"]


class PadesLevel(enum.Enum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    """Basic signature: no trusted time."""
    B_T = "B-T"
    """Plus a signature timestamp from a TSA: proves when it was signed."""
    B_LT = "B-LT"
    """Plus the chain and revocation data (OCSP/CRL) in the document (DSS)."""
    B_LTA = "B-LTA"
    """Plus a document timestamp over all of it: verifiable after the certificate expires."""

    @property
    def needs_timestamp(self) -> bool:
        return self is not PadesLevel.B_B

    @property
    def needs_revocation_data(self) -> bool:
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)


@dataclass(frozen=True)
class SignatureSettings:
    """What every signature of a batch says and how strong it is.

    ``signer_name`` goes into the signature dictionary (/Name); ``signer_title`` (e.g.
    "Kepala Dinas ...") goes into the CMS as a claimed signer attribute (CAdES
    signer-attributes-v2, role). ``certify=True`` makes it a certification signature
    (DocMDP P=1): after it, only validation data and document timestamps may be added.
    """

    level: PadesLevel
    reason: str
    location: str
    signer_name: str
    contact_info: str | None = None
    signer_title: str | None = None
    field_name: str = "Signature1"
    certify: bool = True
    timestamp_url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.level, PadesLevel):
            raise SettingsError(f"level must be a PadesLevel, not {self.level!r}")
        for name in ("reason", "location", "signer_name", "field_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise SettingsError(f"{name} must be a non-empty text")
        if "." in self.field_name:
            raise SettingsError(
                f"field_name {self.field_name!r} must not contain '.' (PDF field hierarchy)"
            )
        if self.timestamp_url is not None:
            parts = urlsplit(self.timestamp_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(
                    f"timestamp_url {self.timestamp_url!r} is not an http(s) URL"
                )


@dataclass(frozen=True)
class FieldPlacement:
    """Where the signature field goes: 0-based page, box (x1, y1, x2, y2) in PDF points.

    The field gets no visible appearance: the printed signature block is in the page
    content already; the field only marks where it is.
    """

    page: int
    box: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        if self.page < 0:
            raise SettingsError("page is 0-based and cannot be negative")
        if len(self.box) != 4:
            raise SettingsError("box must be (x1, y1, x2, y2)")
        x1, y1, x2, y2 = self.box
        if x2 <= x1 or y2 <= y1:
            raise SettingsError(f"box {self.box} is empty: need x1 < x2 and y1 < y2")


@dataclass(frozen=True)
class PageContent:
    """One page as a placement function sees it: its decoded content stream and the names
    (without the slash) of the image XObjects its resources define."""

    content: bytes
    images: frozenset[str]


class PdfPages:
    """The pages of the document being signed, read from the parse the signer makes anyway,
    for a placement function that finds where the field goes (``BatchSigner.sign``)."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self.count = int(writer.root["/Pages"]["/Count"])

    def page(self, index: int) -> PageContent:
        try:
            return self._page(index)
        except Exception as e:  # pyHanko's reader raises many types on odd input
            raise SigningError(f"cannot read page {index + 1} of the document: "
                               f"{_describe(e)}") from e

    def _page(self, index: int) -> PageContent:
        from pyhanko.pdf_utils import generic

        ref, resources = self._writer.find_page_for_modification(index)
        contents = ref.get_object().get("/Contents")
        if contents is None:
            data = b""
        else:
            contents = contents.get_object()
            parts = contents if isinstance(contents, generic.ArrayObject) else [contents]
            data = b"\n".join(part.get_object().data for part in parts)
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        names = frozenset(
            str(name)[1:] for name, xo in (xobjects.get_object().items() if xobjects else ())
            if xo.get_object().get("/Subtype") == "/Image")
        return PageContent(data, names)


Placement = FieldPlacement | Callable[[PdfPages], FieldPlacement] | None


class _PlacementFailed(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


def _signed_attributes_spec(signing_cert: asn1_x509.Certificate, cades: Any) -> Any:
    """pyHanko's PAdES signed attributes, the ones that are the same for every decree of a
    batch (signing-certificate-v2, signer-attributes-v2, ...) encoded once.

    pyHanko builds those values in Python for every signature, and asn1crypto re-encodes a
    built value (hash algorithm, issuer, serial, ...) each time anything around it is encoded:
    thousands of re-encodings per signature, most of the CMS work. Parsed from their DER, the
    values reuse their bytes. The message digest is still computed per decree, of course.
    """
    from pyhanko.sign.ades.api import (
        CommitmentTypeProvider,
        SignerAttributesProvider,
        SigPolicyIDProvider,
    )
    from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
    from pyhanko.sign.signers.pdf_cms import (
        CAdESSignedAttributeProviderSpec,
        PdfCMSSignedAttributes,
    )

    constant = (SigningCertificateV2Provider, SignerAttributesProvider, CommitmentTypeProvider,
                SigPolicyIDProvider)
    encoded: dict[type, tuple[Any, bytes]] = {}

    class _Encoded(CMSAttributeProvider):
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.attribute_type = inner.attribute_type

        async def build_attr_value(self, dry_run: bool = False) -> Any:
            hit = encoded.get(type(self.inner))
            if hit is None:
                value = await self.inner.build_attr_value(dry_run=dry_run)
                hit = encoded[type(self.inner)] = (type(value), value.dump())
            return hit[0].load(hit[1])

    class _Spec(CAdESSignedAttributeProviderSpec):
        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Any:
            for provider in super().signed_attr_providers(data_digest, digest_algorithm):
                yield _Encoded(provider) if type(provider) in constant else provider

    return _Spec(attr_settings=PdfCMSSignedAttributes(cades_signed_attrs=cades),
                 signing_cert=signing_cert, is_pades=True, timestamper=None)


def _dss_settings() -> Any:
    """Validation data in as few revisions as PAdES allows.

    B-LT: the signature's chain and revocation data in one DSS update after it. B-LTA: that
    DSS update and the document timestamp in one revision, the timestamp authority's data
    written before the timestamp (so it is covered by it) instead of in yet another revision
    after it. No VRI dictionary: PAdES baseline signatures do not need it (ETSI EN 319 142-1
    5.4.2), and each entry would cost a hash and a dictionary per decree. Every extra revision
    made pyHanko read the whole file again: this saves about a third of B-LTA signing.
    """
    from pyhanko.sign.signers.pdf_signer import (
        DSSContentSettings,
        SigDSSPlacementPreference,
        TimestampDSSContentSettings,
    )

    return DSSContentSettings(
        placement=SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS,
        include_vri=False,
        next_ts_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
    )


_DSS_SETTINGS = _dss_settings()


def _keep_metadata_writer() -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class KeepMetadataWriter(IncrementalPdfFileWriter):
        """An incremental update that leaves the document's metadata as it is.

        pyHanko parses the XMP packet, sets a new ModifyDate and writes it back as a new
        stream in every revision it adds: about 15% of B-LTA signing, and two more metadata
        streams in every decree. A signature or a document timestamp does not change what the
        document says (the signing time is in the signature), and the Info dictionary and the
        XMP packet stay equal to each other, as PDF/A requires.
        """

        def _update_meta(self) -> None:
            return None

    return KeepMetadataWriter


_WRITER = _keep_metadata_writer()


def _claimed_title(name: str, title: str) -> Any:
    from pyhanko.sign.ades.api import SignerAttrSpec

    role_name = asn1_x509.GeneralName(
        name="directory_name",
        value=asn1_x509.Name.build({"common_name": name, "title": title}),
    )
    role = cms.AttCertAttribute(
        {"type": "role", "values": [cms.RoleSyntax({"role_name": role_name})]}
    )
    return SignerAttrSpec(claimed_attrs=[role], certified_attrs=[])


class BatchSigner:
    """Signs many PDFs with one key and one set of settings.

    :param key: an unlocked key (see :mod:`signer.keys`); the caller closes it.
    :param settings: the signature settings.
    :param trust_roots: root certificates (PEM/DER files); required for B-LT/B-LTA, where
        the signer's chain is validated and its revocation data embedded.
    :param timestamper: a pyHanko ``TimeStamper`` to use instead of an HTTP client for
        ``settings.timestamp_url`` (for tests: an in-process ``DummyTimeStamper``).
    :param revinfo_max_age: seconds for which validated chains and fetched revocation data
        are reused (B-LT/B-LTA); a long-lived signer refetches after that.
    :param revinfo_max_docs: and for at most this many signatures: pyHanko's validation
        context keeps a little of every path it checks, so a long batch starts a fresh one.

    Thread safety: :meth:`sign` may be called from several threads; calls are serialised
    by a lock (signing is CPU-bound Python; use processes for parallelism). It must not be
    called from inside a running asyncio event loop in the same thread.

    Call :meth:`close` (or use ``with``) to release network sessions.
    """

    def __init__(
        self,
        key: UnlockedKey,
        settings: SignatureSettings,
        *,
        trust_roots: list[Path] | None = None,
        timestamper: Any = None,
        revinfo_max_age: float = 600.0,
        revinfo_max_docs: int = 1000,
    ) -> None:
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

        self.key = key
        self.settings = settings
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: LazySession | None = None
        self._validation_context: Any = None
        self._validation_info: Any = None
        self._validation_info_at = 0.0
        self._revinfo_max_age = revinfo_max_age
        self._revinfo_max_docs = revinfo_max_docs
        self._signed_with_info = 0
        self._roots: list[Any] = []
        self._bytes_reserved: int | None = None
        self._closed = False
        # a remote key that batches digests: documents are signed on one loop thread, up to
        # key.concurrency of them waiting for the service at once
        self._loop_thread: threading.Thread | None = None
        self._setup_lock: asyncio.Lock | None = None
        self._in_flight = 0

        level = settings.level
        if level.needs_timestamp:
            if timestamper is None:
                if settings.timestamp_url is None:
                    raise SettingsError(
                        f"{level.value} needs a timestamp server: set timestamp_url"
                    )
                from pyhanko.sign.timestamps import HTTPTimeStamper

                self._session = LazySession()
                timestamper = HTTPTimeStamper(
                    settings.timestamp_url, timeout=10, session=self._session
                )
            self._timestamper = timestamper
        else:
            self._timestamper = None

        if level.needs_revocation_data:
            if not trust_roots:
                raise SettingsError(f"{level.value} needs trust_roots to validate the chain")
            try:
                self._roots = [load_certificate(p) for p in trust_roots]
            except (OSError, ValueError) as e:
                raise SettingsError(f"cannot read a trust root: {e}") from e
            self._validation_context = self._new_validation_context()

        self._cades = None
        if settings.signer_title:
            from pyhanko.sign.ades.api import CAdESSignedAttrSpec

            self._cades = CAdESSignedAttrSpec(
                signer_attributes=_claimed_title(settings.signer_name, settings.signer_title)
            )
        self._attr_spec = _signed_attributes_spec(key.signing_cert, self._cades)

    # -- public ---------------------------------------------------------------------------

    def sign(
        self,
        pdf: bytes,
        *,
        placement: Placement = None,
        reason: str | None = None,
    ) -> SignedPdf:
        """Sign one PDF and return the signed PDF (an incremental update of ``pdf``) with its
        SHA-256 and that of the revision the new signature covers (:class:`SignedPdf`).

        ``placement`` is where the signature field goes, or a function that works it out
        from the document's :class:`PdfPages` (the PDF is then parsed once, not twice); an
        error it raises reaches the caller as it is. None: an invisible field.

        Raises :class:`~signer.errors.SigningError` if the document cannot be signed.
        """
        return SignedPdf(self._sign_bytes(pdf, placement, reason), len(pdf))

    def _sign_bytes(self, pdf: bytes, placement: Placement, reason: str | None) -> bytes:
        if reason is not None and not reason.strip():
            raise SettingsError("reason must be a non-empty text")
        if self.key.document_signer is not None:
            return self._sign_by_service(pdf, placement, reason)
        if self.key.concurrency > 1:
            return self._sign_concurrently(pdf, placement, reason)
        with self._lock:
            if self._closed:
                raise SigningError("this BatchSigner has been closed")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            pyhanko_signer = self.key.pyhanko_signer
            before = pyhanko_signer.signed_attr_prov_spec
            pyhanko_signer.signed_attr_prov_spec = self._attr_spec
            try:
                return self._loop.run_until_complete(self._sign(pdf, placement, reason))
            except _PlacementFailed as e:
                raise e.error from None
            except SigningError:
                raise
            except Exception as e:
                raise SigningError(_describe(e)) from e
            finally:
                pyhanko_signer.signed_attr_prov_spec = before

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop = self._loop
            if loop is None:
                return
            if self._loop_thread is not None:
                self._close_thread_loop(loop)
                return
            try:
                if self._session is not None:
                    loop.run_until_complete(self._session.close())
                if self._validation_context is not None:
                    loop.run_until_complete(self._validation_context.aclose())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._loop = None

    def __enter__(self) -> BatchSigner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _thread_loop(self) -> asyncio.AbstractEventLoop:
        """The loop on which a batching remote key's documents are signed (started once)."""
        with self._lock:
            if self._closed:
                raise SigningError("this BatchSigner has been closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._loop_thread = threading.Thread(target=loop.run_forever,
                                                     name="batch-signer", daemon=True)
                self._loop_thread.start()
                self._loop = loop
                # this key serves this BatchSigner alone: its attribute spec is set for good
                signer = self.key.pyhanko_signer
                signer.signed_attr_prov_spec = self._attr_spec
                if hasattr(signer, "in_flight"):  # a batching remote signer (signer.csc)
                    signer.in_flight = lambda: self._in_flight
            return self._loop

    def _sign_concurrently(self, pdf: bytes, placement: Placement, reason: str | None) -> bytes:
        """Sign on the shared loop thread: the CPU work of documents is serialised there as
        under the lock, but a document waiting for the signing service lets others go on, so
        the service receives their digests together."""
        loop = self._thread_loop()

        async def one() -> bytes:
            self._in_flight += 1
            try:
                return await self._sign(pdf, placement, reason)
            finally:
                self._in_flight -= 1

        try:
            return asyncio.run_coroutine_threadsafe(one(), loop).result()
        except _PlacementFailed as e:
            raise e.error from None
        except SigningError:
            raise
        except Exception as e:
            raise SigningError(_describe(e)) from e

    def _close_thread_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        async def shutdown() -> None:
            if self._session is not None:
                await self._session.close()
            if self._validation_context is not None:
                await self._validation_context.aclose()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(timeout=30)
            loop.close()
            self._loop = None

    def _sign_by_service(self, pdf: bytes, placement: Placement, reason: str | None) -> bytes:
        """A service that signs the whole document (BSrE): it gets the document and where the
        field goes, its answer is checked (only our document plus its one signature by the
        expected certificate), then the validation data and the document timestamp are added
        here, as for a local key."""
        from .remote_pdf import check_service_result

        if callable(placement):
            try:
                writer = _WRITER(BytesIO(pdf), strict=False)
            except Exception as e:
                raise SigningError(f"the document is not a readable PDF: {_describe(e)}") from e
            placement = placement(PdfPages(writer))
        s = self.settings
        returned = self.key.document_signer.sign_document(
            pdf, placement=placement, reason=reason or s.reason, location=s.location,
            signer_name=s.signer_name)
        check_service_result(pdf, returned, self.key.signing_cert)
        if not self.settings.level.needs_revocation_data:
            return returned
        with self._lock:
            if self._closed:
                raise SigningError("this BatchSigner has been closed")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            try:
                return self._loop.run_until_complete(self._extend(returned))
            except SigningError:
                raise
            except Exception as e:
                raise SigningError("adding validation data and the document timestamp to the "
                                   f"service's signed file failed: {_describe(e)}") from e

    async def _extend(self, signed: bytes) -> bytes:
        """B-LT/B-LTA after a service's signature: the DSS (chain, OCSP/CRL) for it and, for
        B-LTA, a document timestamp (with the timestamp authority's data before it)."""
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.signers import constants
        from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
        from pyhanko.sign.validation import async_add_validation_info

        reader = PdfFileReader(BytesIO(signed), strict=False)
        sig = reader.embedded_signatures[-1]
        out = BytesIO()
        await async_add_validation_info(sig, self._validation_context, add_vri_entry=False,
                                        output=out, embed_roots=True)
        if self.settings.level is not PadesLevel.B_LTA:
            return out.getvalue()
        out.seek(0)
        writer = _WRITER(out, strict=False)
        ts = PdfTimeStamper(self._timestamper, field_name="DocTimeStamp1")
        await ts.async_timestamp_pdf(
            writer, constants.DEFAULT_MD, self._validation_context, in_place=True,
            timestamper=self._timestamper,
            dss_settings=_DSS_SETTINGS.get_settings_for_ts(), embed_roots=True)
        return out.getvalue()

    def _new_validation_context(self) -> Any:
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(
            trust_roots=self._roots,
            other_certs=list(self.key.chain),
            allow_fetching=True,
            revocation_mode="hard-fail",
        )

    async def _refresh_if_stale(self) -> None:
        if self._validation_context is None or self._validation_info is None:
            return
        self._signed_with_info += 1
        if self._in_flight > 1:  # others still use the context: refresh at a quieter moment
            return
        if (time.monotonic() - self._validation_info_at <= self._revinfo_max_age
                and self._signed_with_info <= self._revinfo_max_docs):
            return
        self._signed_with_info = 0
        await self._validation_context.aclose()
        self._validation_context = self._new_validation_context()
        self._validation_info = None

    def _metadata(self, reason: str | None) -> Any:
        from pyhanko.sign import fields, signers

        s = self.settings
        return signers.PdfSignatureMetadata(
            field_name=s.field_name,
            md_algorithm="sha256",
            reason=reason or s.reason,
            location=s.location,
            contact_info=s.contact_info,
            name=s.signer_name,
            certify=s.certify,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=s.level.needs_revocation_data,
            use_pades_lta=s.level is PadesLevel.B_LTA,
            validation_context=self._validation_context,
            cades_signed_attr_spec=self._cades,
            dss_settings=_DSS_SETTINGS,
        )

    async def _sign(self, pdf: bytes, placement: Placement, reason: str | None) -> bytes:
        from pyhanko.pdf_utils.misc import PdfError
        from pyhanko.sign import fields, signers
        from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
        from pyhanko.stamp import NoOpStampStyle

        if self._setup_lock is None:
            self._setup_lock = asyncio.Lock()
        async with self._setup_lock:
            await self._refresh_if_stale()
        try:
            writer = _WRITER(BytesIO(pdf), strict=False)
        except (PdfError, ValueError, IndexError, KeyError, TypeError) as e:
            raise SigningError(f"the document is not a readable PDF: {_describe(e)}") from e

        if callable(placement):
            try:
                placement = placement(PdfPages(writer))
            except Exception as e:  # the caller's own error, given back as it is
                raise _PlacementFailed(e) from e
        field_spec = None
        if placement is not None:
            field_spec = fields.SigFieldSpec(
                sig_field_name=self.settings.field_name,
                on_page=placement.page,
                box=placement.box,  # type: ignore[arg-type]
            )
        meta = self._metadata(reason)
        pdf_signer = signers.PdfSigner(
            meta,
            self.key.pyhanko_signer,
            timestamper=self._timestamper,
            stamp_style=NoOpStampStyle(),
            new_field_spec=field_spec,
        )
        session = pdf_signer.init_signing_session(writer)

        # The chain, the TSA's chain and their revocation data are the same for every
        # decree: validate and fetch them once per batch. Not when the input already
        # carries a document timestamp (its chain must be validated too).
        async with self._setup_lock:
            validation_info = self._validation_info
            if validation_info is None or writer.prev.embedded_timestamp_signatures:
                validation_info = await session.perform_presign_validation(writer)
                if not writer.prev.embedded_timestamp_signatures:
                    self._validation_info = validation_info
                    self._validation_info_at = time.monotonic()
                    self._signed_with_info = 1
            if self._bytes_reserved is None:
                self._bytes_reserved = await session.estimate_signature_container_size(
                    validation_info, tight=False
                )
        tbs = session.prepare_tbs_document(
            validation_info=validation_info,
            bytes_reserved=self._bytes_reserved,
        )
        prepared, output = tbs.digest_tbs_document(in_place=False, output=BytesIO())
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                signing_time=session.system_time,
                adobe_revinfo_attr=None,
                cades_signed_attrs=meta.cades_signed_attr_spec,
            ),
        )
        await self._post_signature(post, output)
        output.seek(0)
        return bytes(output.read())

    async def _post_signature(self, post: Any, output: Any) -> None:
        """B-LTA: the validation data and the document timestamp in one revision, written as
        pyHanko's ``post_signature_processing`` writes them (with the same public calls) but
        through :class:`KeepMetadataWriter`. Other levels: pyHanko's own."""
        from pyhanko.sign.signers import constants
        from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, SigDSSPlacementPreference
        from pyhanko.sign.validation import DocumentSecurityStore

        instr = post.post_sign_instructions
        if (instr is None or instr.timestamper is None or instr.file_credential is not None
                or instr.dss_settings.placement
                is not SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS):
            await post.post_signature_processing(output)
            return
        info, context = instr.validation_info, post.validation_context
        writer = _WRITER(output, strict=instr.strict, decode_limits=instr.decode_limits)
        DocumentSecurityStore.supply_dss_in_writer(
            writer, paths=info.validation_paths, validation_context=context,
            ocsps=info.ocsps_to_embed, crls=info.crls_to_embed, embed_roots=instr.embed_roots,
            sig_contents=None)
        await PdfTimeStamper(instr.timestamper, field_name=instr.timestamp_field_name) \
            .async_timestamp_pdf(
                writer, instr.timestamp_md_algorithm or constants.DEFAULT_MD, context,
                validation_paths=info.validation_paths, in_place=True,
                timestamper=instr.timestamper,
                dss_settings=instr.dss_settings.get_settings_for_ts(),
                tight_size_estimates=instr.tight_size_estimates, embed_roots=instr.embed_roots)


def _describe(e: BaseException) -> str:
    """A one-line description of a third-party error, with its most telling cause."""
    parts: list[str] = []
    cur: BaseException | None = e
    while cur is not None and len(parts) < 3:
        text = str(cur).strip() or type(cur).__name__
        if text not in parts:
            parts.append(text)
        cur = cur.__cause__
    return ": ".join(parts)
