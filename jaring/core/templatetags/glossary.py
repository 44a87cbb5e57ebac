"""``{% term "kpj" %}``: a word linked to its entry on the glossary page, its meaning as the link's title.

``{% term "desil" "Desil kesejahteraan" %}`` shows the page's own words instead of the glossary's. An
unknown key shows the text (or the key) as plain text: a typo in a template never breaks a page.
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from jaring.core.glossary import GLOSSARY_URL, term_for

register = template.Library()


@register.simple_tag
def term(key: str, text: str | None = None) -> SafeString:
    entry = term_for(key)
    shown = text if text is not None else (entry.word if entry else key)
    if entry is None:
        return format_html("{}", shown)
    try:
        url = reverse(GLOSSARY_URL)
    except NoReverseMatch:  # the page is not mounted (a project without the simulator)
        return format_html('<abbr title="{}">{}</abbr>', entry.name, shown)
    return format_html('<a class="term" href="{}#{}" title="{}">{}</a>', url, entry.key, entry.name, shown)
