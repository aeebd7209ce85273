"""Countries by ISO 3166 code and by name: the graph keeps a country as its two-letter code (``AT``), people
read and type names ("Austria")."""

from __future__ import annotations

import pycountry


def country_name(code: str) -> str:
    """A country's name for the ISO 3166 code the graph keeps as its name (``AT`` → "Austria"): a person
    picking a region reads names, and few know every code. ISO's common name where its official one reads
    as a form's entry ("South Korea", not "Korea, Republic of"); anything that is no code, as it is."""
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def country_code(name: str) -> str | None:
    """The ISO 3166 code of a country ``name`` (any case, official or common name, or a code), or None:
    a region filter of "Austria" means the organizations the graph keeps in ``AT``."""
    try:
        return str(pycountry.countries.lookup(name.strip()).alpha_2)
    except LookupError:
        return None
