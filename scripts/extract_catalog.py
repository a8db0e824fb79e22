#!/usr/bin/env python3
"""Extract the service catalog from Perbup Balangan 16/2021 (OCR text) into templates/catalog.json.

Usage:  python scripts/extract_catalog.py [--check]

The source text is parsed in three passes:

1. Pasal 7 (the body) gives the list of services, their sector and channel (A/B/C/II) and the
   sub-kinds the body names.
2. Lampiran I gives, per permit, the legal basis (Dasar Hukum), the definition and the
   requirements (Syarat), possibly split per sub-kind.
3. Lampiran II gives, per service, the SOP table: number, name, legal basis, related SOPs, steps.

Everything the parser cannot derive from the text lives in the data tables below (codes, name
mappings Pasal 7 <-> appendices, sub-kind anchors, defect fixes), each with a reason.  Every place
where the catalog corrected or completed the source is recorded in the service's ``defects``
list (machine readable: field, kind, source_line, reason, action).

Names and legal-basis items are printed on the permit decrees, so they are brought into EYD /
citation form ("<kind> Nomor <n> Tahun <t> tentang <title>") by general rules plus per-service
tables (data table 4, normalise_legal(), eyd_name()); each change is recorded as a defect too.

Standard library only; output is deterministic (sorted keys, ensure_ascii=False, indent=1).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_REL = "templates/source/perbup-balangan-16-2021.txt"
SOURCE = ROOT / SOURCE_REL
OUTPUT = ROOT / "templates" / "catalog.json"

TITLE = (
    "Peraturan Bupati Balangan Nomor 16 Tahun 2021 tentang Standar Operasional Prosedur "
    "Pelayanan Perizinan dan Non Perizinan yang Terintegrasi"
)

DEFECT_KINDS = frozenset(
    {
        "copied_from_neighbour",  # text belongs to another service
        "missing_table",  # SOP section without its step table
        "cut_off",  # section / table / text truncated
        "duplicate_sop_number",  # SOP number garbled or missing for this service
        "name_mismatch",  # Pasal 7 / Lampiran I / SOP name differ
        "duplicated_section",  # the same SOP printed twice
        "ocr_garbage",  # conversion junk (shifted cells, broken headings, doubled words)
        "missing_in_lampiran",  # service of Pasal 7 without Lampiran I / II section
        "missing_value",  # a single empty cell (e.g. the time of a step)
        "ambiguous_value",  # a value given as range or footnote, resolved into variants
        "missing_in_pasal7",  # a sub-kind in the appendices that Pasal 7 does not list
        "wrong_reference",  # related SOPs / legal basis pointing at unrelated documents
        "spelling",  # typo or EYD capitalisation in a name or a legal-basis citation
        "malformed_citation",  # citation not in the form "<kind> Nomor N Tahun T tentang <title>"
        "duplicate_citation",  # the same regulation cited twice, differing only by article
    }
)

# ---------------------------------------------------------------------------------------------
# Data table 1: services.  Key = Pasal 7 name as printed (normalised with norm()).
#   code      stable code (meaningful Indonesian abbreviation); never reuse or renumber.
#   name      canonical name when the Pasal 7 wording is not fit for a decree (typo / wrong
#             object); otherwise the cleaned Pasal 7 name is used.
#   l1 / sop  heading of the Lampiran I section / "Nama SOP" of Lampiran II when it differs
#             from Pasal 7 beyond case/punctuation/parenthesised abbreviations.
#   kind      "non_permit" overrides the default (channel II is always non_permit).
# ---------------------------------------------------------------------------------------------
SERVICES: dict[str, dict] = {
    # A -- assistance with OSS; its product is the NIB issued by the OSS system, not a decree
    # of the office (Pasal 8 decrees are for perizinan berusaha / non berusaha), hence non_permit.
    "Pelayanan Pendampingan Perizinan Berusaha Online": {"code": "PPBO", "kind": "non_permit"},
    # B.1 Kesehatan
    "Izin Toko Alat Kesehatan": {"code": "ITAK"},
    "Izin Mendirikan Rumah Sakit": {"code": "IMRS"},
    "Izin Operasional Rumah Sakit": {"code": "IORS"},
    "Izin Operasional Klinik": {"code": "IOK"},
    "Izin Operasional Laboratorium Klinik Umum dan Khusus": {"code": "IOLK"},
    "Izin Apotek": {"code": "SIA"},
    "Izin Toko Obat": {"code": "ITO"},
    "Izin Penyelenggaraan Pengendalian Vektor dan Binatang Pembawa Penyakit": {"code": "IPPV"},
    "Sertifikat Produksi Usaha Kecil dan Mikro Obat Tradisional": {"code": "SP-UKMOT"},
    "Sertifikat Produksi Perusahaan Rumah Tangga (PRT) Alat Kesehatan dan PKRT": {
        "code": "SP-PRT-AKPKRT"
    },
    "Serifikat Produksi Pangan Industri Rumah Tangga": {
        "code": "SPPIRT",
        "name": "Sertifikat Produksi Pangan Industri Rumah Tangga",  # typo "Serifikat"
        "l1": "Sertifikat Produksi Pangan Industri Rumah Tangga",
        "sop": "Sertifikat Produksi Pangan Industri Rumah Tangga",
    },
    "Izin Mendirikan Klinik": {"code": "IMK"},
    # B.2 Pertanian
    "Izin Usaha Perkebunan": {"code": "IUP"},
    "Pendaftaran Usaha Perkebunan": {"code": "PUP"},
    "Izin Usaha Tanaman Pangan": {"code": "IUTP"},
    "Pendaftaran Usaha Tanaman Pangan": {"code": "PUTP"},
    "Izin Usaha Hortikultura": {"code": "IUH"},
    "Pendaftaran Usaha Hortikultura": {
        "code": "PUH",
        "l1": "Pendaftaran Usaha Budidaya Hortikultura",
        "sop": "Pendaftaran Usaha Budidaya Hortikultura",
    },
    "Izin Usaha Peternakan": {"code": "IUPET"},
    "Pendaftaran Usaha Peternakan": {"code": "PUPET"},
    # B.3 Perindustrian, Mikro Kecil dan Koperasi
    "Izin Usaha Industri": {"code": "IUI"},
    "Izin Perluasan Usaha Industri": {"code": "IPUI"},
    "Izin Usaha Kawasan Industri": {"code": "IUKI"},
    "Izin Perluasan Kawasan Industri": {"code": "IPKI"},
    "Izin Koperasi Simpan Pinjam": {"code": "IKSP"},
    "Izin Pembukaan Kantor Cabang Koperasi Simpan Pinjam": {"code": "IKC-KSP"},
    "Izin Pembukaan Kantor Cabang Pembantu Koperasi Simpan Pinjam": {"code": "IKCP-KSP"},
    "Izin Pembukaan Kantor Kas Koperasi Simpan Pinjam": {"code": "IKK-KSP"},
    "Izin Usaha Mikro Kecil (IUMK)": {"code": "IUMK"},
    # B.4 Pendidikan
    "Izin Pendirian Satuan Pendidikan Formal yang Diselenggarakan Oleh Masyarakat": {
        "code": "IPSPF",
        "sop": "Izin Pendirian Satuan Pendidikan Formal Yang Diselenggarakan",
    },
    "Izin Penyelenggaraan Satuan Pendidikan Non Formal": {"code": "IPSPNF"},
    # B.5 Kepariwisataan
    "Tanda Daftar Usaha Pariwisata (TDUP)": {"code": "TDUP"},
    # B.6 Perdagangan
    "Surat Izin Usaha Perdagangan (SIUP)": {"code": "SIUP"},
    "Surat Tanda Pendaftaran Waralaba": {"code": "STPW"},
    "Tanda Daftar Gudang": {"code": "TDG"},
    # B.7 Pekerjaan Umum
    "Izin Usaha Jasa Konstruksi": {"code": "IUJK"},
    "Izin Mendirikan Bangunan (IMB)": {"code": "IMB"},
    "Sertifikat Laik Fungsi (SLF)": {"code": "SLF"},
    # B.8 Lingkungan Hidup
    "Izin Pengelolaan Limbah Berbahaya dan Beracun (Limbah B3) Untuk Usaha Jasa": {
        "code": "IPLB3"
    },
    "Izin Penyimpanan Limbah Berbahaya dan Beracun (Limbah B3) Untuk Penghasil": {
        "code": "IPSB3"
    },
    "Izin Pembuangan Air Limbah": {"code": "IPLC"},
    "Izin Lingkungan (UKL-UPL/AMDAL)": {"code": "IL"},
    "Perubahan Izin Lingkungan (UKL-UPL/AMDAL)": {"code": "PIL"},
    "Surat Pernyataan Kesanggupan Pengelolaan dan Pemantauan Lingkungan Hidup (SPPL)": {
        "code": "SPPL"
    },
    # B.9 Ketenagakerjaan
    "Izin Usaha Lembaga Penempatan Tenaga Kerja Swasta": {"code": "IU-LPTKS"},
    "Izin Lembaga Pelatihan Kerja": {
        "code": "ILPK",
        "l1": "Izin Lembaga Pelatihan Kerja Untuk Swasta",
    },
    # B.10 Perikanan -- Pasal 7 wording is garbled ("Budidaya kan"); the appendices name the
    # instrument of Permen KP 49/2014.
    "Surat Izin Usaha Perikanan (Tanda Pencatatan Usaha Budidaya kan)": {
        "code": "TPUPI",
        "name": "Tanda Pencatatan Usaha Pembudidayaan Ikan",
        "l1": "Tanda Pencatatan Usaha Pembudidayaan Ikan",
        "sop": "Tanda Pencatatan Usaha Pembudidayaan Ikan",
    },
    "Tanda Daftar Usaha Pengelolaan Hasil Perikanan": {
        "code": "TDU-PHP",
        # Permen KP 67/2018 is about "Pengolahan"; Lampiran I and II agree.
        "name": "Tanda Daftar Usaha Pengolahan Hasil Perikanan",
        "l1": "Tanda Daftar Usaha Pengolahan Hasil Perikanan",
        "sop": "Tanda Daftar Usaha Pengolahan Hasil Perikanan",
    },
    # B.11 Perhubungan
    "Izin Penyelenggaraan Angkutan Orang Dalam daerah": {
        "code": "IPAO",
        "name": "Izin Penyelenggaraan Angkutan Orang Dalam Daerah",
    },
    "Persetujuan Hasil Analisis Dampak Lalu Lintas": {"code": "ANDALALIN"},
    # B.12 Perumahan dan Permukiman
    "Izin Lokasi": {"code": "ILOK"},
    # C.1 Pekerjaan Umum
    "Izin Reklame": {"code": "IREK"},
    "Izin Penyelenggaraan Sistem Penyediaan Air Minum (SPAM)": {"code": "ISPAM"},
    "Rekomendasi Kesesuaian Lahan dan Ruang": {"code": "RKLR"},
    # C.2 Kesehatan
    "Izin Operasional Puskesmas": {"code": "IOP"},
    "Izin Unit Transfusi Darah Tingkat Kabupaten": {"code": "IUTD"},
    "Izin Pelayanan Radiologi Diagnostik": {"code": "IPRD"},
    "Izin Optikal": {"code": "IOPT"},
    "Izin Praktik Perawat": {"code": "SIPP", "l1": "Surat Izin Praktik Perawat",
                             "sop": "Surat Izin Praktik Perawat"},
    "Izin Praktik Terapis Gigi dan Mulut": {
        "code": "SIPTGM",
        "l1": "Surat Izin Praktik Terapis Gigi dan Mulut",
        "sop": "Surat Izin Praktik Terapis Gigi dan Mulut",
    },
    "Izin Praktik Perawat Anestesi": {
        "code": "SIKPA",
        "l1": "Surat Izin Kerja Perawat Anestesi",
    },
    "Surat Izin Praktik Bidan": {"code": "SIPB"},
    "Surat Izin Praktik Apoteker": {"code": "SIPA"},
    "Surat Izin Praktik Tenaga Teknis Kefarmasian/SIPTTK": {"code": "SIPTTK"},
    "Izin Kerja Refraksionis Optisien dan Optometris": {"code": "SIKRO"},
    "Surat Izin Praktik Fisioterapis (SIPF)": {"code": "SIPF"},
    "Izin Praktik Ahli Teknologi Laboratorium Medik (SIP-ATLM)": {
        "code": "SIP-ATLM",
        "l1": "Surat Izin Praktik Ahli Teknologi Laboratorium Medik (SIP-ATLM)",
        "sop": "Surat Izin Praktik Ahli Teknologi Laboratorium Medik (SIP-ATLM)",
    },
    "Surat Izin Kerja Perekam Medis (SIK Perekam Medis)": {
        "code": "SIKPM",
        "l1": "Surat Izin Kerja Perkam Medis SIK Perkam Medis",  # OCR "Perkam"
    },
    "Izin Praktik Okupasi Terapis": {
        "code": "SIPOT",
        "l1": "Surat Izin Praktik Okupasi Terapis",
    },
    "Surat Izin Praktik Terapis Wicara": {"code": "SIPTW"},
    "Surat Izin Praktik Radiografer": {"code": "SIPR"},
    "Surat Izin Praktik Ortosis Prostetis": {
        "code": "SIPOP",
        "name": "Surat Izin Praktik Ortotis Prostetis",  # profession is "ortotis prostetis"
        "l1": "Surat Izin Praktik Ortotis Prostetis",
        "sop": "Surat Izin Praktik Ortotis Prostetis",
    },
    "Surat Izin Praktik Dokter": {"code": "SIPD"},
    "Surat Izin Praktik Tenaga Gizi": {"code": "SIPTGZ"},
    "Surat Izin Kerja Tenaga Sanitarian": {"code": "SIKTS"},
    "Surat Izin Praktik Tenaga Kesehatan Tradisional": {
        "code": "SIPTKT",
        "sop": "Surat Izin Praktik Tanaga Kesehatan Tradisional",  # OCR "Tanaga"
    },
    "Usaha Depot Air Minum (DAM)": {
        "code": "SLHS-DAM",
        # Pasal 7 / Lampiran I name the business, the SOP names the instrument issued
        # (sertifikat laik higiene sanitasi, Permenkes 43/2014).
        "name": "Sertifikat Laik Higiene Sanitasi Depot Air Minum",
        "sop": "Sertifikat Laik Higiene Sanitasi (Depot Air Minum)",
    },
    "Sertifikat Laik Higiene Jasa Boga": {"code": "SLHS-JB"},
    # C.3 Sosial
    "Izin Pendirian Lembaga Kesejahteraan Sosial Anak": {"code": "IP-LKSA"},
    "Izin Operasional Lembaga Kesejahteraan Sosial Anak": {"code": "IO-LKSA"},
    "Izin Penyelenggaraan Pengumpulan Uang dan Barang": {"code": "IPUB"},
    # C.4 Pertanian
    "Izin Pengelolaan dan Pengusahaan Sarang Burung Walet": {"code": "ISBW"},
    # C.5 Perdagangan
    "Surat Tanda Pendaftaran Pedagang Bahan Olah Karet Alam Spesifikasi Teknis "
    "(STPP-BOKAR SIR)": {"code": "STPP-BOKAR"},
    # C.6 Perumahan dan Permukiman
    "Rekomendasi Pengesahan Site Plan Perumahan": {
        "code": "RPSP",
        "l1": "Pengesahan Siteplan Perumahan",
    },
    # II non-permit services
    "Layanan Informasi": {"code": "LINFO", "sop": "Pelayanan Informasi"},
    "Layanan Pengaduan": {"code": "LADU", "sop": "Pelayanan Pengaduan"},
    "Layanan Konsultasi": {"code": "LKONS", "sop": "Pelayanan Konsultasi"},
    "Layanan Penyuluhan": {"code": "LSULUH", "sop": "Pelayanan Penyuluhan"},
}

# ---------------------------------------------------------------------------------------------
# Data table 2: sub-kinds that get their own variant because the source gives them their own
# requirements or times.  Each variant: (code, name, anchor) where anchor is a substring of the
# Lampiran I line that opens the sub-kind's section (None: no own section; requirements are
# taken from the service or from "req_from").
# ---------------------------------------------------------------------------------------------
VARIANTS: dict[str, list[dict]] = {
    "IUP": [
        {"code": "IUP-BUDIDAYA", "name": "Usaha Budidaya Tanaman Perkebunan",
         "anchor": "Usaha Budidaya Tanaman Perkebunan"},
        {"code": "IUP-OLAH", "name": "Usaha Industri Pengolahan Hasil Perkebunan",
         "anchor": "Usaha Industri Pengolahan Hasil Perkebunan"},
        {"code": "IUP-TERPADU",
         "name": "Usaha Perkebunan Terintegrasi antara Budi Daya dengan Industri Pengolahan "
                 "Hasil Perkebunan",
         "anchor": "Usaha Perkebunan Terintegrasi antara"},
    ],
    "IUTP": [
        {"code": "IUTP-PRODUKSI", "name": "Izin Usaha Proses Produksi Tanaman Pangan",
         "anchor": "Izin Usaha Proses Produksi Tanaman Pangan"},
        {"code": "IUTP-PASCAPANEN", "name": "Izin Usaha Penanganan Pascapanen Tanaman Pangan",
         "anchor": "Izin Usaha Penanganan Pascapanen Tanaman Pangan"},
        {"code": "IUTP-TERPADU",
         "name": "Izin Usaha Keterpaduan antara Proses Produksi Tanaman Pangan dan Penanganan "
                 "Pascapanen",
         "anchor": "Izin Usaha Keterpaduan antara Proses"},
        {"code": "IUTP-BENIH", "name": "Izin Usaha Perbenihan Tanaman",
         "anchor": "Izin Usaha Perbenihan Tanaman"},
    ],
    "IUH": [
        {"code": "IUH-BUDIDAYA", "name": "Usaha Budi Daya Hortikultura",
         "anchor": "Usaha Budi Daya Hortikultura"},
        {"code": "IUH-BENIH", "name": "Usaha Perbenihan Hortikultura",
         "anchor": "Usaha Perbenihan hortikultura"},
    ],
    "SIUP": [
        {"code": "SIUP-TANPA-KOM", "name": "Izin Usaha Tanpa Pemenuhan Komitmen",
         "anchor": "Izin Usaha Tanpa Pemenuhan Komitmen"},
        {"code": "SIUP-TEKNIS", "name": "Izin Usaha Dengan Persyaratan Teknis",
         "anchor": "Izin Usaha Dengan Persyaratan Teknis"},
    ],
    "IUJK": [
        {"code": "IUJK-TDUP", "name": "Tanda Daftar Usaha Perseorangan (TDUP)",
         "anchor": "Tanda Daftar Usaha Perseorangan (TDUP)"},
        {"code": "IUJK-BU", "name": "Izin Usaha Jasa Konstruksi (IUJK)",
         "anchor": "Izin Usaha Jasa Kontruksi (IUJK)"},
    ],
    "SLF": [
        {"code": "SLF-BARU-RT",
         "name": "SLF Bangunan Gedung Baru: Rumah Tinggal Tunggal dan Rumah Tinggal Deret 1 "
                 "atau 2 Lantai yang Pengawasannya Menggunakan Penyedia Jasa",
         "anchor": "Bangunan Gedung rumah tinggal tunggal dan rumah tinggal deret 1 atau 2 lantai"
                   " yang pengawasannya menggunakan penyedia jasa**"},
        {"code": "SLF-BARU-TS1",
         "name": "SLF Bangunan Gedung Baru: Bangunan Gedung Tidak Sederhana dan Khusus yang "
                 "Pengawasannya Dilakukan oleh Satu Penyedia Jasa",
         "anchor": "pengawasannya dilakukan oleh satu penyedia jasa"},
        {"code": "SLF-BARU-TSN",
         "name": "SLF Bangunan Gedung Baru: Bangunan Gedung Tidak Sederhana dan Khusus yang "
                 "Pengawasannya Dilakukan oleh Lebih dari Satu Penyedia Jasa secara Bertahap",
         "anchor": "lebih dari satu penyedia jasa secara bertahap"},
        {"code": "SLF-ADA-RT",
         "name": "SLF Bangunan Gedung yang Sudah Ada (Sudah Memiliki IMB): Rumah Tinggal "
                 "Tunggal dan Rumah Tinggal Deret 1 atau 2 Lantai",
         "anchor": "SLF Bangunan Gedung yang Sudah Ada"},
        {"code": "SLF-ADA-TS",
         "name": "SLF Bangunan Gedung yang Sudah Ada (Sudah Memiliki IMB): Bangunan Gedung "
                 "Tidak Sederhana, Khusus, Rumah Tinggal yang Pengkajian Teknisnya Menggunakan "
                 "Penyedia Jasa",
         "anchor": "pengkajian teknisnya menggunakan penyedia jasa (Sudah Memiliki IMB)"},
        {"code": "SLF-BELUM-RT",
         "name": "SLF Bangunan Gedung Belum Memiliki IMB: Rumah Tinggal yang Pengkajian "
                 "Teknisnya Tidak Menggunakan Penyedia Jasa",
         "anchor": "tidak menggunakan penyedia jasa (Belum Memiliki IMB)"},
        {"code": "SLF-BELUM-TS",
         "name": "SLF Bangunan Gedung Belum Memiliki IMB: Bangunan Gedung Tidak Sederhana, "
                 "Khusus, Rumah Tinggal yang Pengkajian Teknisnya Menggunakan Penyedia Jasa",
         "anchor": "pengkajian teknisnya menggunakan penyedia jasa (Belum Memiliki IMB)"},
        {"code": "SLF-PRASARANA", "name": "SLF Bangunan Prasarana Baru",
         "anchor": "Penerbitan SLF Bangunan Prasarana"},
    ],
    "IPLC": [
        {"code": "IPLC-PERMUKAAN", "name": "Pembuangan Air Limbah ke Air Permukaan",
         "anchor": "Pembuangan Air Limbah ke Air Permukaan"},
        {"code": "IPLC-TANAH", "name": "Pemanfaatan Air Limbah Secara Aplikasi ke Tanah",
         "anchor": "Pemanfaatan Air Limbah Secara Aplikasi Ke Tanah"},
    ],
    # Times of the Izin Lingkungan kinds come from the footnote of the second (duplicated)
    # Izin Lingkungan SOP: "*7 hari kerja (SPPL), 14 hari kerja (UKL UPL), 180 hari kerja
    # (AMDAL A), 120 hari kerja (AMDAL B), dan 60 hari kerja (AMDAL C)".
    "IL": [
        {"code": "IL-SPPL", "name": "SPPL", "anchor": None, "req_from": "SPPL",
         "footnote": "SPPL"},
        {"code": "IL-UKLUPL", "name": "UKL-UPL", "anchor": "Syarat Izin Lingkungan (UKL-UPL)",
         "footnote": "UKL UPL"},
        {"code": "IL-AMDAL-A", "name": "AMDAL Kategori A",
         "anchor": "Syarat Izin Lingkungan (AMDAL)", "footnote": "AMDAL A"},
        {"code": "IL-AMDAL-B", "name": "AMDAL Kategori B", "anchor": None,
         "req_from_variant": "IL-AMDAL-A", "footnote": "AMDAL B"},
        {"code": "IL-AMDAL-C", "name": "AMDAL Kategori C", "anchor": None,
         "req_from_variant": "IL-AMDAL-A", "footnote": "AMDAL C"},
    ],
    "ILPK": [
        {"code": "ILPK-SWASTA", "name": "Untuk Swasta/Masyarakat", "anchor": "c. Syarat"},
        {"code": "ILPK-PEMERINTAH", "name": "Untuk Pemerintah atau Perusahaan",
         "anchor": "Untuk Pemerintah atau Perusahaan"},
        {"code": "ILPK-UBAH-PJ", "name": "Perubahan Penanggung Jawab LPK",
         "anchor": "a. Untuk Penanggung Jawab"},
        {"code": "ILPK-UBAH-LOKASI", "name": "Perubahan Lokasi LPK",
         "anchor": "b. Untuk Lokasi LPK"},
    ],
    "ISBW": [
        {"code": "ISBW-BUATAN", "name": "Habitat Buatan", "anchor": "b. Habitat Buatan"},
        {"code": "ISBW-ALAMI", "name": "Habitat Alami", "anchor": "a. Habitat Alami"},
    ],
}

# Lampiran I lines that close a sub-kind section without opening a new variant (group headings).
VARIANT_STOPS = ("Syarat Untuk Perubahan Penanggung Jawab", "SLF Bangunan Gedung baru**")

# ---------------------------------------------------------------------------------------------
# Data table 3: fixes the parser cannot derive.  Each entry is applied and recorded as a defect.
#   field/kind/reason/action as in the catalog; "set" gives the corrected value where the fix
#   replaces text.  Values are keyed by service code.
# ---------------------------------------------------------------------------------------------
FIXES: dict[str, list[dict]] = {
    "PPBO": [
        {"field": "legal_basis", "kind": "copied_from_neighbour", "anchor": "sop:Dasar Hukum",
         "reason": "The SOP 503/01 cites Permenkes 26/2018 Pasal 21 (Izin Toko Alat Kesehatan), "
                   "copied from the next SOP; Lampiran I gives no legal basis for this service.",
         "action": "legal basis left empty (non-permit, no decree)", "set": []},
    ],
    "IUI": [
        {"field": "legal_basis", "kind": "copied_from_neighbour",
         "match": "Peraturan Menteri Perindustrian Republik Indonesia Nomor 45 Tahun 2019",
         "reason": "The third legal basis (Permenperin 45/2019 on Izin Usaha Kawasan Industri) "
                   "belongs to the IUKI section, like the definition next to it.",
         "action": "item removed from the legal basis", "remove": True},
        {"field": "definition", "kind": "copied_from_neighbour",
         "reason": "Lampiran I defines Izin Usaha Kawasan Industri (IUKI) under Izin Usaha "
                   "Industri; the text is identical to the IUKI definition.",
         "action": "definition left null, decree uses the name only", "set": None},
    ],
    "IUMK": [
        {"field": "requirements", "kind": "copied_from_neighbour",
         "match": "Rekomendasi Izin Pembukaan Kantor Kas",
         "reason": "Requirement 3 asks for the recommendation for 'Izin Pembukaan Kantor Kas "
                   "Koperasi Simpan Pinjam', copied from the previous section.",
         "action": "requirement reworded to the IUMK recommendation of the same Dinas",
         "set": "Rekomendasi Izin Usaha Mikro Kecil (IUMK) dari Kepala Dinas Perindustrian, "
                "Koperasi dan Usaha Mikro Kecil"},
    ],
    "SIPTGZ": [
        {"field": "requirements", "kind": "copied_from_neighbour",
         "match": "Rekomendasi Surat Izin Praktik Ortosis Prostesis",
         "reason": "Requirement 9 asks for the recommendation for 'Surat Izin Praktik Ortosis "
                   "Prostesis', copied from the previous section.",
         "action": "requirement reworded to the Tenaga Gizi recommendation of the same Dinas",
         "set": "Rekomendasi Surat Izin Praktik Tenaga Gizi dari Kepala Dinas Kesehatan"},
    ],
    "ILPK": [
        {"field": "variants.ILPK-PEMERINTAH.requirements", "kind": "copied_from_neighbour",
         "match": "Rekomendasi Izin Lembaga Pelatihan Kerja untuk Swasta",
         "reason": "The 'Untuk Pemerintah atau Perusahaan' requirements repeat the recommendation "
                   "'untuk Swasta' of the previous kind.",
         "action": "requirement reworded to 'untuk Pemerintah atau Perusahaan'",
         "set": "Rekomendasi Izin Lembaga Pelatihan Kerja untuk Pemerintah atau Perusahaan dari "
                "Kepala Dinas Tenaga Kerja dan Transmigrasi"},
    ],
    "ISPAM": [
        {"field": "definition", "kind": "copied_from_neighbour",
         "reason": "The definition starts 'Rekomendasi Kesesuaian Lahan dan Ruang adalah', the "
                   "subject of the previous section; the predicate defines the penyelenggaraan "
                   "SPAM.",
         "action": "subject replaced by 'Penyelenggaraan Sistem Penyediaan Air Minum'",
         "replace": ("Rekomendasi Kesesuaian Lahan dan Ruang adalah",
                     "Penyelenggaraan Sistem Penyediaan Air Minum adalah")},
    ],
    "ANDALALIN": [
        {"field": "definition", "kind": "cut_off",
         "reason": "The definition starts mid-sentence ('suatu studi khusus ...') without its "
                   "subject.",
         "action": "subject 'Analisis Dampak Lalu Lintas adalah' supplied",
         "replace": ("suatu studi khusus",
                     "Analisis Dampak Lalu Lintas adalah suatu studi khusus")},
        {"field": "related_sops", "kind": "wrong_reference",
         "reason": "Keterkaitan lists 'SOP Pengelolaan Surat Keluar/Masuk', internal "
                   "correspondence SOPs that are not licensing services.",
         "action": "related SOPs left empty", "set": []},
    ],
    "SLF": [
        {"field": "definition", "kind": "cut_off",
         "reason": "The definition ends with a colloquial, truncated sentence 'Tanpa SLF, gedung "
                   "tidak bisa beroperasi secara lega.'",
         "action": "truncated trailing sentence removed",
         "replace": (" Tanpa SLF, gedung tidak bisa beroperasi secara lega.", "")},
        {"field": "related_sops", "kind": "wrong_reference",
         "reason": "Keterkaitan lists 'SOP Pengelolaan Surat Keluar/Masuk', internal "
                   "correspondence SOPs that are not licensing services.",
         "action": "related SOPs left empty", "set": []},
    ],
    "IOP": [
        {"field": "requirements", "kind": "cut_off",
         "reason": "Lampiran I B.I.1.3.2.1 (Izin Operasional Puskesmas) stops after the "
                   "definition; there is no Syarat list.",
         "action": "requirements left empty; the office must use the SKPD checklist until the "
                   "regulation is corrected", "set": []},
    ],
    "IMK": [
        {"field": "sop_number", "kind": "duplicate_sop_number",
         "reason": "The SOP number is printed as '99/92/SOP/DAFTAR/DCU/2021', which is not in "
                   "the 503/NN/SOP/DPMPSTP-BLG/2021 scheme; all other Kesehatan (OSS) SOPs are "
                   "503/02.",
         "action": "SOP number set to the sector number 503/02/SOP/DPMPSTP-BLG/2021",
         "set": "503/02/SOP/DPMPSTP-BLG/2021"},
    ],
    "IOK": [
        {"field": "sop_number", "kind": "cut_off",
         "reason": "The SOP header is cut: the 'Nomor SOP' and 'Tgl.Pembuatan' rows are missing.",
         "action": "SOP number set to the sector number 503/02/SOP/DPMPSTP-BLG/2021",
         "set": "503/02/SOP/DPMPSTP-BLG/2021"},
    ],
}

# SOP sections whose step table is missing: the DPMPTSP steps are completed from the channel
# template; the technical step time (step 3) is taken from the siblings only where all SOPs of
# the same sector and channel agree (otherwise left null).
MISSING_TABLE_TIME_FROM_SIBLINGS = {
    "IPPV": "all Kesehatan (OSS) SOPs give 11 hari",
    "SIPP": "all Kesehatan (SiCantik) SOPs for health-worker practice permits give 5 hari",
}

# ---------------------------------------------------------------------------------------------
# Data table 4: legal-basis citations.  Each legal_basis item is printed on the permit decree
# under "Mengingat" (generator/build_templates.py mengingat_item() drops a trailing "Pasal ...",
# "Lampiran N" or "(Lampiran)" and writes " Tentang " as " tentang "), so it must read as a
# correct citation: "<kind> Nomor <n> Tahun <t> tentang <title>", e.g. "Peraturan Menteri
# Kesehatan Nomor 28 Tahun 2017 Tentang Izin dan Penyelenggaraan Praktik Bidan Pasal 8".
# normalise_legal() applies, in this order, and records every change as a defect of the service
# (field "legal_basis", with the printed text and the source line):
#   1. LEGAL_FIXES      per service: structural fixes no rule can make;
#   2. LEGAL_TYPOS      misspelt words / phrases, wherever they occur;
#   3. LEGAL_RULES      general normalisation: abbreviated kinds and institutions, "No." / "Th",
#                       leading zeros, lower-case "nomor" / "tahun" / "pasal";
#   4. cite_case()      EYD capitalisation of kind, institution and title: every word capitalised
#                       except conjunctions / prepositions (CITE_LOWER); "Tentang" is left as
#                       printed (mengingat_item() handles it); "Dalam Negeri" is an institution;
#                       the article reference at the end is left as printed;
#   5. CITATION_TITLES  one title per regulation where the source cites it in several forms or
#                       without its title -- only titles printed somewhere in the source;
#   6. duplicates       items equal after mengingat_item() (same regulation, other article)
#                       merged into one, the article references joined as MERGED_ARTICLES says.
# ---------------------------------------------------------------------------------------------
LEGAL_FIXES: dict[str, list[dict]] = {
    "ILOK": [
        {"pattern": r"^(.*Nasional) (Tentang Izin Lokasi) (Nomor 17 Tahun 2019)\b",
         "repl": r"\1 \3 \2", "kind": "malformed_citation",
         "reason": "The number and year are printed after the title ('... Nasional Tentang "
                   "Izin Lokasi Nomor 17 Tahun 2019').",
         "action": "'Nomor 17 Tahun 2019' moved before the title"},
    ],
    # Lampiran B (Persyaratan Teknis) of Permen LHK P.95/2018 lists the technical requirements;
    # the decree cites the regulation itself.  "Lampiran B" cannot stand at the end either:
    # mengingat_item() only strips "Lampiran <number>".
    "IPLB3": [
        {"pattern": r"^Lampiran B Lampiran Persyaratan Teknis (Peraturan .*)$", "repl": r"\1",
         "kind": "malformed_citation",
         "reason": "The citation starts with the appendix reference 'Lampiran B Lampiran "
                   "Persyaratan Teknis' instead of naming the regulation.",
         "action": "appendix reference dropped, the regulation cited as a whole"},
    ],
    "IPSB3": [
        {"pattern": r"^Lampiran B Lampiran Persyaratan Teknis (Peraturan .*)$", "repl": r"\1",
         "kind": "malformed_citation",
         "reason": "The citation starts with the appendix reference 'Lampiran B Lampiran "
                   "Persyaratan Teknis' instead of naming the regulation.",
         "action": "appendix reference dropped, the regulation cited as a whole"},
    ],
    "ANDALALIN": [
        {"pattern": r"^Lampiran (Peraturan .*)$", "repl": r"\1 (Lampiran)",
         "kind": "malformed_citation",
         "reason": "The citation starts with 'Lampiran' instead of naming the regulation.",
         "action": "appendix reference moved to the end as '(Lampiran)'"},
    ],
}

# (pattern, replacement, kind, reason) -- applied to every legal-basis item.
LEGAL_TYPOS: tuple[tuple[str, str, str, str], ...] = (
    (r"\bRTentang\b", "Tentang", "spelling", "OCR 'RTentang' for 'Tentang'"),
    (r"\bPerkam Medis\b", "Perekam Medis", "spelling",
     "'Perkam Medis' for 'Perekam Medis' (the profession of Permenkes 55/2013)"),
    (r"\bPerkerjaan\b", "Pekerjaan", "spelling", "'Perkerjaan' for 'Pekerjaan'"),
    (r"\bkessanggupan\b", "kesanggupan", "spelling", "'kessanggupan' for 'kesanggupan'"),
    (r"\bTatacara\b", "Tata Cara", "spelling", "'Tatacara' for 'Tata Cara' (two words, KBBI)"),
    # The titles end with the name of the OSS system as PP 24/2018 defines it (Mengingat 10 of
    # this Perbup): "Pelayanan Perizinan Berusaha Terintegrasi Secara Elektronik".
    (r"\bTerintegrasi Dengan Elektronik\b", "Terintegrasi Secara Elektronik", "spelling",
     "'Terintegrasi Dengan Elektronik' for 'Terintegrasi Secara Elektronik' (the OSS system "
     "as PP 24/2018 names it, Mengingat 10 of this Perbup)"),
    (r"\bPerizinan Berusaha dan Terintegrasi\b", "Perizinan Berusaha Terintegrasi",
     "malformed_citation",
     "stray 'dan' in 'Pelayanan Perizinan Berusaha Terintegrasi Secara Elektronik' (the OSS "
     "system as PP 24/2018 names it, Mengingat 10; the TDUP SOP, line 4302, cites Permenpar "
     "18/2018 without it)"),
    (r"\bPenyelenggaraan PTSP Daerah\b", "Penyelenggaraan Pelayanan Terpadu Satu Pintu Daerah",
     "malformed_citation",
     "abbreviation 'PTSP' inside the title (spelt out as in Mengingat 15 of this Perbup, "
     "line 41)"),
)

# (pattern, replacement, kind, label) -- general normalisation, in this order.
LEGAL_RULES: tuple[tuple[str, str | Callable[[re.Match[str]], str], str, str], ...] = (
    (r"^Perda\b", "Peraturan Daerah", "malformed_citation", "kind abbreviated 'Perda'"),
    (r"^Perbup\b", "Peraturan Bupati", "malformed_citation", "kind abbreviated 'Perbup'"),
    (r"(?i)\bPeraturan Bupati Kabupaten Balangan\b", "Peraturan Bupati Balangan",
     "malformed_citation", "kind written 'Peraturan Bupati Kabupaten Balangan'"),
    (r"\bRI(?= Nomor\b)", "Republik Indonesia", "malformed_citation",
     "'RI' for 'Republik Indonesia' in the kind"),
    (r"\bMenteri PUPR\b", "Menteri Pekerjaan Umum dan Perumahan Rakyat", "malformed_citation",
     "institution abbreviated 'PUPR' (spelt out as the SLF and ISPAM citations do)"),
    (r"\bMenteri PANRB\b", "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
     "malformed_citation",
     "institution abbreviated 'PANRB' (spelt out as Mengingat 13 of this Perbup does)"),
    (r"\bNo\.\s*(?=\d)", "Nomor ", "malformed_citation", "'No.' for 'Nomor'"),
    (r"\bnomor\b", "Nomor", "spelling", "'nomor' in lower case"),
    (r"\bNomor 0+(?=\d)", "Nomor ", "malformed_citation", "number written with a leading zero"),
    (r"\bTh\.?(?= \d{4}\b)", "Tahun", "malformed_citation", "'Th' for 'Tahun'"),
    (r"(?<=\d )tahun\b", "Tahun", "spelling", "'tahun' in lower case"),
    # "2052/menkes/per/X/2011" -> "2052/MENKES/PER/X/2011"
    (r"\b(\d+/)([A-Za-z]+/[A-Za-z]+)(?=/[IVX]+/\d{4}\b)",
     lambda m: m.group(1) + m.group(2).upper(), "spelling",
     "issuer code in the number not in capitals (…/MENKES/PER/…)"),
    (r"(?<= )pasal(?= \d)", "Pasal", "spelling", "'pasal' in lower case"),
    (r"(?<= )Ayat(?= \()", "ayat", "spelling", "'Ayat' capitalised"),
)

# Conjunctions and prepositions (kata tugas) written in lower case inside names and titles (EYD).
CITE_LOWER = frozenset({
    "dan", "atau", "serta", "di", "ke", "dari", "yang", "untuk", "oleh", "dengan", "pada",
    "bagi", "dalam", "atas", "melalui", "antara", "sampai", "hingga", "terhadap", "tanpa",
    "tentang",
})

# Regulation (kind + number + year) -> (title, why this form).  Used where the source cites the
# regulation without its title or in several forms; the title must be printed in the source.
CITATION_TITLES: dict[str, tuple[str, str]] = {
    "Peraturan Daerah Kabupaten Balangan Nomor 16 Tahun 2014": (
        "Perizinan Tenaga Kesehatan, Sertifikasi Tempat Sarana Pelayanan Kesehatan",
        "The health permits cite Perda Balangan 16/2014 with four titles: 'Perizinan Tenaga "
        "kesehatan, sertifikasi tempat sarana pelayanan kesehatan' (lines 589, 1788), the same "
        "with 'pelayan' (lines 1732, 1856), 'Perizinan Tenaga Kesehatan' (lines 1884-1952) and "
        "'Tenaga Kesehatan, Sertifikasi Tempat Sarana Kesehatan' (lines 2042-2159); the first "
        "is the only complete and correctly spelt one.",
    ),
    "Peraturan Menteri Pertanian Nomor 45 Tahun 2019": (
        "Pelayanan Perizinan Berusaha Terintegrasi Secara Elektronik di Bidang Pertanian",
        "Permentan 45/2019 is cited without its title; the other Pertanian permits give it "
        "(line 607 ff.).",
    ),
    "Peraturan Daerah Kabupaten Balangan Nomor 14 Tahun 2013": (
        "Izin Penyelenggaraan Pengelolaan Sarang Burung Walet",
        "Perda Balangan 14/2013 is cited without its title; its amendment, Perda Balangan "
        "1/2018, cites it with the title 'Izin Penyelenggaraan Pengelolaan Sarang Burung "
        "Walet' (line 2323).",
    ),
}

# Services citing one regulation twice, once per kind / article: one item, the article
# references joined (the decree cites the regulation once; mengingat_item() drops them).
MERGED_ARTICLES = {
    "SIUP": "Pasal 14 Lampiran 1 dan 2",  # Lampiran 1: tanpa komitmen, Lampiran 2: teknis
    "IPLC": "Pasal 3 dan Pasal 4 ayat (2) dan (3)",  # as the SOP cites it (line 4828)
    "IUJK": "Pasal 12 ayat (1) dan (2) serta Pasal 23",  # TDUP / IUJK kinds
}

# The article reference at the end of a citation (the part mengingat_item() drops).
ARTICLE_TAIL = re.compile(r"\s+(?:[Pp]asal\s+\d.*|\(?Lampiran(?:\s+\d+)?\)?)$")
CITATION_RE = re.compile(
    r"^(?P<head>.+? Nomor (?:PM )?\S+(?: Tahun \d{4})?)(?: (?P<sep>[Tt]entang) (?P<title>.+))?$")


# Technical step time given as '*' in the duplicated Izin Lingkungan SOP / as a range.
IL_FOOTNOTE_RE = re.compile(r"(\d+) hari kerja \(([^)]+)\)")

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
FLOW_TOKENS = re.compile(r"^(Start|End|Decision(?: \d+)?|Y|T|\[[A-Za-z ]+\]|\{[^}]*\})$")
TIME_RE = re.compile(r"^(\d+)(?:\s*-\s*(\d+))?\s*(menit|hari|jam)$", re.IGNORECASE)
LOWER_WORDS = {"dan", "atau", "di", "ke", "dari", "yang", "untuk", "oleh", "dengan", "pada"}


def clean(text: str) -> str:
    """Remove OCR markup (** bold, bullets, HTML) and normalise whitespace."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("**", "").replace("\u2022", " ").replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:-\s+)+", "", text)
    text = re.sub(r"\s+([,;.:])", r"\1", text)
    text = re.sub(r",(?=[A-Za-z])", ", ", text)  # "pemerintah,pemerintah"
    text = re.sub(r"(?<=[a-z])\((?=[A-Z])", " (", text)  # "Berusaha(NIB)"
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    return text.strip()


