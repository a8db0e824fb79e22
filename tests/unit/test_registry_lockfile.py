"""The SQLite writers' lock file: a lock file that cannot be opened is a StorageError naming
the action, not a bare OSError (issue 18)."""

import pytest

from ptsp.registry import engine as db
from ptsp.registry import open_registry
from ptsp.registry.errors import RegistryError, StorageError


def test_an_unopenable_lock_file_is_a_storage_error(tmp_path):
    reg = open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        lock = tmp_path / "r.db.lock"
        lock.unlink(missing_ok=True)
        lock.mkdir()  # a directory where the lock file should be: os.open fails (EISDIR)
        with pytest.raises(StorageError, match="adding a test row: cannot open the lock file") \
                as e, db.write(reg.engine, "adding a test row"):
            pass
        assert isinstance(e.value, RegistryError) and isinstance(e.value.__cause__, OSError)
    finally:
        reg.close()
