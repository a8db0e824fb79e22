"""ptsp: the application. Office profile, registry, pipeline, CLI and web portal."""

__version__ = "0.1.0"