def strip_item(text: str) -> str:
    text = clean(text)
    text = re.sub(r"^(?:\d+[).]|[a-z][).])\s+", "", text)
    text = re.sub(r"(?:[;,]\s*dan|[;,]|\.)$", "", text).strip()
    text = re.sub(r"\s+dan$", "", text) if text.endswith("; dan") else text
    return text.rstrip(" ;,").strip()


def norm(text: str) -> str:
    text = clean(text).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def norm_loose(text: str) -> str:
    return norm(re.sub(r"\([^)]*\)", " ", text))


def similar(a: str, b: str) -> bool:
    """Same name up to case, punctuation, abbreviations and a one-letter OCR slip."""
    return difflib.SequenceMatcher(None, norm_loose(a), norm_loose(b)).ratio() >= 0.95


def title_case(text: str) -> str:
    """Title case for upper-case headings ('SEKTOR PEKERJAAN UMUM' -> 'Pekerjaan Umum')."""
    words = []
    for i, w in enumerate(clean(text).split()):
        lw = w.lower()
        words.append(lw if i and lw in LOWER_WORDS else lw[:1].upper() + lw[1:])
    return " ".join(words)


def sop_base_name(name: str) -> str:
    """'Izin Usaha Tanaman Pangan: a. ... b. ...' -> 'Izin Usaha Tanaman Pangan'."""
    return clean(re.split(r"\s*:\s+a\.\s", name)[0])


