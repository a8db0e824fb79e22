"""Field problems in Bahasa Indonesia, for the office pages.

:mod:`generator.applications` says what is wrong with a field in English (for the CLI and logs)
and with a stable code and its parameters; the office pages say it in Indonesian from here. A
code not in :data:`PESAN` falls back to the English message (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.applications import FieldError
from generator.errors import InputError

PESAN: Mapping[str, str] = {
    "not_date": "bukan tanggal: {value} (tulis TTTT-BB-HH, misalnya 2026-11-28)",
    "not_yes_no": "harus ya atau tidak, bukan {value}",
    "not_integer": "bukan bilangan bulat: {value}",
    "not_number": "bukan angka: {value}",
    "negative": "tidak boleh negatif",
    "empty": "kosong",
    "too_long": "lebih dari {max} karakter",
    "control_characters": "mengandung karakter kendali",
    "template_markup": "mengandung tanda templat ({{{{ atau {{%)",
    "not_a_choice": "{value} bukan salah satu dari: {choices}",
    "bad_nik": "NIK {value} tidak sah (16 angka dengan kode wilayah dan tanggal lahir)",
    "bad_npwp": "NPWP {value} tidak sah",
    "bad_nib": "NIB harus 13 angka, bukan {value}",
    "bad_kbli": "KBLI harus 5 angka, bukan {value}",
    "bad_phone": "bukan nomor telepon: {value}",
    "bad_email": "bukan alamat surel: {value}",
    "bad_form": "{value} tidak sesuai bentuk yang diminta",
    "not_an_object": "harus berupa kelompok isian, bukan satu nilai",
    "unknown_field": "kolom tidak dikenal",
    "missing": "wajib diisi",
    "missing_field": "wajib diisi ({label})",
    "bad_identifier": "nomor permohonan tidak sah: {value} (huruf, angka, titik, garis bawah, "
                      "garis miring atau tanda hubung; paling banyak 64)",
    "unknown_permit": "kode izin tidak dikenal: {value}",
    "no_decree": "layanan {value} tidak menghasilkan surat keputusan dinas ini",
    "after_approval": "tanggalnya sesudah tanggal persetujuan (approved_on)",
    "missing_variant": "wajib diisi; salah satu dari: {choices}",
    "unknown_variant": "varian {value} tidak dikenal untuk izin {permit}",
    "missing_recommendation": "wajib diisi: izin ini memerlukan rekomendasi teknis (nomor, "
                              "tanggal, instansi)",
    "invalid_json": "baris ini bukan JSON yang sah (kesalahan di kolom {column})",
    "extra_cells": "baris ini berisi lebih banyak sel daripada kolom judul",
    "column_clash": "kolom {column} bertabrakan dengan kolom lain (nama kolom sama dengan "
                    "awalan kolom lain)",
    "duplicate": "nomor permohonan yang sama sudah ada di baris {record} berkas {file}",
    "markup": "memuat kode HTML/markup ({value}); tulis teks biasa saja",
    "undrawable_characters": "memuat huruf yang tidak dapat dicetak oleh huruf (font) surat "
                             "keputusan: {chars}",
}


def pesan(error: FieldError) -> str:
    """The problem in Bahasa Indonesia (the English message if there is no translation)."""
    template = PESAN.get(error.code)
    if template is None:
        return error.message
    try:
        return template.format(**error.params)
    except (KeyError, IndexError, ValueError):
        return error.message


#: Why a whole uploaded file cannot be read (:class:`generator.errors.InputError` codes).
BERKAS: Mapping[str, str] = {
    "not_utf8": "berkas bukan teks UTF-8 (bita ke-{byte}); simpan ulang sebagai CSV UTF-8",
    "no_header": "baris pertama harus berisi nama kolom",
    "invalid_json": "bukan JSON yang sah (kesalahan di baris {line})",
    "too_deep": "struktur JSON terlalu dalam bersarang",
    "not_a_list": "JSON harus berupa daftar (array) permohonan",
    "bad_csv": "baris {line} CSV tidak dapat dibaca (sel terlalu panjang atau tanda kutip "
               "tidak ditutup)",
    "unknown_format": "jenis berkas tidak dikenal: unggah berkas CSV, JSON, JSONL atau XLSX",
    "not_xlsx": "bukan buku kerja Excel (.xlsx) yang dapat dibaca",
    "no_sheet": "buku kerja tidak berisi lembar kerja",
}


def pesan_berkas(error: InputError) -> str:
    """Why the file cannot be read, in Bahasa Indonesia (never the English message)."""
    template = BERKAS.get(getattr(error, "code", ""), "isinya tidak dapat dikenali")
    try:
        return template.format(**getattr(error, "params", {}))
    except (KeyError, IndexError, ValueError):
        return "isinya tidak dapat dikenali"
