"""How catalog entries are shown: JSON for tools, a checklist for the front office."""

from __future__ import annotations

from typing import Any

from generator.catalog import Service, StandardTime


def _time(t: StandardTime | None) -> dict[str, int] | None:
    return t.as_dict() if t else None


def service_dict(s: Service, *, full: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "code": s.code, "name": s.name, "kind": s.kind, "channel": s.channel,
        "sector": s.sector, "sop_number": s.sop_number, "standard_time": _time(s.standard_time),
        "requirements": list(s.requirements), "legal_basis": list(s.legal_basis),
        "template": f"templates/{s.template}" if s.template else None,
        "variants": [{"code": v.code, "name": v.name, "standard_time": _time(v.standard_time),
                      "requirements": list(v.requirements)} for v in s.variants],
    }
    if full:
        d.update(
            names=dict(s.names), definition=s.definition, related_sops=list(s.related_sops),
            steps=[{"activity": st.activity, "input": st.input, "time": _time(st.time),
                    "output": st.output} for st in s.steps],
            fields=[{"name": f.name, "label": f.label, "type": f.type, "required": f.required,
                     "choices": list(f.choices)} for f in (s.decree.fields if s.decree else ())],
            defects=[dict(x) for x in s.defects],
        )
    return d


def service_text(s: Service) -> str:
    lines = [f"{s.name} [{s.code}]", f"Sektor: {s.sector} · Jalur: {s.channel} · "
             f"Nomor SOP: {s.sop_number or '-'}",
             f"Waktu penyelesaian: {s.standard_time.describe() if s.standard_time else '-'}"]
    if s.definition:
        lines += ["", "Pengertian:", f"  {s.definition}"]
    if s.legal_basis:
        lines += ["", "Dasar hukum:"] + [f"  {i}. {b}" for i, b in enumerate(s.legal_basis, 1)]
    lines += ["", "Persyaratan (daftar periksa):"]
    lines += [f"  [ ] {r}" for r in s.requirements] or ["  -"]
    for v in s.variants:
        t = v.standard_time.describe() if v.standard_time else "-"
        lines += ["", f"Jenis {v.name} [{v.code}] — {t}"]
        lines += [f"  [ ] {r}" for r in v.requirements]
    if s.steps:
        lines += ["", "Alur SOP:"]
        for i, st in enumerate(s.steps, 1):
            t = st.time.describe() if st.time else "-"
            lines.append(f"  {i}. {st.activity} ({t})")
            if st.input:
                lines.append(f"     Kelengkapan: {st.input}")
            if st.output:
                lines.append(f"     Keluaran: {st.output}")
    if s.defects:
        lines += ["", f"Catatan sumber: {len(s.defects)} perbaikan atas teks Perbup (lihat --json)"]
    return "\n".join(lines)
