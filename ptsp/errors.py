"""Exceptions of the application layer.

    PtspError
     +-- ProfileError     the office profile is missing, malformed or has unknown keys
     +-- PipelineError    a batch could not run at all (not one bad record: those are reported)

Library errors (``generator.errors.GeneratorError``, ``signer.errors.SignerError``) and
``ptsp.registry.errors.RegistryError`` reach the CLI too; it turns each into one line on stderr.
"""


class PtspError(Exception):
    """Root of the application's errors; the message says what to do."""


class ProfileError(PtspError):
    pass


class PipelineError(PtspError):
    pass
