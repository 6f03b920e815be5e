"""paperfeed: a self-hosted research-paper discovery engine."""

from importlib.metadata import version

# The one version: pyproject.toml's, as installed (the CLI's --version, the API schema, the User-Agent).
__version__ = version("paperfeed")
