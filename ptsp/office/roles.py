"""The office's roles (account kinds) and ``SYSTEM``, the office's own background work."""

BACKOFFICE, KASI, KABID, KADIS, ADMIN = "backoffice", "kasi", "kabid", "kadis", "admin"
#: The office itself: background jobs and recovery after a restart (never an account's role).
SYSTEM = "system"
