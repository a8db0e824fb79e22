"""ptsp.conversion.libreoffice_pool: the one place the application builds its LibreOffice
pool (nothing starts until a conversion or ``start``)."""

from generator.convert import LibreOfficePool, PoolSettings
from ptsp.conversion import libreoffice_pool


def test_the_pool_the_application_uses(tmp_path):
    events = []
    with libreoffice_pool(tmp_path, size=1, on_event=events.append) as pool:
        assert isinstance(pool, LibreOfficePool)
        assert pool.settings.size == 1 and pool.workdir == tmp_path / "lo"
    with libreoffice_pool(tmp_path) as pool:
        assert pool.settings.size == PoolSettings().size
