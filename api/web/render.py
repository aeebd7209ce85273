"""The pages' Jinja2 templates (autoescaped) and the words they use for the graph's codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from matching.reasons import quote as quote_sentence
from schema.countries import country_name
from schema.dates import as_given
from schema.direction import DIRECTION_CONTROLS, direction_codes
from schema.graph_model import Role

STATIC = Path(__file__).parent / "static"

ROLE_WORDS = {
    Role.FIRM.value: "Firm",
    Role.VENDOR.value: "Technology or service vendor",
    Role.UNIVERSITY.value: "University",
    Role.RESEARCH_INSTITUTE.value: "Research institute",
    Role.KNOWLEDGE_BROKER.value: "Knowledge broker",
    Role.CLUSTER_ORGANIZATION.value: "Cluster organization",
    Role.PUBLIC_BODY.value: "Public body",
    Role.OTHER.value: "Other organization",
}
"""Each role in words, keyed by the graph's value (GraphQL's enum names, lower-cased, are the same)."""


def role_words(role: str | None) -> str:
    return ROLE_WORDS.get((role or "").lower(), "Organization")


def path_segment(value: object) -> str:
    """A value as one segment of a page's path: every "/" escaped too (Jinja's ``urlencode`` keeps them), so
    an id such as ``AT/../7`` stays one segment that a browser does not resolve as ``..``; the server decodes
    it back whole (the routes take a ``path``)."""
    return quote(str(value), safe="")


def name_key(name: object) -> tuple[str, str]:
    """The order in which a European reader looks a name up: letters without their accents and case
    ("Bäckerei" before "Business", "Ölmühle" among the O's, "ß" as "ss"), the name itself breaking ties so
    that the order is the same every time. Python's and Neo4j's own order goes by code point, which puts every
    accented letter after "z" and every capital before "a"."""
    text = str(name or "")
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return bare.casefold(), text


def by_name(items: Iterable[Any], attribute: str = "name") -> list[Any]:
    """``items`` (mappings, objects or strings) in the order of their names (:func:`name_key`): every list of
    names a page shows goes through it (the ``by_name`` filter)."""

    def name(item: Any) -> object:
        if isinstance(item, str):
            return item
        return item.get(attribute) if isinstance(item, dict) else getattr(item, attribute, None)

    return sorted(items, key=lambda item: name_key(name(item)))


BARE_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?")
"""A website as registries write it without its scheme: ``www.wortwerk.at``, ``example.com/de``."""


def website_url(website: str | None) -> str | None:
    """The address a website's link leads to, or None where the text is no web address: registries write
    ``www.example.at`` as often as ``https://…``, and a link may lead only to the web (``http``/``https``),
    never run a ``javascript:`` text that a registry or an upsert stored."""
    text = (website or "").strip()
    if BARE_HOST.fullmatch(text):
        return "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", text):
        return text
    return None


OPENING_QUOTES = "`'\"“‘"


def sentence(message: str) -> str:
    """An error shown as a sentence of its own, starting with a capital letter. The project's messages
    start in lower case (the API's, the CLI's: each is also read after "error:" or inside another sentence),
    and the API's stay so: the organization page's ``"no organization with id 'X'"`` becomes ``"No
    organization with id 'X'"``. A message that opens with a quote has the letter past the quote raised."""
    at = len(message) - len(message.lstrip(OPENING_QUOTES))
    return message[:at] + message[at : at + 1].upper() + message[at + 1 :]


class Typed(str):
    """Text a form field shows back as its user typed it (the ``typed`` filter): its direction controls turn
    only the field's own text, and a code in their place would change the text sent again."""


def shown(value: object) -> object:
    """Every value a template prints, its direction controls as visible codes (``schema.direction``:
    "Safe GmbH" followed by U+202E would show the rest of its line reversed) through Jinja's ``finalize``,
    but :class:`Typed` text."""
    if isinstance(value, str) and not isinstance(value, Typed) and DIRECTION_CONTROLS.search(value):
        visible = direction_codes(value)
        return Markup(visible) if isinstance(value, Markup) else visible
    return value


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    env.filters["role"] = role_words
    env.filters["country"] = country_name
    env.filters["segment"] = path_segment
    env.filters["website_url"] = website_url
    env.filters["typed"] = Typed
    env.filters["sentence"] = sentence
    env.filters["by_name"] = by_name
    env.filters["as_given"] = as_given  # a date at the precision the registry gave (``schema.dates``)
    env.filters["quoted"] = quote_sentence  # a card's sentences cut as the API's explanations cut them
    env.globals["ROLE_WORDS"] = ROLE_WORDS
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def static_text(name: str) -> str:
    """A static file's text, to inline into a self-contained page (the report)."""
    return (STATIC / name).read_text(encoding="utf-8")