def parse_time(cell: str | None):
    if cell is None:
        return None
    m = TIME_RE.match(cell.strip())
    if not m:
        return None
    value = int(m.group(2) or m.group(1))
    unit = m.group(3).lower()
    if unit == "hari":
        return {"working_days": value, "minutes": 0}
    if unit == "jam":
        return {"working_days": 0, "minutes": value * 60}
    return {"working_days": 0, "minutes": value}


def total_time(steps: list[dict]):
    if not steps or any(s["time"] is None for s in steps):
        return None
    return {
        "working_days": sum(s["time"]["working_days"] for s in steps),
        "minutes": sum(s["time"]["minutes"] for s in steps),
    }


def defect(field, kind, line, reason, action):
    assert kind in DEFECT_KINDS, kind
    return {"field": field, "kind": kind, "source_line": line, "reason": reason,
            "action": action}


# ---------------------------------------------------------------------------------------------
# Pass 1: Pasal 7
# ---------------------------------------------------------------------------------------------
def parse_pasal7(lines: list[str]) -> list[dict]:
    start = next(i for i, s in enumerate(lines) if s.strip() == "Pasal 7")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("BAB VII"))
    entries: list[dict] = []
    channel = sector = None
    pending = None
    for i in range(start, end):
        raw = lines[i]
        s = clean(raw)
        if not s:
            continue
        if s == ";" and entries:  # OCR put the closing ';' of an item on its own line
            continue
        m = re.match(r"^([ABC])\. PELAYANAN (.+)$", s)
        if m:
            channel, sector = m.group(1), None
            if channel == "A":
                name = title_case(m.group(2))
                entries.append({"channel": "A", "sector": "Lintas Sektor",
                                "pasal7": "Pelayanan " + name, "line": i + 1, "subkinds": []})
            continue
        if s.startswith("II. PELAYANAN NON PERIZINAN"):
            channel, sector = "II", "Non Perizinan"
            continue
        if channel in (None, "A"):
            continue
        m = re.match(r"^(\d+)\. SEKTOR (.+?)\.?$", s)
        if m:
            sector = title_case(m.group(2))
            continue
        if channel == "II":
            m = re.match(r"^([A-D])\. (.+?);?\.?$", s)
            if m:
                entries.append({"channel": "II", "sector": sector, "pasal7": m.group(2),
                                "line": i + 1, "subkinds": []})
            continue
        m = re.match(r"^([a-x])\. (.+)$", s)
        if m:
            name = re.sub(r"\s*[;:.]\s*$", "", m.group(2)).strip()
            pending = {"channel": channel, "sector": sector, "pasal7": name, "line": i + 1,
                       "subkinds": []}
            entries.append(pending)
            continue
        m = re.match(r"^(\d+)\)\.? (.+)$", s)
        if m and pending is not None:
            pending["subkinds"].append(re.sub(r"\s*[;.]\s*$", "", m.group(2)))
    return entries


