"""The back office on the web: the SOP's steps from approved application to signed decree.

Back office uploads and drafts, the Kasi and the Kabid initial, the Kepala Dinas signs with one
PIN entry, the back office hands the decree over; a status board shows every application's step
against its standard time. Pages are in Bahasa Indonesia, under ``/kantor``.

    >>> app = create_portal_app(...)        # the host app (the public portal)
    >>> mount_office(app, profile=profile, registry_factory=factory, catalog=catalog,
    ...              data_dir=profile.storage.data_dir / "kantor")
"""

from .app import Office, create_office_app, mount_office
from .auth import ROLES, AccountError, authenticate, create_user, hash_password, verify_password
from .store import OfficeStore

__all__ = [
    "ROLES",
    "AccountError",
    "Office",
    "OfficeStore",
    "authenticate",
    "create_office_app",
    "create_user",
    "hash_password",
    "mount_office",
    "verify_password",
]
