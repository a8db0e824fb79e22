"""Exceptions of the generator library.

    GeneratorError
     +-- CatalogError        the permit catalog or a template is missing or malformed
     +-- InputError          an input file cannot be read at all (one bad record: RecordError)
     +-- RenderError         a DOCX template failed to render
     +-- ConversionError     LibreOffice failed, timed out or is not installed
"""


class GeneratorError(Exception):
    """Root of every error raised by ``generator``; the message says what to do."""


class CatalogError(GeneratorError):
    pass


class InputError(GeneratorError):
    """An input file cannot be read; ``code`` and ``params`` say why, for messages in other
    languages (``not_utf8``, ``empty``, ``invalid_json``, ``too_deep``, ``not_a_list``,
    ``bad_csv``, ``unknown_format``, ``unreadable``, ``not_xlsx``, ``no_sheet``, ``no_header``)."""

    def __init__(self, message: str, code: str = "unreadable", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class RenderError(GeneratorError):
    pass


class ConversionError(GeneratorError):
    pass