# ---------------------------------------------------------------------------------------------
# Pass 2: Lampiran I
# ---------------------------------------------------------------------------------------------
L1_HEAD = re.compile(r"^(?:[AB]\.\s?)?I\.\d+(?:\.\d+)*\.?\s+(\S.*)$")
FIELD_HEAD = re.compile(
    r"^(?:[a-d]\.\s*)?(Dasar [Hh]ukum|Definisi(?: Izin)?|Syarat[^:]*?|Persyaratan Teknis)"
    r"\s*:?\s*$"
)


def split_lampiran1(lines: list[str]) -> list[dict]:
    start = next(i for i, s in enumerate(lines) if s.startswith("A. LAMPIRAN I."))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("B.LAMPIRAN II"))
    sections: list[dict] = []
    cur = None
    i = start
    while i < end:
        s = clean(lines[i])
        if s == "BUPATI BALANGAN":  # signature block closes the appendix
            break
        m = L1_HEAD.match(s)
        heading = None
        garbled = False
        if m:
            heading = m.group(1)
        elif re.match(r"^AI\d+\.\d+\.\d+$", s):  # garbled numbering "AI121.10.1"
            j = i + 1
            while j < end and (not clean(lines[j]) or clean(lines[j]).lower().startswith("sektor")):
                j += 1
            heading, garbled, i = clean(lines[j]), True, j
        elif re.match(r"^AI\d+\.\d+$", s):
            i += 1
            continue
        if heading is not None:
            if heading.lower().startswith("sektor") or (
                heading.isupper() and "PENDAMPINGAN" not in heading
            ):
                cur = None
            else:
                cur = {"heading": heading, "line": i + 1, "body": [], "garbled": garbled}
                sections.append(cur)
            i += 1
            continue
        if cur is not None:
            cur["body"].append((i + 1, lines[i]))
        i += 1
    return sections


