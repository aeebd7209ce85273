"""The normal forms entity resolution compares: website domains and folded names (the ids every layer shares,
capability and region ids, are ``schema.ids``).

Registries spell the same firm differently ("Bäckerei Huber GmbH", "BAECKEREI HUBER", "Bäckerei Huber
G.m.b.H."); folding case, accents, punctuation and legal-form suffixes makes those spellings equal.
"""

from __future__ import annotations

import re
from functools import lru_cache

from schema.ids import fold

# Legal forms dropped from names before comparing (European ones first; matched as whole words).
LEGAL_FORMS = frozenset(
    [
        "gmbh",
        "og",
        "eu",
        "zt",
        "keg",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "eg",
        "ev",
        "gesmbh",
        "kgaa",
        "se",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "slu",
        "bv",
        "nv",
        "vof",
        "ltd",
        "limited",
        "plc",
        "llp",
        "llc",
        "inc",
        "corp",
        "corporation",
        "co",
        "company",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "sp",
        "zoo",
        "sro",
        "kft",
        "zrt",
        "rt",
        "doo",
        "ad",
        "ood",
        "eood",
        "ou",
        "sia",
        "uab",
        "bvba",
        "cvba",
        "sprl",
        "scrl",
        "ivzw",
        "vzw",
        "asbl",
    ]
)


_TRANSLITERATED = re.compile(r"([aou])e")
_HOST_END = re.compile(r"[/:?#]")


def name_key(name: str | None, city: str | None) -> str | None:
    """Folded name without legal-form words, plus folded city: the key of the last resolution rule.

    ``None`` when there is no city: a bare name is too weak to merge two records on.
    """
    if not name or not city:
        return None
    # German transliterations (ae, oe, ue) compare equal to the folded umlauts (a, o, u).
    folded = _TRANSLITERATED.sub(r"\1", fold(name.replace(".", "")))
    words = folded.split()
    kept = [w for w in words if w not in LEGAL_FORMS] or words
    return f"{' '.join(kept)}|{_folded_city(city)}"


@lru_cache(maxsize=65536)
def _folded_city(city: str) -> str:
    return fold(city)


def domain(website: str | None) -> str | None:
    """The host of a website, lower case, without ``www.``:
    ``"https://WWW.Huber.at/shop"`` -> ``"huber.at"``."""
    if not website:
        return None
    host = website.strip().lower().split("://", 1)[-1]
    host = _HOST_END.split(host, 1)[0].rsplit("@", 1)[-1].rstrip(".")
    if "." not in host or " " in host:
        return None
    return host.removeprefix("www.")
