// The pages' one script: keeps the API key in this tab's sessionStorage, fetches each HTML fragment with it,
// and writes answers and needs through /graphql's own mutations. No framework, no build step.
(function () {
  "use strict";
  const STORE = "clusterkg.key";
  const key = function () { return sessionStorage.getItem(STORE) || ""; };

  function headers(extra) {
    const h = Object.assign({}, extra);
    if (key()) h.Authorization = "Bearer " + key();
    return h;
  }

  const TOO_SLOW = "The server took too long to answer: the database may be busy or down. " +
    "Please try again in a few minutes.";
  let loads = 0;
  function announce(words) { document.getElementById("announce").textContent = words; }
  async function load(target, url) {
    // Only the latest load of a target may fill it: a guest's slow search must not overwrite the answer
    // to the same search made a moment later with a key.
    const mine = String(++loads);
    target.dataset.loading = mine;
    target.setAttribute("aria-busy", "true");
    // Work that takes seconds says that it runs, on the page and to a screen reader.
    if (target.dataset.busy) {
      const busy = document.createElement("p");
      busy.className = "hint";
      busy.textContent = target.dataset.busy;
      target.replaceChildren(busy);
      markFields();
      announce(target.dataset.busy);
    }
    let html = null;
    let failure = "";
    let refused = false;
    try {
      const response = await fetch(url, { headers: headers({ Accept: "text/html" }) });
      // The fragments answer HTML, their errors included; the server's own limits (a request over its
      // time, the body cap) answer the API's JSON, which is said in words instead.
      if ((response.headers.get("Content-Type") || "").startsWith("text/html")) html = await response.text();
      else failure = response.status === 504 ? TOO_SLOW : "The server could not answer (error " +
        response.status + "). Please try again in a few minutes.";
      if (response.status === 401 && key()) refused = true;
    } catch (error) {
      failure = "The server did not answer. Check your connection, then try again.";
    }
    if (target.dataset.loading !== mine) return;
    if (html === null) target.replaceChildren(errorMessage(failure, null));
    else target.innerHTML = html;
    // A page that is one fragment (an organization, a dashboard) is titled by it: a tab, a bookmark and a
    // screen reader's first words name the organization or the cluster, not "Organization".
    const heading = target.dataset.fragment && target.querySelector("h1");
    if (heading) document.title = heading.textContent.trim() + " · clusterkg";
    // A screen reader hears the one-line summary over the cards, not every card (the results are no live
    // region); an error announces itself (role="alert").
    if (target.dataset.busy) {
      const summary = target.querySelector(".summary");
      announce(summary ? summary.textContent : "");
    }
    if (refused) keyRefused();
    markFields();
    target.setAttribute("aria-busy", "false");
    target.dispatchEvent(new CustomEvent("fragment-loaded", { bubbles: true }));
  }

  // A sentence said in place of what a target shows, as the server's error.html says one; one about a form
  // field is tied to it, as the server's refusals are (markFields).
  function errorMessage(words, field) {
    const message = document.createElement("p");
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = words;
    if (field) {
      message.id = field.id + "-error";
      message.dataset.field = field.id;
    }
    return message;
  }

  // A field's name as the person sees it: its label, less the hints in it ("(optional)").
  function labelOf(field) {
    const label = field.labels[0].cloneNode(true);
    label.querySelectorAll(".hint").forEach(function (hint) { hint.remove(); });
    return label.textContent.trim();
  }

  // An error about a form field (data-field: its id) marks the field invalid and names itself as the field's
  // description, as the dashboard's date field is marked; the mark goes when the error does, or when its
  // element says something else (a form's status: "Saved.").
  function markFields() {
    document.querySelectorAll("[data-error]").forEach(function (field) {
      const error = document.getElementById(field.dataset.error);
      if (error && error.classList.contains("error") && error.dataset.field === field.id) return;
      field.removeAttribute("aria-invalid");
      const rest = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== field.dataset.error;
      });
      if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
      else field.removeAttribute("aria-describedby");
      delete field.dataset.error;
    });
    document.querySelectorAll(".error[data-field]").forEach(function (error) {
      const field = document.getElementById(error.dataset.field);
      if (!field || field.dataset.error === error.id) return;
      field.setAttribute("aria-invalid", "true");
      const described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + error.id : error.id);
      field.dataset.error = error.id;
    });
  }

  // A refused key must not read as "in use": the status says so beside the key field too.
  function keyRefused() {
    document.getElementById("key-status").textContent = "This key was not accepted.";
  }

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", Accept: "application/json" }),
      body: JSON.stringify({ query: query, variables: variables }),
    });
    // A key revoked while the page is open: said as the fragments say it, not as the API's "unknown or
    // revoked API key".
    if (response.status === 401) {
      keyRefused();
      throw new Error("this access key was not accepted: it is mistyped, or it was revoked. Check it and " +
        "press Use key again.");
    }
    const body = await response.json();
    if (body.errors && body.errors.length) {
      // The argument a refusal is about, when it is about one (extensions.argument), travels with it.
      const error = new Error(body.errors[0].message);
      error.argument = (body.errors[0].extensions || {}).argument || null;
      throw error;
    }
    return body.data;
  }

  function loadFragments() {
    document.querySelectorAll("[data-fragment]").forEach(function (el) { load(el, el.dataset.fragment); });
  }

  function showKeyStatus() {
    document.getElementById("key-status").textContent = key() ? "A key is in use in this tab." : "No key: guest.";
  }

  const search = document.getElementById("search");
  // The search the form asks for or, given, the one an address asks for (the page opened from a link, the
  // back button, a key put in use or forgotten): searched as it reads, since the form cannot hold all of it
  // ("ten" for the number field shows as an empty field, and the server's refusal of it would never be
  // asked for).
  function runSearch(asked) {
    const results = document.getElementById("results");
    // What the browser cannot read ("ten" in the number field) reaches the script as an empty value, so the
    // search would run without it while the person believes it applies: said instead, as the server says a
    // field it refuses. The form has `novalidate`: the browser's own bubble says it for a moment only, tied
    // to no field, and stops no search that the key's buttons ask again.
    const unread = Array.from(search.elements).find(function (field) {
      return field.validity && field.validity.badInput;
    });
    if (unread) {
      results.dataset.loading = String(++loads); // a search still under way no longer fills the results
      results.setAttribute("aria-busy", "false");
      results.replaceChildren(errorMessage("“" + labelOf(unread) + "” holds what the browser cannot read: " +
        unread.validationMessage + " Or leave the field empty.", unread));
      markFields();
      return;
    }
    const params = new URLSearchParams();
    if (asked) asked.forEach(function (value, name) { if (search.elements[name]) params.set(name, value); });
    else new FormData(search).forEach(function (value, name) { if (String(value).trim()) params.set(name, value); });
    // Each new search is a step of the tab's history, so the back button returns to the one before.
    const address = "/?" + params.toString();
    if (location.pathname + location.search !== address) history.pushState(null, "", address);
    load(results, "/web/suggestions?" + params.toString());
  }
  // A field shows the value an address searches as the server's page shows it: a region given by its name
  // (?region=Upper Austria, which no option has as its value) is the choice of that name (data-name), not
  // nothing chosen. A value the lists lack has its option from the server (search.html).
  function show(field, value) {
    field.value = value;
    if (field.tagName !== "SELECT" || field.selectedIndex >= 0) return;
    const named = Array.from(field.options).find(function (option) { return option.dataset.name === value; });
    if (named) named.selected = true;
  }
  if (search) {
    search.addEventListener("submit", function (event) { event.preventDefault(); runSearch(); });
    // Back (or forward) to another search: its words go back into the form and its partners are shown.
    window.addEventListener("popstate", function () {
      const params = new URLSearchParams(location.search);
      Array.from(search.elements).forEach(function (field) {
        if (field.name) show(field, params.get(field.name) || "");
      });
      if (params.get("need")) runSearch(params);
      else document.getElementById("results").replaceChildren();
    });
  }

  // The search the page last asked for, asked again with another key: the address's, not the form's, which
  // may hold less (?km=ten shows an empty field, and the refusal would go) or words typed and never searched.
  // What the browser cannot read in a field still stops it (runSearch).
  function searchAgain() { runSearch(new URLSearchParams(location.search)); }

  document.getElementById("key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const input = document.getElementById("api-key");
    if (input.value.trim()) sessionStorage.setItem(STORE, input.value.trim());
    input.value = "";
    showKeyStatus();
    loadFragments();
    if (search && new URLSearchParams(location.search).toString()) searchAgain();
  });
  document.getElementById("forget-key").addEventListener("click", function () {
    sessionStorage.removeItem(STORE);
    showKeyStatus();
    loadFragments();
    // The search on the page is asked again as a guest, as a key put in use asks it again with the key.
    if (search && new URLSearchParams(location.search).get("need")) searchAgain();
    else if (search) document.getElementById("results").replaceChildren();
  });

  const FEEDBACK = "mutation Answer($o: ID!, $p: ID!, $a: Boolean!) { " +
    "recordSuggestionFeedback(organizationId: $o, partnerId: $p, accepted: $a) { accepted at } }";
  const NEED = "mutation Need($t: String!, $v: Visibility!) { submitNeed(text: $t, visibility: $v) { id } }";

  document.addEventListener("click", async function (event) {
    const answer = event.target.closest("[data-answer]");
    if (answer) {
      // The card's buttons are marked aria-disabled while and once it is answered, not disabled: a disabled
      // button drops the focus that pressed it to the page itself, where a keyboard or a screen reader
      // user is lost.
      if (answer.getAttribute("aria-disabled") === "true") return;
      const card = answer.closest("[data-partner]");
      const status = card.querySelector(".answer-status");
      const accepted = answer.dataset.answer === "accept";
      const buttons = card.querySelectorAll("[data-answer]");
      buttons.forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      try {
        const seeker = card.closest("[data-seeker]").dataset.seeker;
        await graphql(FEEDBACK, { o: seeker, p: card.dataset.partner, a: accepted });
        status.textContent = accepted ? "Accepted: recorded." : "Declined: it will not be suggested again.";
      } catch (error) {
        status.textContent = "Not recorded: " + error.message;
        buttons.forEach(function (b) { b.removeAttribute("aria-disabled"); });
      }
      return;
    }
    const loader = event.target.closest("[data-load]");
    if (!loader) return;
    const target = document.querySelector(loader.dataset.target);
    // A button inside what its load replaces (Find outside suppliers for the gaps) hands the focus to that
    // part of the page; gone with the button, the focus would drop to the page itself, where a keyboard or
    // a screen reader user starts over.
    if (target.contains(loader)) {
      target.tabIndex = -1;
      target.focus();
    }
    load(target, loader.dataset.load);
  });

  // What a form's status says; words about one of its fields make the status an error tied to that field
  // (markFields), until the status says something else.
  function tell(status, words, field) {
    status.textContent = words;
    status.classList.toggle("error", Boolean(field));
    if (field) status.dataset.field = field.id;
    else delete status.dataset.field;
    markFields();
  }

  // The API's refusal of an argument says it in extensions.argument and leads its message with the
  // argument's name ("`text` holds …"), which the person at the form never sees: said of the field sent as
  // that argument (its name), named by its label. Null for a refusal of another argument, or of none.
  function ofField(error, field) {
    if (error.argument !== field.name) return null;
    const named = "`" + error.argument + "` ";
    return "“" + labelOf(field) + "” " + error.message.slice(named.length);
  }

  document.addEventListener("submit", async function (event) {
    if (event.target.id !== "need-form") return;
    event.preventDefault();
    const form = new FormData(event.target);
    const status = document.getElementById("need-status");
    const field = event.target.elements.text;
    // Said for the person at the form: the API would answer "`text` is empty", naming its argument.
    if (!String(form.get("text")).trim()) {
      tell(status, "Not saved: write what your organization looks for first.", field);
      return;
    }
    try {
      await graphql(NEED, { t: form.get("text"), v: form.get("visibility") });
      tell(status, "Saved.", null);
    } catch (error) {
      const refusal = ofField(error, field);
      tell(status, "Not saved: " + (refusal || error.message), refusal ? field : null);
    }
  });

  // A field full to its maxlength drops the rest of a paste without a word: say that it did.
  document.addEventListener("input", function (event) {
    const field = event.target;
    const note = field.maxLength > 0 && document.getElementById(field.id + "-limit");
    if (!note) return;
    note.textContent = field.value.length < field.maxLength ? "" : "This field holds at most " +
      field.maxLength.toLocaleString("en") + " characters; the rest of what you typed or pasted was not kept.";
  });

  showKeyStatus();
  loadFragments();
  if (search && new URLSearchParams(location.search).get("need")) runSearch(new URLSearchParams(location.search));
})();