def parse_requirements(body: list[tuple[int, str]]) -> list[str]:
    """Flatten a requirement list: top-level items, children joined after ':'."""
    items: list[list[str]] = []
    top_style = None
    for _, raw in body:
        s = clean(raw)
        if not s or s == "-":
            continue
        if re.match(r"^[-\u2022\s]*\*\*[^*]+\*\*\s*$", raw):  # bold sub-heading, not an item
            continue
        m = re.match(r"^(\d+)[).]\s+(.*)$", s)
        style = "num" if m else None
        if not m:
            m = re.match(r"^([a-z])\)\s+(.*)$", s)
            style = "alpha" if m else None
        if not m:
            m = re.match(r"^([a-z])\.\s+(.*)$", s)
            style = "alpha-dot" if m else None
        if top_style is None and style:
            top_style = style
        if style and style == top_style:
            items.append([strip_item(m.group(2))])
        elif items:
            items[-1].append(strip_item(m.group(2) if m else s))
        else:
            items.append([strip_item(s)])
    out = []
    for parts in items:
        head = parts[0].rstrip(":").strip()
        if len(parts) > 1:
            out.append(head + ": " + "; ".join(p for p in parts[1:] if p))
        else:
            out.append(head)
    return [o for o in out if o]


def split_legal(text_lines: list[str]) -> list[str]:
    out: list[str] = []
    for raw in text_lines:
        s = clean(raw)
        if not s or s == "-":
            continue
        for part in re.split(r"\s+(?=[a-d]\.\s+(?:Peraturan|Perda|Perbup|Keputusan)\b)", s):
            part = re.sub(r"^(?:\d+\)|[a-d]\.)\s+", "", part.strip())
            if not part:
                continue
            if out and (part[0].islower() or re.match(r"^(Tentang|Lampiran \d)", part)):
                out[-1] = out[-1].rstrip(" .;") + " " + part
            else:
                out.append(part)
    cleaned = []
    for p in out:
        # two regulations printed as one item: "... Pasal 9 dan Peraturan Daerah ..."
        for q in re.split(r"\s+dan\s+(?=(?:Peraturan|Perda)\s)", p):
            q = re.sub(r"\.\s+\(", " (", q)  # "kesehatan. (Lampiran)"
            q = re.sub(r"\s+", " ", q).strip().rstrip(" ;,.").strip()
            if q:
                cleaned.append(q)
    return cleaned


