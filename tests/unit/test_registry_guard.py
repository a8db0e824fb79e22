"""ptsp.registry.engine.guard: a database error becomes a StorageError whose message people may
read (the office's revoke page shows it): the database's words, never a Python type name."""

import pytest
from sqlalchemy import exc

from ptsp.registry import engine as db
from ptsp.registry.errors import StorageError


class Silent(Exception):
    """A driver exception without any message."""


@pytest.mark.parametrize(("error", "expected"), [
    (exc.OperationalError("SELECT 1", {}, Exception("database is locked")),
     "reading: database unavailable or locked (database is locked)"),
    (exc.OperationalError("SELECT 1", {}, Silent()),
     "reading: database unavailable or locked (no message from the database)"),
    (exc.IntegrityError("INSERT", {}, Silent()),
     "reading: the database refused the write (no message from the database)"),
])
def test_database_errors_read_without_type_names(error, expected):
    with pytest.raises(StorageError) as e, db.guard("reading"):
        raise error
    assert str(e.value) == expected
    assert "Silent" not in str(e.value) and "Error" not in str(e.value)
