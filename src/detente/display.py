"""Notebook display: ``_repr_html_`` on result objects, rendered by ``detente.report``.

Jupyter shows an object's ``_repr_html_()`` when it has one. The result objects live in the
lower layers (analysis, durability, negotiation, forecast, brief), their HTML reports in
``detente.report``, which a lower layer never imports. So the result classes inherit
:class:`HTMLRepr`, whose ``_repr_html_`` asks this registry; ``detente.report.notebook``
registers a renderer for each class with :func:`register_html` when it is imported, which
:func:`html_of` does the first time it is needed, as a plugin is loaded by name. Without the
``report`` extra (plotly) there is no HTML and the notebook shows the plain ``repr``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["RENDERER_MODULE", "HTMLRepr", "html_of", "register_html"]

#: The module whose import registers every renderer.
RENDERER_MODULE = "detente.report.notebook"

_RENDERERS: dict[type, Callable[[Any], str]] = {}
_STATE = {"loaded": False}


def register_html(cls: type) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Decorate the function that renders ``cls`` (and its subclasses) as HTML."""

    def decorate(render: Callable[[Any], str]) -> Callable[[Any], str]:
        _RENDERERS[cls] = render
        return render

    return decorate


def html_of(obj: object) -> str | None:
    """``obj`` as an HTML fragment for a notebook, or ``None`` when no renderer can draw it."""
    if not _STATE["loaded"]:
        try:
            importlib.import_module(RENDERER_MODULE)
        except ImportError:  # the 'report' extra is not installed
            return None
        _STATE["loaded"] = True
    for klass in type(obj).__mro__:
        render = _RENDERERS.get(klass)
        if render is not None:
            try:
                return render(obj)
            except ImportError:  # plotly, which draws the plots, is not installed
                return None
    return None


class HTMLRepr:
    """Adds ``_repr_html_`` (Jupyter's rich display) to a result class."""

    __slots__ = ()

    def _repr_html_(self) -> str | None:
        """The object's HTML report as a notebook fragment (``None``: plain ``repr``)."""
        return html_of(self)
