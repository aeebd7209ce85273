"""The web pages for people: page shells at ``/``, ``/organizations/ID`` and ``/clusters/ID``, and the HTML
fragments under ``/web/`` that the shells fetch with the person's key.

A shell holds no data that needs a key: the key lives in the browser tab (``sessionStorage``), so the
shell's script fetches each fragment with ``Authorization: Bearer <key>`` and the server answers with HTML
rendered under the API's rules (``api.web.access``). Answers and needs are written through ``/graphql``'s
own mutations by the same script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import strawberry
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import ApiRole, Caller
from api.graphql.context import DEADLINE
from api.graphql.suggestions import check_may_act_for
from api.web import dashboard
from api.web.access import (
    PageError,
    compute,
    execute,
    optional_caller,
    page_error,
    page_graph,
    required_caller,
)
from api.web.choices import Choices, SearchChoices
from api.web.partners import page_number, partners
from api.web.render import render
from api.web.search import LABELS, SearchForm, search
from graph.queries import api as api_queries
from graph.queries import web as q
from matching.insights import ClusterInsights
from schema.days import future_day
from schema.errors import (
    AccessDenied,
    ClusterkgError,
    GraphError,
    GraphUnavailable,
    InvalidInput,
    echo,
)
from schema.models import MAX_TEXT

ORGANIZATION = """
query Organization($id: ID!) { organization(id: $id) {
  id name role description website founded sectors needs
  location { city region country } size { employees sizeClass }
  capabilities { name } clusters { id name stage } } }
"""
OWN_ORGANIZATION = "query Own($id: ID!) { organization(id: $id) { id name role } }"

CHOICES_WAIT_SECONDS = 2.0
"""How long the search page waits for its regions and towns before it opens without them: a database that
hangs must not keep the page from opening (the request's own limit, 10 s, would answer JSON)."""
SLOW = (
    "The database is slow to answer at the moment: the lists of towns and regions could not be loaded, and "
    "a search may take long or fail. Please try again in a few minutes."
)
SLOW_REGION = (
    "The database is slow to answer at the moment: the region could not be checked, so the search did not "
    "run. Please try again in a few minutes."
)

Fragment = Callable[[], Awaitable[str]]


async def fragment(request: Request, make: Fragment, page: str = "") -> HTMLResponse:
    """A fragment's HTML, or the sentence that replaces it when the project refuses or fails the request.

    A fragment that is a whole page (``page``: its heading, the organization's or the dashboard's) replaces
    the page's heading too, so its error keeps one, with a way back to the search."""
    try:
        return HTMLResponse(await make())
    except ClusterkgError as e:
        if isinstance(e, GraphUnavailable):  # later requests are answered at once until Neo4j is back
            request.app.state.availability.lost()
        error = page_error(e)
        html = render("error.html", message=str(error), page=page, field=error.field)
        return HTMLResponse(html, status_code=error.status)


def router(schema: strawberry.Schema) -> APIRouter:
    """The pages and fragments, reading the graph through ``schema`` (the API's own)."""
    pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    choices = SearchChoices()

    @pages.get("/")
    async def partner_search(request: Request) -> str:
        # The page is loaded without a key. Without its database it still opens, says so and offers the
        # form without the choices read from the graph, rather than answering with the API's JSON.
        found = Choices()
        unavailable = ""
        try:
            found = await choices.get(
                page_graph(request, None), CHOICES_WAIT_SECONDS, request.app.state.availability
            )
        except (GraphError, TimeoutError) as e:
            unavailable = str(page_error(e) if isinstance(e, GraphError) else PageError(SLOW, 504))
        return render(
            "search.html",
            title="Find partners",
            regions=found.regions,
            region_names=found.names,
            towns=found.towns,
            form=SearchForm.of(request.query_params),
            max_need=MAX_TEXT,
            labels=LABELS,
            unavailable=unavailable,
        )

    @pages.get("/organizations/{organization_id:path}")
    async def organization_page(organization_id: str, partners: str = "") -> str:
        return render(
            "organization.html", title="Organization", organization_id=organization_id, partners=partners
        )

    @pages.get("/clusters/{cluster_id:path}")
    async def cluster_page(cluster_id: str, since: str = "") -> str:
        return render("cluster.html", title="Cluster dashboard", cluster_id=cluster_id, since=since)

    @pages.get("/web/me")
    async def me(request: Request) -> HTMLResponse:
        async def make() -> str:
            caller = await optional_caller(request)
            return await me_panel(request, schema, caller)

        return await fragment(request, make)

    @pages.get("/web/suggestions")
    async def suggestions(request: Request) -> HTMLResponse:
        async def make() -> str:
            caller = await optional_caller(request)
            form = SearchForm.of(request.query_params)
            places: frozenset[str] = frozenset()
            if form.region:  # checked against the places a region filter matches an organization by
                try:
                    places = await choices.places(
                        form.region,
                        page_graph(request, caller),
                        CHOICES_WAIT_SECONDS,
                        request.app.state.availability,
                    )
                except TimeoutError:
                    raise PageError(SLOW_REGION, 504) from None
            results = await search(request, form, caller, places)
            # A guest's card names no link: an organization's page asks for a key, so each would lead a
            # guest to a refusal (the guest's note over the form says what a key opens).
            return render("cards.html", results=results, guest=caller is None)

        return await fragment(request, make)

    @pages.get("/web/organizations/{organization_id:path}")
    async def organization(request: Request, organization_id: str) -> HTMLResponse:
        async def make() -> str:
            caller = await required_caller(request, "organizations' profiles")
            found = await execute(request, schema, caller, ORGANIZATION, id=organization_id)
            # A page of partners the list cannot show is said beside them; the profile stays.
            page, page_error = 1, ""
            try:
                page = page_number(request.query_params.get("partners", ""))
            except InvalidInput as e:
                page_error = str(e)
            return render(
                "organization_panel.html",
                org=found["organization"],
                partners=await partners(page_graph(request, caller), organization_id, page),
                partners_error=page_error,
                may_suggest=await may_act_for(request, caller, organization_id),
            )

        return await fragment(request, make, page="Organization")

    # Not "/web/clusters/ID/gaps": an id may hold slashes, and "X/gaps" is an id of its own.
    @pages.get("/web/gaps/{cluster_id:path}")
    async def cluster_gaps(request: Request, cluster_id: str) -> HTMLResponse:
        async def make() -> str:
            return dashboard.gaps(await managed_insights(request, cluster_id, dashboard.SUPPLIERS))

        return await fragment(request, make)

    @pages.get("/web/clusters/{cluster_id:path}")
    async def cluster(request: Request, cluster_id: str) -> HTMLResponse:
        async def make() -> str:
            found = await managed_insights(request, cluster_id, dashboard.DASHBOARD_SUPPLIERS)
            trend, since_error = None, ""
            if since := request.query_params.get("since", "").strip():
                # A date the trend cannot use is said beside its field; the dashboard stays.
                try:
                    as_of = parse_date(since)
                except InvalidInput as e:
                    since_error = str(e)
                else:
                    earlier = await managed_insights(request, cluster_id, 0, as_of=as_of)
                    trend = dashboard.since(found, earlier)
            return dashboard.panel(
                found, links=True, today=dt.date.today(), trend=trend, since_error=since_error
            )

        return await fragment(request, make, page="Cluster dashboard")

    return pages


def parse_date(text: str) -> dt.date:
    """The date a trend compares with: a past one, by the rule of every as-of day (``schema.days``). A later
    date (2029 typed for 2019) would draw the cluster as it is today and report "no change" on every line."""
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"the date to compare with must read YYYY-MM-DD, not {echo(text)}") from None
    if future_day(date):
        raise InvalidInput(f"the date to compare with must be today or earlier, not {date.isoformat()}")
    return date


