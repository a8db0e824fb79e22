"""The catalog and profile loaders wrap every read or shape error, not only a missing file
(issue 18)."""

import pytest

from generator.catalog import load_catalog
from generator.errors import CatalogError
from ptsp.errors import ProfileError
from ptsp.profile import load_profile


def test_a_catalog_of_the_wrong_shape(tmp_path):
    (tmp_path / "catalog.json").write_text('{"services": [{"name": "tanpa kode"}]}')
    with pytest.raises(CatalogError, match="malformed catalog"):
        load_catalog(tmp_path)


def test_a_catalog_that_cannot_be_read(tmp_path):
    (tmp_path / "catalog.json").mkdir()
    with pytest.raises(CatalogError, match="cannot read the catalog"):
        load_catalog(tmp_path)
    other = tmp_path / "b"
    other.mkdir()
    (other / "catalog.json").write_bytes(b'{"services": ["\xff"]}')
    with pytest.raises(CatalogError):
        load_catalog(other)


def test_a_profile_that_cannot_be_read(tmp_path):
    with pytest.raises(ProfileError, match="cannot read the office profile"):
        load_profile(tmp_path)  # a directory
    latin = tmp_path / "p.toml"
    latin.write_bytes(b'[office]\nname = "Dinas \xe9"\n')
    with pytest.raises(ProfileError, match="malformed office profile"):
        load_profile(latin)
