"""Slimming a DOCX package for conversion: what LibreOffice would read and then never use.

A template saved by Word, LibreOffice or python-docx carries every built-in style (python-docx's
default: 164 styles and 137 latent-style entries, 350 kB of ``styles.xml``), a second copy of them
for Word 2010 (``stylesWithEffects.xml``) and a thumbnail. LibreOffice creates a style object for
every style it reads, used or not; on a two-page decree that was a third of the conversion CPU
(measured: about 105 -> 70 ms per document, with pixel-identical pages).

:func:`slim_parts` keeps every style the package refers to (paragraph, run, table and numbering
references in any part, the defaults, and everything those are based on, linked to or followed
by) and drops the rest, the latent styles, ``stylesWithEffects.xml`` and the thumbnail. What
prints does not change. The templates are built slim; the renderer slims again when it prepares a
template, so a template an office edits in Word costs no more to convert than a built one.
A style named only by the data at render time (docxtpl ``RichText(style=...)``) is not seen:
refer to it somewhere in the template too.
"""

from __future__ import annotations

import re

__all__ = ["slim_parts"]

_STYLE = re.compile(r"<w:style\b[^>]*?(?:/>|>.*?</w:style>)", re.S)
_STYLE_ID = re.compile(r'w:styleId="([^"]+)"')
_LATENT = re.compile(r"<w:latentStyles\b[^>]*?(?:/>|>.*?</w:latentStyles>)", re.S)
#: References to a style from a part (document, headers, footers, numbering, ...).
_REFS = re.compile(
    r'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink)\b[^>]*\bw:val="([^"]+)"')
#: References from one style to another.
_STYLE_REFS = re.compile(r'<w:(?:basedOn|link|next)\b[^>]*\bw:val="([^"]+)"')

_STYLES = "word/styles.xml"
_DROPPED = {
    # Word 2010's copy of styles.xml; LibreOffice and Word 2013+ ignore it.
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
}
_REL = re.compile(r"<Relationship\b[^>]*?/>", re.S)


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def _resolve(base: str, target: str) -> str:
    """A relationship target relative to the folder of the part the rels belong to."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in base.split("/") if p][:-1] + target.split("/")
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p not in ("", "."):
            out.append(p)
    return "/".join(out)


def _drop_unused_parts(parts: dict[str, bytes]) -> dict[str, bytes]:
    gone: set[str] = set()
    out = dict(parts)
    for rels_name in [n for n in parts if n.endswith(".rels")]:
        folder = rels_name[: -len(".rels")].replace("_rels/", "")  # "word/document.xml" or ""
        xml = parts[rels_name].decode("utf-8")
        kept = xml
        for rel in _REL.findall(xml):
            if _attr(rel, "Type") in _DROPPED and _attr(rel, "TargetMode") != "External":
                kept = kept.replace(rel, "")
                gone.add(_resolve(folder or "/", _attr(rel, "Target") or ""))
        if kept != xml:
            out[rels_name] = kept.encode("utf-8")
    if not gone:
        return parts
    for name in gone:
        out.pop(name, None)
    ct = out.get("[Content_Types].xml")
    if ct is not None:
        xml = ct.decode("utf-8")
        for name in gone:
            xml = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(name)}"[^>]*/>', "", xml)
        out["[Content_Types].xml"] = xml.encode("utf-8")
    return out


def _slim_styles(parts: dict[str, bytes]) -> dict[str, bytes]:
    raw = parts.get(_STYLES)
    if raw is None:
        return parts
    xml = raw.decode("utf-8")
    styles = _STYLE.findall(xml)
    by_id: dict[str, str] = {}
    for s in styles:
        m = _STYLE_ID.search(s[: s.find(">") + 1])
        if m:
            by_id[m.group(1)] = s
    used: set[str] = set()
    for name, data in parts.items():
        if name != _STYLES and name.endswith(".xml"):
            used.update(_REFS.findall(data.decode("utf-8", "replace")))
    used.update(k for k, s in by_id.items() if 'w:default="1"' in s[: s.find(">") + 1])
    todo = list(used)
    while todo:
        s = by_id.get(todo.pop())
        if s is None:
            continue
        for ref in _STYLE_REFS.findall(s):
            if ref not in used:
                used.add(ref)
                todo.append(ref)
    keep_ids = {k for k in by_id if k in used}
    if len(keep_ids) == len(by_id) and not _LATENT.search(xml):
        return parts

    def keep(m: re.Match[str]) -> str:
        id_ = _STYLE_ID.search(m.group(0)[: m.group(0).find(">") + 1])
        return m.group(0) if id_ is None or id_.group(1) in keep_ids else ""

    slim = _LATENT.sub("", _STYLE.sub(keep, xml))
    out = dict(parts)
    out[_STYLES] = slim.encode("utf-8")
    return out


def slim_parts(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The package's parts (name -> bytes, in order) without what LibreOffice would not use."""
    return _slim_styles(_drop_unused_parts(parts))
