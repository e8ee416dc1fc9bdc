"""Panels of the enterprise page ("the overall picture"), contributed by other apps.

The enterprise page sits in the lowest business app, yet it shows what higher
apps know: trade and outcomes (declarations), risk history (risk), audits
(audits). Those apps must not be imported from here, so each one registers its
panels once, usually from its ``AppConfig.ready()``::

    from enterprises.panels import register_panel

    def risk_panel(request, enterprise) -> dict | None:
        return {"scores": ...}          # None: the panel is not shown

    register_panel(60, "risk/enterprise_panel.html", risk_panel, key="risk.history")

``order`` places the panel on the page (lower first): 10–30 trade and outcomes,
50 audits, 60 risk history, 90 and above for anything else. The context
function gets the request and the enterprise (already checked to be visible to
the user), returns the template's context or None, and should read with
aggregates in the database: the page must stay fast for an enterprise with tens
of thousands of declarations. Registering the same ``key`` again replaces the
earlier panel, so a module imported twice does no harm.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string


@dataclass(frozen=True)
class Panel:
    order: int
    template_name: str
    context_fn: Callable
    key: str


_PANELS: dict[str, Panel] = {}


def register_panel(order: int, template_name: str, context_fn: Callable, *, key: str = "") -> None:
    key = key or template_name
    _PANELS[key] = Panel(order=order, template_name=template_name, context_fn=context_fn, key=key)


def registered_panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.key))


def render_panels(request, enterprise) -> list[dict]:
    """The rendered panels for ``enterprise``: [{"key", "order", "html"}], in order."""
    rendered = []
    for panel in registered_panels():
        context = panel.context_fn(request, enterprise)
        if context is None:
            continue
        html = render_to_string(
            panel.template_name,
            {"enterprise": enterprise, **context},
            request=request,
        )
        rendered.append({"key": panel.key, "order": panel.order, "html": html})
    return rendered
