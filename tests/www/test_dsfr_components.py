"""The design system's components as our templates use them: escaped content, one table frame,
the breadcrumb worked out from the page."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.html import format_html

from cpts.www.templatetags.cpts_dsfr import cpts_breadcrumb

NAV = [{"label": "CPTS", "link": "/communautes/"}, {"label": "Territoire", "link": "/territoire/"}]


def render(source: str, **context: Any) -> str:
    return Template("{% load dsfr_tags cpts_dsfr %}" + source).render(Context(context))


def test_table_cells_alerts_and_messages_are_escaped_unless_built_safe() -> None:
    html = render(
        "{% dsfr_table table %}",
        table={
            "caption": "Membres",
            "header": ["Nom", "Lien"],
            "content": [["<b>Dr X</b>", format_html('<a href="{}">{}</a>', "/m/1/", "<fiche>")]],
        },
    )
    assert "&lt;b&gt;Dr X&lt;/b&gt;" in html
    assert '<a href="/m/1/">&lt;fiche&gt;</a>' in html
    assert 'class="fr-table__container" tabindex="0" role="region" aria-label="Membres"' in html
    assert "&lt;script&gt;" in render('{% dsfr_alert type="error" content=text %}', text="<script>")
    messages = [Message(40, "CPTS <i>Nord</i> refusée")]
    html = render("{% dsfr_django_messages %}", messages=messages)
    assert "fr-alert--error" in html
    assert "CPTS &lt;i&gt;Nord&lt;/i&gt; refusée" in html


def test_the_table_frame_wraps_rows_written_in_a_template() -> None:
    html = render(
        '{% dsfr_table_frame caption="Écritures de "|add:name extra_classes="fr-table--multiline" %}'
        "<tbody><tr><td>{{ name }}</td></tr></tbody>{% enddsfr_table_frame %}",
        name="<CPTS>",
    )
    assert '<div class="fr-table fr-table--multiline">' in html
    assert "<caption>Écritures de &lt;CPTS&gt;</caption>" in html
    assert "<tbody><tr><td>&lt;CPTS&gt;</td></tr></tbody>" in html
    assert html.count("<table>") == 1


def breadcrumb(path: str, title: str, **context: Any) -> Any:
    request = RequestFactory().get(path)
    request.user = SimpleNamespace(is_authenticated=True)  # type: ignore[assignment]
    return cpts_breadcrumb(
        Context({"request": request, "title": title, "nav_items": NAV, **context}),
        context.pop("community_url", ""),
    )


def test_the_breadcrumb_follows_the_sections_and_the_community() -> None:
    nord = SimpleNamespace(name="CPTS Nord")
    assert breadcrumb("/communautes/", "CPTS") == {"links": [], "current": "CPTS"}
    assert breadcrumb("/territoire/import/", "Importer des périmètres") == {
        "links": [{"url": "/territoire/", "title": "Territoire"}],
        "current": "Importer des périmètres",
    }
    assert breadcrumb(
        "/communautes/3/versements/",
        "Versements — CPTS Nord",
        community=nord,
        community_url="/communautes/3/",
    ) == {
        "links": [
            {"url": "/communautes/", "title": "CPTS"},
            {"url": "/communautes/3/", "title": "CPTS Nord"},
        ],
        "current": "Versements",
    }
    assert breadcrumb(
        "/communautes/3/", "CPTS Nord", community=nord, community_url="/communautes/3/"
    ) == {"links": [{"url": "/communautes/", "title": "CPTS"}], "current": "CPTS Nord"}
    assert breadcrumb("/", "Accueil") is None
