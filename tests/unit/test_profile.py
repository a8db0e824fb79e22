import pytest

from ptsp.errors import ProfileError
from ptsp.profile import DEFAULT_PROFILE, load_profile
from tests.ptsp_support import write_profile


def test_default_profile_loads():
    p = load_profile(DEFAULT_PROFILE)
    assert p.office.city_of_issue == "Paringin"
    assert p.office.emblem is not None and p.office.emblem.exists()
    assert p.authority.delegations
    assert "{seq}" in p.numbering.pattern


def test_unknown_key_is_named(tmp_path):
    text = DEFAULT_PROFILE.read_text().replace("[office]\n", "[office]\nregnecy = \"x\"\n")
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match="regnecy"):
        load_profile(path)


def test_unknown_table_is_named(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(DEFAULT_PROFILE.read_text() + "\n[signatur]\nlevel = \"B-T\"\n")
    with pytest.raises(ProfileError, match="signatur"):
        load_profile(path)


def test_bad_values(tmp_path):
    for old, new, what in [
        ('acting = ""', 'acting = "Pj."', "acting"),
        ('level = "B-LTA"', 'level = "B-XL"', "level"),
        ('scope = "office_year"', 'scope = "forever"', "scope"),
    ]:
        path = tmp_path / "p.toml"
        path.write_text(DEFAULT_PROFILE.read_text().replace(old, new, 1))
        with pytest.raises(ProfileError, match=what):
            load_profile(path)


def test_authority_models(tmp_path):
    own = load_profile(write_profile(tmp_path))
    assert own.signature_block()["on_behalf"] == ""
    assert own.render_context()["decree_issuer"].startswith("Keputusan Kepala Dinas")
    mandat = load_profile(write_profile(tmp_path, model="mandat", acting="Plt."))
    block = mandat.signature_block()
    assert block["on_behalf"] == "a.n. BUPATI BALANGAN"
    assert block["title_line"].startswith("Plt. KEPALA DINAS")
    cites = mandat.office_grounds()
    assert any("Nomor 7 Tahun 2021 tentang Pendelegasian" in c for c in cites)
