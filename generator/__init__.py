"""generator: the permit catalog, application validation, DOCX rendering and DOCX -> PDF conversion.

Knows nothing of keys, signing, the registry, click or the web.
"""