def parse_fields(body: list[tuple[int, str]]) -> dict:
    """Split a Lampiran I (sub)section into legal basis, definition, requirements."""
    mode = "req"
    buckets: dict[str, list] = {"legal": [], "def": [], "req": []}
    for ln, raw in body:
        s = clean(raw)
        if not s:
            continue
        m = FIELD_HEAD.match(s)
        if m:
            word = m.group(1).lower()
            mode = "legal" if word.startswith("dasar") else "def" if word.startswith(
                "definisi") else "req"
            continue
        buckets[mode].append((ln, raw))
    legal = split_legal([r for _, r in buckets["legal"]])
    definition = clean(" ".join(clean(r) for _, r in buckets["def"])) or None
    return {
        "legal": legal,
        "definition": definition,
        "req": parse_requirements(buckets["req"]),
        "def_line": buckets["def"][0][0] if buckets["def"] else None,
        "legal_line": buckets["legal"][0][0] if buckets["legal"] else None,
    }


# ---------------------------------------------------------------------------------------------
# Pass 3: Lampiran II (SOP tables)
# ---------------------------------------------------------------------------------------------
def split_sops(lines: list[str]) -> list[dict]:
    start = next(i for i, s in enumerate(lines) if s.startswith("B.LAMPIRAN II"))
    name_idx = [i for i in range(start, len(lines)) if re.search(r"(^|\t)\s*Nama SOP\t", lines[i])]
    sops = []
    for k, ni in enumerate(name_idx):
        head_start = ni
        number = None
        for j in range(ni - 1, max(ni - 8, start), -1):
            m = re.search(r"Nomor SOP\t+\s*(\S+)", lines[j])
            if m:
                number, head_start = m.group(1).strip(), j
                break
        nxt = name_idx[k + 1] - 8 if k + 1 < len(name_idx) else len(lines)
        name = clean(lines[ni].split("Nama SOP", 1)[1])
        sops.append({"name": name, "number": number, "line": ni + 1, "start": head_start,
                     "body_range": (ni + 1, nxt)})
    # trim body ranges so they end before the next header
    for k, sop in enumerate(sops):
        if k + 1 < len(sops):
            sop["body_range"] = (sop["body_range"][0], sops[k + 1]["start"])
    return sops


def parse_sop_body(lines: list[str], sop: dict) -> None:
    a, b = sop["body_range"]
    section = None
    legal_lines: list[str] = []
    related: list[str] = []
    steps: list[dict] = []
    footnote = None
    for idx in range(a, b):
        raw = lines[idx]
        s = clean(raw)
        if s.startswith("Dasar Hukum"):
            section = "legal"
            continue
        if s.startswith("Keterkaitan"):
            section = "related"
            continue
        if re.match(r"^(Peringatan|Kualifikasi|Peralatan|Pencatatan)", s) or "\t" in raw:
            section = None
        if s.startswith("*") and "hari kerja" in s:
            footnote = (idx + 1, s)
        m = re.match(r"^(\d+)\.\s*\t", raw)
        if m:
            cells = [c.strip() for c in raw.split("\t")]
            cells = [c for c in cells if c and not FLOW_TOKENS.match(c)]
            no, activity, rest = int(m.group(1)), clean(cells[1]), cells[2:]
            ti = next((k for k, c in enumerate(rest) if TIME_RE.match(c) or c == "*"), None)
            if ti is not None:
                inp = rest[ti - 1] if ti >= 1 else None
                tcell = rest[ti]
                out = rest[ti + 1] if ti + 1 < len(rest) else None
            elif rest:
                inp, tcell = rest[0], None
                out = rest[1] if len(rest) > 1 else None
            else:
                inp = tcell = out = None
            steps.append({"no": no, "activity": activity, "input": clean(inp) if inp else None,
                          "time_cell": tcell, "time": parse_time(tcell),
                          "output": clean(out) if out else None, "line": idx + 1})
            continue
        if section == "legal" and s:
            legal_lines.append(s)
        elif section == "related" and s:
            for part in re.split(r"\s+(?=[a-h]\.\s+)", s):
                part = clean(re.sub(r"^[a-h]\.\s+", "", part)).rstrip(".")
                if part:
                    related.append(part)
    sop["legal"] = split_legal(legal_lines)
    sop["related"] = related
    sop["steps"] = steps
    sop["footnote"] = footnote


# ---------------------------------------------------------------------------------------------
# Names and legal-basis citations (EYD, citation form)
# ---------------------------------------------------------------------------------------------
def _cap(word: str) -> str:
    """'kesehatan,' -> 'Kesehatan,'; '(hidup-upaya' -> '(Hidup-Upaya'."""
    parts = []
    for part in word.split("-"):
        m = re.match(r"^([(\"']*)([a-z])([a-z]*)([,.;:)\"']*)$", part)
        parts.append(m.group(1) + m.group(2).upper() + m.group(3) + m.group(4) if m else part)
    return "-".join(parts)


def cite_case(text: str) -> tuple[str, list[str]]:
    """EYD capitalisation of a citation without its article reference: every word capitalised
    except the conjunctions/prepositions of CITE_LOWER (not in first position); 'Tentang' as
    printed; 'Dalam Negeri' (institution) capitalised.  Returns the text and the changed words."""
    words = text.split(" ")
    out, changed = [], []
    for i, w in enumerate(words):
        core = w.strip("(),.;:")
        low = core.lower()
        new = w
        if i and low in CITE_LOWER:
            if low == "dalam" and i + 1 < len(words) and words[i + 1].startswith("Negeri"):
                new = w.replace(core, "Dalam")
            elif low != "tentang":
                new = w.replace(core, low)
        else:
            new = _cap(w)
        if new != w:
            changed.append(f"'{w}' -> '{new}'")
        out.append(new)
    return " ".join(out), changed


def eyd_name(name: str) -> tuple[str, list[str]]:
    """A permit name in EYD title form: conjunctions/prepositions (not first) in lower case,
    an appended abbreviation in parentheses ('.../SIPTTK' -> '... (SIPTTK)')."""
    notes = []
    words = name.split(" ")
    for i, w in enumerate(words):
        if i and w.lower() in CITE_LOWER and w != w.lower():
            notes.append(f"'{w}' -> '{w.lower()}' (preposition/conjunction)")
            words[i] = w.lower()
    new = " ".join(words)
    m = re.match(r"^(.*[a-z])/([A-Z][A-Z-]+)$", new)
    if m:
        notes.append(f"'/{m.group(2)}' -> ' ({m.group(2)})' (abbreviation in parentheses)")
        new = f"{m.group(1)} ({m.group(2)})"
    return new, notes


def split_citation(text: str) -> tuple[str, str]:
    """'<citation> Pasal 5' -> ('<citation>', ' Pasal 5')."""
    m = ARTICLE_TAIL.search(text)
    return (text[: m.start()], text[m.start():]) if m else (text, "")


def citation_key(text: str) -> str:
    """The citation as mengingat_item() prints it (no article reference, 'tentang')."""
    body = split_citation(text)[0]
    return re.sub(r"\s+Tentang\s+", " tentang ", body).rstrip(" .;,")


def locate_lines(items: list[str], candidates: list[tuple[int, str]]) -> list[int | None]:
    """Source line of each legal-basis item: the first candidate line, from the previous item's
    position on, that holds the item's beginning (two items may share a line)."""
    out: list[int | None] = []
    pos, offset = 0, -1
    norm_lines = [(ln, norm(raw)) for ln, raw in candidates]
    for item in items:
        key = norm(item)[:40]
        hit = None
        for k in range(pos, len(norm_lines)):
            at = norm_lines[k][1].find(key, offset + 1 if k == pos else 0)
            if at >= 0:
                hit = (k, at)
                break
        if hit is None:
            out.append(candidates[0][0] if candidates else None)
            continue
        pos, offset = hit
        out.append(norm_lines[pos][0])
    return out


def normalise_legal(result: dict, candidates: list[tuple[int, str]]) -> None:
    """Bring every legal-basis item into citation form (see data table 4); record defects."""
    code = result["code"]
    items = result["legal_basis"]
    lines_of = locate_lines(items, candidates)
    fixes = LEGAL_FIXES.get(code, [])
    used = set()
    out: list[tuple[str, int | None]] = []
    for orig, line in zip(items, lines_of, strict=True):
        text = orig
        for n, fx in enumerate(fixes):
            if re.search(fx["pattern"], text):
                text = re.sub(fx["pattern"], fx["repl"], text, count=1)
                used.add(n)
                result["defects"].append(defect(
                    "legal_basis", fx["kind"], line, f"{fx['reason']} Printed: '{orig}'.",
                    fx["action"]))
        notes: dict[str, list[str]] = {}
        for pattern, repl, kind, label in LEGAL_TYPOS + LEGAL_RULES:
            new = re.sub(pattern, repl, text)
            if new != text:
                notes.setdefault(kind, []).append(label)
                text = new
        body, tail = split_citation(text)
        body, changed = cite_case(body)
        if changed:
            notes.setdefault("spelling", []).append(
                "EYD capitalisation of kind / institution / title: " + ", ".join(changed))
        text = body + tail
        title_note = None
        m = CITATION_RE.match(body)
        if m and m.group("head") in CITATION_TITLES:
            title, why = CITATION_TITLES[m.group("head")]
            if m.group("title") != title:
                sep = m.group("sep") or "tentang"
                text = f"{m.group('head')} {sep} {title}{tail}"
                title_note = why
        for kind in sorted(notes):
            result["defects"].append(defect(
                "legal_basis", kind, line,
                f"Printed as '{orig}': " + "; ".join(notes[kind]) + ".",
                f"cited as '{text}'"))
        if title_note:
            result["defects"].append(defect(
                "legal_basis", "malformed_citation", line, title_note,
                f"cited as '{text}'"))
        out.append((text, line))
    assert used == set(range(len(fixes))), (code, "LEGAL_FIXES entry not applied")
    # one item per regulation
    merged: list[str] = []
    first: dict[str, int] = {}
    for text, line in out:
        key = citation_key(text)
        if key not in first:
            first[key] = len(merged)
            merged.append(text)
            continue
        k = first[key]
        kept = merged[k]
        if kept != text:
            assert code in MERGED_ARTICLES, (code, "duplicate citation without MERGED_ARTICLES")
            articles = MERGED_ARTICLES[code]
            merged[k] = f"{split_citation(kept)[0]} {articles}"
            action = f"merged into one item: '{merged[k]}'"
        else:
            action = "duplicate item removed"
        result["defects"].append(defect(
            "legal_basis", "duplicate_citation", line,
            f"The regulation is cited twice, differing only by the article reference: "
            f"'{split_citation(kept)[1].strip()}' and '{split_citation(text)[1].strip()}'.",
            action))
    assert code not in MERGED_ARTICLES or len(merged) < len(out), (code, "nothing merged")
    result["legal_basis"] = merged



# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------
def clean_definition(text: str | None, line: int | None, defects: list) -> str | None:
    """Remove the doubled subject 'X adalah Y adalah ...' produced by copy-paste."""
    if not text:
        return text
    m = re.match(r"^(.{3,140}?) adalah ((?:yang )?selanjutnya .*)$", text)
    if m:
        new = f"{m.group(1)} {m.group(2)}"
    else:
        m = re.match(r"^(.{3,140}?) adalah ([^.]{3,160}? adalah .*)$", text)
        new = m.group(2) if m else None
        if new:
            new = new[:1].upper() + new[1:]
    if m and new:
        new = re.sub(r" adalah adalah ", " adalah ", new)
        defects.append(defect("definition", "ocr_garbage", line,
                              "The definition repeats its subject ('... adalah ... adalah').",
                              "doubled subject removed"))
        return new
    if " adalah adalah " in text:
        defects.append(defect("definition", "ocr_garbage", line, "Doubled word 'adalah adalah'.",
                              "doubled word removed"))
        return text.replace(" adalah adalah ", " adalah ")
    return text


def find_anchor(body, anchor):
    for k, (_, raw) in enumerate(body):
        if anchor in raw or anchor in clean(raw):
            return k
    raise SystemExit(f"variant anchor not found: {anchor!r}")


def build(lines: list[str]) -> dict:
    p7 = parse_pasal7(lines)
    l1 = split_lampiran1(lines)
    sops = split_sops(lines)
    for sop in sops:
        parse_sop_body(lines, sop)

    l1_by_name: dict[str, list[dict]] = {}
    for sec in l1:
        l1_by_name.setdefault(norm_loose(sec["heading"]), []).append(sec)
    sop_by_name: dict[str, list[dict]] = {}
    for sop in sops:
        key = norm_loose(sop_base_name(sop["name"]))
        sop_by_name.setdefault(key, []).append(sop)

    # channel templates: the most common full step list per channel
    templates = channel_templates(sops, p7, sop_by_name)

    services = []
    used_codes = set()
    for entry in p7:
        key = next((k for k in SERVICES if norm(k) == norm(entry["pasal7"])), None)
        if key is None:
            raise SystemExit(f"Pasal 7 entry without a row in SERVICES: {entry['pasal7']!r}")
        conf = SERVICES[key]
        code = conf["code"]
        assert code not in used_codes, code
        used_codes.add(code)
        services.append(build_service(entry, conf, l1_by_name, sop_by_name, templates, lines))
    if len(used_codes) != len(SERVICES):
        missing = sorted(set(v["code"] for v in SERVICES.values()) - used_codes)
        raise SystemExit(f"SERVICES rows not found in Pasal 7: {missing}")
    return {
        "source": {
            "title": TITLE,
            "file": SOURCE_REL,
            "sha256": hashlib.sha256(SOURCE.read_bytes()).hexdigest(),
        },
        "services": services,
    }


def channel_templates(sops, p7, sop_by_name):
    chan_of = {}
    for e in p7:
        key = norm_loose(SERVICES.get(next((k for k in SERVICES if norm(k) == norm(e["pasal7"])),
                                            ""), {}).get("sop") or e["pasal7"])
        chan_of[key] = e["channel"]
    per_channel: dict[str, Counter] = {}
    for sop in sops:
        ch = chan_of.get(norm_loose(sop_base_name(sop["name"])))
        if ch not in ("B", "C") or not sop["steps"]:
            continue
        sig = tuple((s["activity"], s["input"], s["time_cell"] if s["no"] != 3 else "",
                     s["output"]) for s in sop["steps"])
        per_channel.setdefault(ch, Counter())[sig] += 1
    out = {}
    for ch, counter in per_channel.items():
        longest = max(len(sig) for sig in counter)
        sig = max((s for s in counter if len(s) == longest), key=lambda s: (counter[s], s))
        out[ch] = [{"no": n + 1, "activity": a, "input": i, "time": parse_time(t), "output": o}
                   for n, (a, i, t, o) in enumerate(sig)]
    return out


def pick(by_name, name):
    hits = by_name.get(norm_loose(name), [])
    return hits


def build_service(entry, conf, l1_by_name, sop_by_name, templates, lines):
    code = conf["code"]
    channel = entry["channel"]
    kind = "non_permit" if channel == "II" or conf.get("kind") == "non_permit" else "permit"
    defects: list[dict] = []
    p7_name = clean(entry["pasal7"])
    name, name_notes = eyd_name(conf.get("name") or p7_name)
    if name_notes:
        defects.append(defect("name", "spelling", entry["line"],
                              f"Pasal 7 prints the name as '{p7_name}': "
                              + "; ".join(name_notes) + ".", f"name written '{name}'"))

    # ---- Lampiran I
    l1_name = conf.get("l1") or (
        "PELAYANAN PENDAMPINGAN PERIZINAN BERUSAHA ONLINE" if channel == "A" else p7_name
    )
    l1_hits = pick(l1_by_name, l1_name) if channel != "II" else []
    sec = l1_hits[0] if l1_hits else None
    if sec is None and channel != "II":
        defects.append(defect("lampiran1", "missing_in_lampiran", entry["line"],
                              "No Lampiran I section for this service.",
                              "legal basis / definition / requirements taken from the SOP only"))
    if sec is not None and sec["garbled"]:
        defects.append(defect("names.lampiran1", "ocr_garbage", sec["line"],
                              "Section number printed as 'AI121.10 / AI121.10.1' with the sector "
                              "and the name on separate lines.",
                              "section recognised by its name"))

    legal, definition, requirements, variants = [], None, [], []
    legal_lines = list(sec["body"]) if sec else []  # where the legal basis is printed
    def_line = sec["line"] if sec else None
    if sec is not None:
        body = sec["body"]
        vconf = VARIANTS.get(code, [])
        anchored = [v for v in vconf if v.get("anchor")]
        if anchored:
            cuts = sorted((find_anchor(body, v["anchor"]), v["code"]) for v in anchored)
            stops = [k for k, (_, raw) in enumerate(body) if any(st in raw for st in VARIANT_STOPS)]
            head = body[: cuts[0][0]]
            fields = parse_fields(head)
            vreqs = {}
            for n, (pos, vcode) in enumerate(cuts):
                nxt = cuts[n + 1][0] if n + 1 < len(cuts) else len(body)
                nxt = min([nxt] + [s for s in stops if pos < s < nxt])
                sub = parse_fields(body[pos + 1: nxt])
                vreqs[vcode] = sub
                fields["legal"] += [x for x in sub["legal"] if x not in fields["legal"]]
            if not fields["definition"]:
                # no general definition: use a kind's definition only if it defines the service
                own = [v for v in vreqs.values() if v["definition"] and similar(
                    v["definition"].split(" adalah ")[0], p7_name)]
                kinds = [v for v in vreqs.values() if v["definition"]]
                if own:
                    fields["definition"], fields["def_line"] = own[0]["definition"], own[0][
                        "def_line"]
                elif kinds:
                    defects.append(defect(
                        "definition", "missing_value", kinds[0]["def_line"],
                        "Lampiran I has no definition of the service itself, only of its kinds "
                        "(variants carry no definition in the catalog).",
                        "definition left null, decree uses the name only"))
            requirements = fields["req"]
        else:
            fields = parse_fields(body)
            vreqs = {}
            requirements = fields["req"]
        legal, definition, def_line = fields["legal"], fields["definition"], fields["def_line"]
        # STPW: the definition is glued to the legal basis line
        if legal and not definition:
            for k, item in enumerate(legal):
                m = re.match(r"^(.*?\bLampiran \d+)\.?\s+(\S.* adalah .*)$", item)
                if m:
                    legal[k], definition = m.group(1), m.group(2)
                    def_line = fields["legal_line"]
                    defects.append(defect("definition", "ocr_garbage", def_line,
                                          "The definition is printed inside the Dasar Hukum "
                                          "paragraph (no 'Definisi' heading).",
                                          "split off the legal basis"))
        variants = build_variants(code, vconf if sec else [], vreqs, requirements)
    # ---- SOP
    sop_name = conf.get("sop") or (
        "Pelayanan Pendampingan Perizinan Berusaha Online" if channel == "A" else p7_name
    )
    sop_hits = pick(sop_by_name, sop_name)
    sop = sop_hits[0] if sop_hits else None
    for dup in sop_hits[1:]:
        defects.append(defect("steps", "duplicated_section", dup["line"],
                              f"The SOP '{dup['name']}' ({dup['number']}) is printed a second "
                              f"time at line {dup['line']}, outside its sector, with the "
                              "SiCantik step table and a footnote with the times per kind.",
                              "first occurrence used for the steps; the footnote of the "
                              "second gives the variant times"))
    steps, sop_number, related = [], None, []
    if sop is None:
        defects.append(defect("steps", "missing_in_lampiran", entry["line"],
                              "Lampiran II has no SOP for this service.",
                              "SOP number, steps and standard time left empty"))
    else:
        sop_number = sop["number"]
        related = sop["related"]
        if not legal and sop["legal"] and not any(f["field"] == "legal_basis"
                                                 for f in FIXES.get(code, [])):
            legal = sop["legal"]
            legal_lines = [(k + 1, lines[k]) for k in range(*sop["body_range"])]
        steps = [dict(s) for s in sop["steps"]]
        steps = fix_steps(code, channel, sop, steps, templates, defects, lines)

    # ---- names and mismatches
    names = {"pasal7": p7_name,
             "lampiran1": clean(sec["heading"]) if sec else None,
             "sop": sop_base_name(sop["name"]) if sop else None}
    for src in ("lampiran1", "sop"):
        other = names[src]
        if other and norm_loose(other) != norm_loose(p7_name):
            line = sec["line"] if src == "lampiran1" else sop["line"]
            defects.append(defect(f"names.{src}", "name_mismatch", line,
                                  f"Pasal 7 names the service '{p7_name}', "
                                  f"{'Lampiran I' if src == 'lampiran1' else 'the SOP'} "
                                  f"'{other}'.",
                                  f"canonical name '{name}'"))

    if code == "IUTP":
        defects.append(defect(
            "variants", "missing_in_pasal7", entry["line"],
            "Pasal 7 lists three kinds of Izin Usaha Tanaman Pangan; Lampiran I and the SOP "
            "name four (also 'Izin Usaha Proses Produksi Tanaman Pangan').",
            "four variants, following the appendices"))
    if code == "IPLC":
        defects.append(defect(
            "variants", "name_mismatch", entry["line"],
            "Pasal 7 names the second kind 'Pembuangan Air Limbah Secara Aplikasi ke Tanah', "
            "Lampiran I 'Pemanfaatan Air Limbah Secara Aplikasi Ke Tanah'.",
            "variant named after Lampiran I (Permen LHK P.102/2018 wording)"))
    # ---- definitions
    definition = clean_definition(definition, def_line, defects)
    # ---- fixes table
    result = {
        "code": code, "kind": kind, "name": name, "names": names,
        "sector": entry["sector"], "channel": channel,
        "legal_basis": legal, "definition": definition, "requirements": requirements,
        "sop_number": sop_number, "related_sops": related, "steps": steps,
        "variants": variants, "defects": defects,
    }
    apply_fixes(result, def_line, sec, sop)
    normalise_legal(result, legal_lines)
    for v in result["variants"]:
        vname, notes = eyd_name(v["name"])
        if notes:
            anchor = next(x for x in VARIANTS[code] if x["code"] == v["code"]).get("anchor")
            vline = body[find_anchor(body, anchor)][0] if anchor and sec else entry["line"]
            result["defects"].append(defect(
                f"variants.{v['code']}.name", "spelling", vline,
                f"The source names the kind '{v['name']}': " + "; ".join(notes) + ".",
                f"kind named '{vname}'"))
            v["name"] = vname
    finish_variants(result, sop, lines)
    result["steps"] = [{"activity": s["activity"], "input": s["input"], "time": s["time"],
                        "output": s["output"]} for s in result["steps"]]
    result["standard_time"] = total_time(result["steps"])
    if kind == "non_permit":
        result["definition"] = result["definition"] if channel == "A" else None
    return result


