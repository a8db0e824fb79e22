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
    pass


class RenderError(GeneratorError):
    pass


class ConversionError(GeneratorError):
    pass
