/* The builder's start page: the apps the user may configure with their open drafts, drafts of
   new apps, and the "New app" form that opens a draft and goes to its workspace. */
(function () {
  "use strict";
  var page = document.querySelector(".sf-builder-index");
  if (!page) { return; }
  var B = window.StageflowBuilder;
  var say = B.textsOf(page);
  var el = B.el;
  var body = page.querySelector(".sf-b-apps tbody");
  var errors = page.querySelector(".sf-b-error");

  function workspaceUrl(app) { return "/builder/" + encodeURIComponent(app); }

  function row(app, label, version, draftText) {
    var tr = el("tr", "sf-b-app", null, {"data-app": app});
    tr.appendChild(el("td", null, label));
    tr.appendChild(el("td", null, app)).className = "sf-b-mono";
    tr.appendChild(el("td", null, version));
    tr.appendChild(el("td", "sf-b-draft-state", draftText));
    var cell = el("td", "text-right");
    cell.appendChild(el("a", "btn btn-default btn-xs sf-b-open", say("open", "Open"), {href: workspaceUrl(app)}));
    tr.appendChild(cell);
    return tr;
  }

  Promise.all([B.api("GET", "/apps"), B.api("GET", "/drafts")]).then(function (results) {
    var apps = results[0].items || [], drafts = results[1].items || [];
    var drafted = {};
    drafts.forEach(function (draft) { drafted[draft.app] = draft; });
    body.textContent = "";
    var shown = 0;
    apps.forEach(function (app) {
      if (!app.configurable) { return; }
      var version = app.version + " · " + say("revision", "revision {n}", {n: app.revision});
      body.appendChild(row(app.name, B.labelText(app.label, B.pageLocale(), app.name), version,
                           drafted[app.name] ? say("draft_open", "Draft open") : say("no_draft", "No draft")));
      delete drafted[app.name];
      shown += 1;
    });
    Object.keys(drafted).forEach(function (name) {
      body.appendChild(row(name, name, "—", say("new_unpublished", "New app, not published yet")));
      shown += 1;
    });
    if (!shown) {
      var empty = el("tr", "sf-b-empty");
      empty.appendChild(el("td", "sf-muted", say("nothing", "No apps you may configure yet."), {colspan: "5"}));
      body.appendChild(empty);
    }
  }).catch(function (error) {
    body.textContent = "";
    errors.appendChild(B.alertBox("danger", say("loading_failed", "Could not load the list: {message}", {message: error.message})));
  });

  var form = page.querySelector(".sf-b-new-app");
  if (form) {
    var result = form.querySelector(".sf-b-new-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      result.textContent = "";
      if (!form.checkValidity()) { form.reportValidity(); return; }
      var name = form.elements.name.value.trim();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      result.appendChild(el("span", "sf-muted", say("creating", "Creating…")));
      B.api("POST", "/drafts", {manifest: {schema_version: 1, name: name, label: form.elements.label.value.trim(),
                                           version: "1.0.0", default_locale: form.elements.default_locale.value}})
        .then(function (draft) {
          window.location.href = workspaceUrl(draft.app || name);
        }, function (error) {
          button.disabled = false;
          result.textContent = "";
          result.appendChild(B.alertBox("danger", error.message));
        });
    });
  }
})();