async def managed_insights(
    request: Request, cluster_id: str, suppliers: int, as_of: dt.date | None = None
) -> ClusterInsights:
    """The cluster's insights for one of its managers (computed in a worker thread, like suggestions)."""
    caller = await required_caller(request, "a cluster's dashboard")
    await check_manages(request, caller, cluster_id)
    state = request.app.state
    return await compute(
        request,
        caller,
        lambda: dashboard.insights(
            state.sync_graph,
            cluster_id,
            state.settings,
            manager=caller.organization_id,
            suppliers=suppliers,
            as_of=as_of,
            stop_at=request.scope.get("state", {}).get(DEADLINE),
        ),
    )


async def check_manages(request: Request, caller: Caller, cluster_id: str) -> None:
    """The dashboard's rule: a cluster_manager key of the organization that manages the cluster (said in
    words, where the API's own refusal names the role's code)."""
    if caller.role is not ApiRole.CLUSTER_MANAGER:
        raise AccessDenied(
            "this dashboard is for the managers of the cluster: enter a cluster manager's key above "
            f"(yours is a {caller.role.value.replace('_', ' ')} key)"
        )
    managed = await page_graph(request, caller).run(q.MANAGED_CLUSTERS, organization=caller.organization_id)
    if cluster_id not in {row["id"] for row in managed}:
        raise AccessDenied(
            "this dashboard is for the managers of the cluster; your key manages other clusters"
        )


async def may_act_for(request: Request, caller: Caller, organization_id: str) -> bool:
    """Whether ``caller`` may ask for the organization's suggestions (the API's rule, asked, not copied)."""
    try:
        await check_may_act_for(page_graph(request, caller), caller, organization_id)
    except AccessDenied:
        return False
    return True


async def me_panel(request: Request, schema: strawberry.Schema, caller: Caller | None) -> str:
    """Who the key speaks for, and what it can do here: a member enters its needs, a manager opens its
    clusters' dashboards."""
    if caller is None:
        return render("me.html", caller=None)
    if caller.role is ApiRole.DATA_TEAM or caller.organization_id is None:
        return render("me.html", caller=caller)
    own = await execute(request, schema, caller, OWN_ORGANIZATION, id=caller.organization_id)
    graph = page_graph(request, caller)
    if caller.role is ApiRole.CLUSTER_MANAGER:
        clusters = await graph.run(q.MANAGED_CLUSTERS, organization=caller.organization_id)
        return render("me.html", caller=caller, own=own["organization"], clusters=clusters)
    needs = await graph.run(
        api_queries.NEEDS_OF, ids=[caller.organization_id], viewer=caller.organization_id, manager=False
    )
    if not needs:
        raise PageError("the key's organization is no longer in the graph", 404)
    return render("me.html", caller=caller, own=own["organization"], needs=needs[0], max_need=MAX_TEXT)