def build_variants(code, vconf, vreqs, requirements):
    variants = []
    for v in vconf:
        if v.get("anchor"):
            req = vreqs[v["code"]]["req"]
        else:
            req = None  # filled in finish_variants (req_from / req_from_variant)
        variants.append({"code": v["code"], "name": v["name"], "requirements": req,
                         "standard_time": None})
    return variants


def fix_steps(code, channel, sop, steps, templates, defects, lines):
    tmpl = templates.get(channel)
    if steps and tmpl is None and all(s["time_cell"] is None for s in steps):
        defects.append(defect("standard_time", "missing_value", sop["line"],
                              "The SOP table lists the activities only; the Mutu Baku columns "
                              "(Kelengkapan, Waktu, Output) are empty.",
                              "step input/time/output and standard time left null"))
    if not steps:
        if tmpl is None:  # non-permit SOPs without any table
            return steps
        defects.append(defect("steps", "missing_table", sop["line"],
                              f"The SOP '{sop['name']}' has its header but no step table.",
                              "steps completed from the channel template "
                              f"({'OSS' if channel == 'B' else 'SiCantik'})"))
        steps = [dict(s, line=None, time_cell=None) for s in tmpl]
        step3 = steps[2]
        if code in MISSING_TABLE_TIME_FROM_SIBLINGS:
            siblings = MISSING_TABLE_TIME_FROM_SIBLINGS[code]
            days = int(re.search(r"(\d+) hari", siblings).group(1))
            step3["time"] = {"working_days": days, "minutes": 0}
            defects.append(defect("steps[3].time", "missing_table", sop["line"],
                                  "Technical review time unknown (table missing).",
                                  f"taken from the siblings: {siblings}"))
        else:
            step3["time"] = None
            defects.append(defect("standard_time", "missing_table", sop["line"],
                                  "Technical review time unknown (table missing) and the "
                                  "sibling SOPs do not agree on one value.",
                                  "step 3 time and standard time left null; the decree must "
                                  "not state a processing time"))
        return steps
    # shifted cell text: '... pemohon Memverifikasi dan Memaraf' + 'Persetujuan Izin'
    for a, b in zip(steps, steps[1:], strict=False):
        tail = " Memverifikasi dan Memaraf"
        if a["activity"].endswith(tail) and b["activity"] == "Persetujuan Izin":
            a["activity"] = a["activity"][: -len(tail)]
            b["activity"] = "Memverifikasi dan Memaraf Persetujuan Izin"
            defects.append(defect(f"steps[{b['no']}].activity", "ocr_garbage", b["line"],
                                  "Text of step 6 was shifted into the activity cell of step 5.",
                                  "text moved back to step 6"))
    # cut-off table: complete from the channel template
    numbers = [s["no"] for s in steps]
    if tmpl and len(steps) < len(tmpl) and numbers == list(range(1, len(steps) + 1)):
        last = steps[-1]["no"]
        added = [dict(s, line=None, time_cell=None) for s in tmpl[last:]]
        defects.append(defect("steps", "cut_off", steps[-1]["line"],
                              f"The step table stops after step {last} of {len(tmpl)}.",
                              f"steps {last + 1}-{len(tmpl)} completed from the channel "
                              "template"))
        steps = steps + added
    # empty / non-numeric time cells
    for s in steps:
        if s["time"] is not None or s.get("line") is None:
            continue
        cell = s["time_cell"]
        if s["no"] <= 3 and not cell and code not in ("LINFO", "LADU", "LKONS"):
            s["time"] = None
            defects.append(defect(f"steps[{s['no']}].time", "missing_value", s["line"],
                                  "The Waktu cell of the technical review step is empty.",
                                  "left null, standard time left null; the decree must not "
                                  "state a processing time"))
    return steps


def apply_fixes(result, def_line, sec, sop):
    for fx in FIXES.get(result["code"], []):
        field = fx["field"]
        line = None
        if field == "definition":
            line = def_line
        elif field in ("sop_number", "related_sops", "legal_basis") and sop:
            line = sop["line"]
        elif sec:
            line = sec["line"]
        if "replace" in fx:
            old, new = fx["replace"]
            assert result[field] and old in result[field], (result["code"], old)
            result[field] = result[field].replace(old, new, 1)
        elif "match" in fx:
            if field.startswith("variants."):
                vcode = field.split(".")[1]
                target = next(v for v in result["variants"] if v["code"] == vcode)["requirements"]
            else:
                target = result[field]
            k = next(i for i, r in enumerate(target) if r.startswith(fx["match"]))
            if fx.get("remove"):
                del target[k]
            else:
                target[k] = fx["set"]
        else:
            result[field] = fx["set"]
        result["defects"].append(defect(field, fx["kind"], line, fx["reason"], fx["action"]))


def finish_variants(result, sop, lines):
    if not result["variants"]:
        return
    base = total_time(result["steps"])
    if result["code"] == "IL":
        foot = None
        # the footnote sits in the duplicated IL SOP
        for k, s in enumerate(lines):
            if s.startswith("*") and "hari kerja (SPPL)" in s:
                foot = (k + 1, s)
        assert foot, "Izin Lingkungan footnote not found"
        times = {label.strip(): int(days) for days, label in IL_FOOTNOTE_RE.findall(foot[1])}
        step3 = result["steps"][2]
        other = {
            "working_days": base["working_days"] - step3["time"]["working_days"],
            "minutes": base["minutes"] - step3["time"]["minutes"],
        }
        for v in result["variants"]:
            vc = next(x for x in VARIANTS["IL"] if x["code"] == v["code"])
            days = times[vc["footnote"]]
            v["standard_time"] = {"working_days": other["working_days"] + days,
                                  "minutes": other["minutes"]}
        result["defects"].append(defect(
            "variants", "ambiguous_value", foot[0],
            "The technical review time of Izin Lingkungan depends on the document: the SOP "
            "gives '14-180 hari' and, in its duplicate, '*' with the footnote '" +
            clean(foot[1]).lstrip("*") + "'.",
            "one variant per document kind with the footnote time in step 3; the service "
            "total uses the upper bound (AMDAL A)"))
        # the service itself keeps the upper bound (AMDAL A) in step 3
        step3["time"] = {"working_days": max(times.values()), "minutes": 0}
    else:
        for v in result["variants"]:
            v["standard_time"] = base
    for v in result["variants"]:
        vc = next(x for x in VARIANTS[result["code"]] if x["code"] == v["code"])
        if v["requirements"] is None and "req_from_variant" in vc:
            src = next(x for x in result["variants"] if x["code"] == vc["req_from_variant"])
            v["requirements"] = list(src["requirements"])
    for v in result["variants"]:
        if v["requirements"] is None:
            v["requirements"] = []  # filled from another service in post-processing


def common_requirements(result):
    """Service-level requirements of a service with kinds: those every kind asks for."""
    own = {v["code"] for v in VARIANTS.get(result["code"], []) if v.get("anchor")}
    lists = [v["requirements"] for v in result["variants"] if v["code"] in own]
    if result["requirements"] or not lists:
        return
    keys = [set(norm(r) for r in lst) for lst in lists]
    result["requirements"] = [r for r in lists[0] if all(norm(r) in k for k in keys)]


def post_process(catalog):
    by_code = {s["code"]: s for s in catalog["services"]}
    for s in catalog["services"]:
        for v in s["variants"]:
            vc = next(x for x in VARIANTS[s["code"]] if x["code"] == v["code"])
            if "req_from" in vc and not v["requirements"]:
                v["requirements"] = list(by_code[vc["req_from"]]["requirements"])
        common_requirements(s)
        s["defects"].sort(key=lambda d: (d["field"], d["kind"], d["source_line"] or 0))
    # post-process line numbers for the IUTP/IPLC defects: use the Pasal 7 line
    return catalog


def main(argv: list[str]) -> int:
    text = SOURCE.read_text(encoding="utf-8")
    lines = text.split("\n")
    catalog = post_process(build(lines))
    out = json.dumps(catalog, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != out:
            print("templates/catalog.json is out of date; run scripts/extract_catalog.py")
            return 1
        return 0
    OUTPUT.write_text(out, encoding="utf-8")
    n = len(catalog["services"])
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {n} services")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
