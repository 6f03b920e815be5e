"""paperfeed's error classes, shaped like HTTP errors so the web layer and the CLI map them in one place."""


class PaperfeedError(Exception):
    """Base class: a problem the user can act on, reported as one line."""

    status_code = 500


class InvalidInput(PaperfeedError):
    """The caller gave something paperfeed cannot use (bad id, bad file, bad query)."""

    status_code = 400


class NotFound(PaperfeedError):
    status_code = 404


class Forbidden(PaperfeedError):
    status_code = 403


class SourceError(PaperfeedError):
    """A remote source or input file could not be read or understood."""

    status_code = 502


class InvalidRecord(ValueError):
    """One record of a batch is unusable; the ingest logs the reason and skips it."""
