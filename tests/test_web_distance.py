"""The search as a person fills the form, against the real API serving the demo region: where the distances
are measured from and whose needs are searched, said in the words of the form."""

from __future__ import annotations

import re

import httpx

from tests.test_web import NEED
from tests.utils.web import BAKERY, Site

FROM_OWN_PLACE = "measured from your organization&#39;s place (“Your town” counts only without a key)"


def suggestions(site: Site, key: str | None = None, **fields: str) -> httpx.Response:
    """The search of :data:`NEED` with the form's ``fields``, with ``key`` (None: as a guest)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(
        f"{site.url}/web/suggestions", params={"need": NEED, **fields}, headers=headers, timeout=60
    )


def test_a_distance_without_a_town_names_the_field_to_fill(site: Site) -> None:
    """A guest's *Within km* without *Your town* was answered "A maximum distance needs the seeker's location
    (lat/lon)": the search's own words, naming neither field of the form nor what to do."""
    answer = suggestions(site, km="30")
    assert answer.status_code == 400, answer.text
    assert "“Your town” is empty, and “Within km” is measured from it" in answer.text, answer.text
    assert 'data-field="town"' in answer.text
    assert "seeker" not in answer.text and "lat/lon" not in answer.text
    assert suggestions(site, km="30", town="Wels").status_code == 200


def test_a_town_typed_with_a_member_key_is_said_to_count_only_without_one(site: Site) -> None:
    """With a member key the search measures from the organization's own place: a town typed into *Your town*
    was dropped without a word, and the distances on the cards read as the town's."""
    bakery = site.keys["bakery"].secret
    typed = suggestions(site, bakery, town="Steyr", km="40")
    assert typed.status_code == 200 and "partners for" in typed.text, typed.text[:300]
    assert FROM_OWN_PLACE in typed.text, typed.text[:300]
    untyped = suggestions(site, bakery, km="40")
    assert untyped.status_code == 200 and "partners for" in untyped.text, untyped.text[:300]
    assert "measured from" not in untyped.text
    guest = suggestions(site, town="Steyr", km="40")
    assert "measured from Steyr" in guest.text and FROM_OWN_PLACE not in guest.text, guest.text[:300]


def test_a_manager_asking_for_a_members_partners_is_not_told_they_are_its_own(site: Site) -> None:
    """A cluster manager's *Suggest partners for this organization* on a member's page was summed up as
    "10 partners for your organization's needs": the member's needs, said to be the manager's own."""
    for key, whose in (("food_manager", "this"), ("bakery", "your")):
        headers = {"Authorization": f"Bearer {site.keys[key].secret}"}
        answer = httpx.get(
            f"{site.url}/web/suggestions", params={"organization": BAKERY}, headers=headers, timeout=60
        )
        said = f"partners for {whose} organization&#39;s needs, best first"
        assert answer.status_code == 200 and said in answer.text, (key, answer.text[:300])


def second_person(html: str) -> list[str]:
    """The words of ``html`` that speak to its reader ("you", "your", "yours"), outside the sentences it
    quotes (a need or an offer may say "your" in its own words)."""
    unquoted = re.sub(r"“[^”]*”|&#34;.*?&#34;|\"[^\"<>]*\"", "", html)
    return re.findall(r"\b(?:you|your|yours)\b", unquoted, flags=re.IGNORECASE)


def test_a_managers_cards_for_a_member_speak_of_the_member(site: Site) -> None:
    """Only the summary of a manager's suggestions for a member spoke of "this organization": the cards read
    "Your words", "fits your words", "Found through your clusters", the member's words and clusters said
    to be the manager's own."""
    answers = {}
    for key in ("food_manager", "bakery"):
        headers = {"Authorization": f"Bearer {site.keys[key].secret}"}
        answer = httpx.get(
            f"{site.url}/web/suggestions", params={"organization": BAKERY}, headers=headers, timeout=60
        )
        assert answer.status_code == 200 and "partners for" in answer.text, (key, answer.text[:300])
        answers[key] = answer.text
    manager, member = answers["food_manager"], answers["bakery"]
    assert second_person(manager) == [], manager
    for said in ("This organization&#39;s words", "fits this organization&#39;s words", "its clusters"):
        assert said in manager, said
    assert "Your words" in member and "fits your words" in member and "your clusters" in member, member
