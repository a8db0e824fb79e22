import io
import zipfile
from datetime import date

import pytest

from generator.applications import RecordRef, validate_record
from generator.catalog import load_catalog
from generator.errors import RenderError
from generator.render import DecreeRenderer, RenderInput, docx_text, find_leftover_markup
from ptsp.profile import load_profile
from ptsp.samples import sample_application


@pytest.fixture(scope="module")
def setup():
    profile = load_profile()
    catalog = load_catalog()
    renderer = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem)
    return profile, catalog, renderer


def render(setup, code="SIPB", **changes):
    profile, catalog, renderer = setup
    raw = sample_application(catalog.get(code), 3)
    for path, value in changes.items():
        group, key = path.split(".")
        raw[group][key] = value
    app = validate_record(raw, RecordRef("t", 1), catalog)
    inp = RenderInput("503/0042/SIPB/DPMPTSP-BLG/III/2021", "https://verif.example/v/tok",
                      date(2021, 3, 10))
    return renderer.render(catalog.get(code), app, inp), app


def test_decree_text(setup):
    data, app = render(setup)
    text = docx_text(data)
    assert "NOMOR 503/0042/SIPB/DPMPTSP-BLG/III/2021" in text
    assert "pada tanggal 10 Maret 2021" in text
    assert "PEMBERIAN SURAT IZIN PRAKTIK BIDAN" in text
    assert "DENGAN RAHMAT TUHAN YANG MAHA ESA" in text
    assert "MEMUTUSKAN:" in text and "KESATU" in text and "KEDUA" in text
    assert app.applicant["name"] in text
    assert "Ditetapkan di Paringin" in text
    assert "Pembentukan Kabupaten Tanah Bumbu dan Kabupaten Balangan" in text
    assert "Pendelegasian Kewenangan" in text
    assert find_leftover_markup(data) is None


def test_values_print_literally(setup):
    data, _ = render(setup, **{"applicant.name": "Hj. Siti Nur'aini",
                               "fields.practice_name": "PT Maju & Jaya <Baru>"})
    text = docx_text(data)
    assert "Hj. Siti Nur'aini" in text
    assert "PT Maju & Jaya <Baru>" in text
    # and the XML stays well-formed: escaped, not injected
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert b"PT Maju &amp; Jaya &lt;Baru&gt;" in xml


def test_template_markup_in_values_is_refused(setup):
    profile, catalog, _ = setup
    raw = sample_application(catalog.get("SIPB"), 1)
    raw["fields"]["practice_name"] = "{{ signer.nip }}"
    res = validate_record(raw, RecordRef("t", 4), catalog)
    assert [e.field for e in res.errors] == ["fields.practice_name"]


def test_f4_page_and_qr(setup):
    data, _ = render(setup)
    z = zipfile.ZipFile(io.BytesIO(data))
    xml = z.read("word/document.xml").decode()
    # 215 x 330 mm in twentieths of a point
    assert 'w:w="12189"' in xml and 'w:h="18709"' in xml
    assert sum(n.startswith("word/media/") for n in z.namelist()) == 2  # emblem + QR


def test_leftover_markup_is_caught():
    import docx

    d = docx.Document()
    d.add_paragraph("Nomor {{ number }}")
    buf = io.BytesIO()
    d.save(buf)
    assert find_leftover_markup(buf.getvalue())


def test_missing_context_is_an_error(setup):
    profile, catalog, _ = setup
    ctx = profile.render_context()
    del ctx["signer"]
    renderer = DecreeRenderer(ctx, emblem=profile.office.emblem)
    raw = sample_application(catalog.get("SIPB"), 1)
    app = validate_record(raw, RecordRef("t", 1), catalog)
    with pytest.raises(RenderError, match="signer"):
        renderer.render(catalog.get("SIPB"), app, RenderInput("1", "u", date(2021, 1, 1)))


