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


def describe(e: BaseException) -> str:
    """What people read about an error in a report or on a page: its message, never its
    Python type name. An exception that is none of ours is logged with its traceback (the
    administrator finds the type there) and described as unexpected."""
    from generator.errors import GeneratorError
    from signer.errors import SignerError

    from .registry.errors import RegistryError

    text = str(e).strip()
    if isinstance(e, (PtspError, GeneratorError, SignerError, RegistryError)) and text:
        return text
    import logging

    logging.getLogger("ptsp").warning("unexpected error: %r", e, exc_info=e)
    return f"unexpected error: {text}" if text else "unexpected error (details in the log)"
