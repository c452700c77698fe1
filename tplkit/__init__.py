"""tplkit: multilingual customer-service email templates, compiled once and rendered fast.

>>> import tplkit
>>> kit = tplkit.Kit()
>>> email = kit.render("acknowledgement", kit.template("acknowledgement").sample_for("uk"), locale="uk-UA")
"""
from .errors import (
    CatalogError,
    ConfigError,
    FileOutsideProject,
    HeaderError,
    LinkError,
    LinkExpiredError,
    LinkSignatureError,
    LocaleWarning,
    MjmlError,
    PlaceholderError,
    Problem,
    SecurityError,
    TemplateNotFound,
    TemplateSourceError,
    TomlError,
    TplkitError,
)
from .kit import Kit
from .render import RenderedEmail
from .schema import Money, Placeholder

__all__ = ["Kit", "RenderedEmail", "Placeholder", "Money", "Problem", "TplkitError",
           "PlaceholderError", "TemplateNotFound", "TemplateSourceError", "SecurityError",
           "FileOutsideProject", "CatalogError", "ConfigError", "HeaderError", "LocaleWarning",
           "MjmlError", "TomlError", "LinkError", "LinkSignatureError", "LinkExpiredError"]
from .version import __version__ as __version__