def test_fast_path_matches_docxtpl(setup, tmp_path):
    """The compiled fast path and plain docxtpl render the same text and pictures."""
    from generator.build_templates import build_document
    from generator.render import CompiledTemplate

    profile, catalog, _ = setup
    service = catalog.get("IREK")
    (tmp_path / "permits").mkdir()
    (tmp_path / "permits" / "IREK.docx").write_bytes(build_document(service))
    renderer = DecreeRenderer(profile.render_context(), templates_dir=tmp_path,
                              emblem=profile.office.emblem)
    raw = sample_application(service, 5)
    raw["applicant"]["address"] = "Jl. Satu\nRT 02 & RW <03>"
    app = validate_record(raw, RecordRef("t", 1), catalog)
    inp = RenderInput("503/0007/IREK/DPMPTSP-BLG/XI/2026", "https://v.example/v/t0k3n",
                      date(2026, 11, 27))
    fast = renderer.render(service, app, inp)
    assert isinstance(renderer._cache[str(tmp_path / "permits" / "IREK.docx")], CompiledTemplate)
    from generator.render import qr_png

    props = {"title": "t", "subject": "s", "keywords": "k"}
    slow = renderer._render_docxtpl(renderer.context(service, app, inp), qr_png(inp.verify_url),
                                    props, tmp_path / "permits" / "IREK.docx")
    assert docx_text(fast) == docx_text(slow)
    assert "RT 02 & RW <03>" in docx_text(fast)
    z = zipfile.ZipFile(io.BytesIO(fast))
    media = {n: z.read(n) for n in z.namelist() if n.startswith("word/media/")}
    from generator.render import qr_png

    assert qr_png(inp.verify_url) in media.values()
    assert profile.office.emblem.read_bytes() in media.values()
    core = z.read("docProps/core.xml").decode()
    assert "nomor=503/0007/IREK/DPMPTSP-BLG/XI/2026" in core


def test_qr_png_matches_segno():
    import segno
    from PIL import Image

    from generator.render import qr_png

    url = "https://verif.example/v/AbC123_-xyz"
    ours = Image.open(io.BytesIO(qr_png(url))).convert("L")
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False, mask=0).save(buf, kind="png", scale=8, border=2)
    ref = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    assert ours.size == ref.size
    assert ours.tobytes() == ref.tobytes()


def test_template_cache_gives_the_same_decree(setup, tmp_path):
    profile, catalog, _ = setup
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, 2), RecordRef("t", 1), catalog)
    inp = RenderInput("503/0009/SIPB/DPMPTSP-BLG/XI/2026", "https://v.example/v/x",
                      date(2026, 11, 27))
    plain = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem)
    texts = [docx_text(plain.render(service, app, inp))]
    for _ in range(2):  # cold cache, then warm cache in a new renderer
        cached = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem,
                                cache_dir=tmp_path)
        texts.append(docx_text(cached.render(service, app, inp)))
    assert texts[0] == texts[1] == texts[2]
    assert list(tmp_path.glob("patched-*.json")) and list(tmp_path.glob("__jinja2_*"))


def test_parallel_first_renders_share_one_compilation(setup, tmp_path):
    """Worker threads rendering the same new template at once: no clash in the cache."""
    from concurrent.futures import ThreadPoolExecutor

    profile, catalog, _ = setup
    service = catalog.get("ITO")
    app = validate_record(sample_application(service, 4), RecordRef("t", 1), catalog)
    inp = RenderInput("503/0010/ITO/DPMPTSP-BLG/XI/2026", "https://v.example/v/y",
                      date(2026, 11, 27))
    renderer = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem,
                              cache_dir=tmp_path)
    with ThreadPoolExecutor(6) as ex:
        texts = list(ex.map(lambda _: docx_text(renderer.render(service, app, inp)), range(12)))
    assert len(set(texts)) == 1
    assert not list(tmp_path.glob("*.tmp"))
