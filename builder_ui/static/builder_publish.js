/* The builder workspace's publish panel: the preview of what publishing changes, publishing the
   draft, and discarding it. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, draftPath = W.draftPath, root = W.root, publishPanel = W.publishPanel;

  // --- publish ----------------------------------------------------------------------------

  var preview = publishPanel.querySelector(".sf-b-preview");
  var publishResult = publishPanel.querySelector(".sf-b-publish-result");
  var openPublish = root.querySelector(".sf-b-open-publish");

  function listBlock(title, items, className) {
    if (!items || !items.length) { return null; }
    var block = el("div", "sf-b-preview-block " + className);
    block.appendChild(el("h3", "h6", title));
    var list = el("ul");
    items.forEach(function (item) { list.appendChild(el("li", null, item)); });
    block.appendChild(list);
    return block;
  }

  function renderPreview(data) {
    preview.textContent = "";
    if (data.refused) { preview.appendChild(B.alertBox("danger", say("refused", "Publishing would be refused: {message}", {message: data.refused}))); }
    var blocks = [
      listBlock(say("problems_count", "{n} problem(s)", {n: data.problems.length}),
                data.problems.map(function (p) { return p.path + " " + (p.pointer || "/") + ": " + p.message; }), "sf-b-preview-problems text-danger"),
      listBlock(say("created_tables", "New tables"), data.created_tables, "sf-b-created-tables"),
      listBlock(say("added_columns", "New columns"), data.added_columns, "sf-b-added-columns"),
      listBlock(say("retired", "Fields retired"), (data.retired || []).map(function (r) {
        return say("retired_rows", "{table}.{column}: {n} record(s) hold a value", {table: r.table, column: r.column, n: r.rows});
      }), "sf-b-retired"),
      listBlock(say("changed_types", "Changed column types"), data.changed_types, "sf-b-changed-types"),
      listBlock(say("documents_added", "Documents added"), data.documents_added, "sf-b-documents-added"),
      listBlock(say("documents_changed", "Documents changed"), data.documents_changed, "sf-b-documents-changed"),
      listBlock(say("documents_removed", "Documents removed"), data.documents_removed, "sf-b-documents-removed")
    ].filter(Boolean);
    blocks.forEach(function (block) { preview.appendChild(block); });
    if (!blocks.length && !data.refused) { preview.appendChild(el("p", "sf-muted", say("no_changes", "No changes to publish."))); }
    preview.setAttribute("data-ready", "1");
  }

  function loadPreview() {
    preview.removeAttribute("data-ready");
    preview.textContent = "";
    preview.appendChild(el("p", "sf-muted", say("previewing", "Working out what publishing changes…")));
    return W.saveNow().then(function () {
      return B.api("GET", draftPath + "/preview");
    }).then(renderPreview, function (error) {
      preview.textContent = "";
      preview.appendChild(B.alertBox("danger", error.message));
      preview.setAttribute("data-ready", "1");
    });
  }

  openPublish.addEventListener("click", function () {
    publishPanel.hidden = false;
    openPublish.setAttribute("aria-expanded", "true");
    publishResult.textContent = "";
    loadPreview();
    publishPanel.querySelector(".sf-b-publish-button").focus();
  });
  publishPanel.querySelector(".sf-b-close-publish").addEventListener("click", function () {
    publishPanel.hidden = true;
    openPublish.setAttribute("aria-expanded", "false");
    openPublish.focus();
  });
  publishPanel.querySelector(".sf-b-refresh-preview").addEventListener("click", loadPreview);

  publishPanel.querySelector(".sf-b-publish-button").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    publishResult.textContent = "";
    publishResult.appendChild(el("p", "sf-muted", say("publishing", "Publishing…")));
    W.saveNow().then(function () {
      var message = publishPanel.querySelector("#sf-b-publish-message");
      var body = {base_revision: W.draft.base_revision};
      if (message.value.trim()) { body.message = message.value.trim(); }
      return B.api("POST", draftPath + "/publish", body);
    }).then(function (result) {
      button.disabled = false;
      publishPanel.querySelector("#sf-b-publish-message").value = "";
      if (W.versionsChanged) { W.versionsChanged(); }
      publishResult.textContent = "";
      var text = result.unchanged ? say("unchanged", "Nothing to publish.") : say("published", "Published: revision {n}.", {n: result.revision});
      var box = B.alertBox("success", text);
      box.classList.add("sf-b-published");
      box.appendChild(document.createTextNode(" "));
      box.appendChild(el("a", "alert-link sf-b-open-app", say("open_app", "Open the app"), {href: root.getAttribute("data-app-url")}));
      publishResult.appendChild(box);
      preview.textContent = "";
      return W.reload();
    }, function (error) {
      button.disabled = false;
      publishResult.textContent = "";
      var box;
      if (error.status === 409) {
        box = B.alertBox("warning", say("publish_conflict", "The app changed since you opened the draft; nothing was published."));
        box.classList.add("sf-b-publish-conflict");
        box.appendChild(el("div", "small sf-muted", error.message));
      } else if (error.status === 422) {
        box = B.alertBox("danger", say("fix_first", "Fix the problems before publishing."));
        var list = el("ul");
        (error.data.problems || []).forEach(function (p) { list.appendChild(el("li", null, p.path + " " + (p.pointer || "/") + ": " + p.message)); });
        box.appendChild(list);
      } else {
        box = B.alertBox("danger", say("publish_refused", "Not published: {message}", {message: error.message}));
      }
      box.classList.add("sf-b-publish-error");
      publishResult.appendChild(box);
    });
  });

  publishPanel.querySelector(".sf-b-discard").addEventListener("click", function () {
    if (!window.confirm(say("confirm_discard", "Throw away every change of this draft?"))) { return; }
    W.cancelSave();
    B.api("DELETE", draftPath).then(function () {
      if (W.current) { W.current.savedJson = JSON.stringify(W.current.doc); }
      publishResult.textContent = "";
      publishResult.appendChild(B.alertBox("info", say("discarded", "The draft was discarded.")));
      preview.textContent = "";
      return W.reload();
    }).catch(function (error) {
      if (error.status === 404) { window.location.href = "/builder/"; return; }
      publishResult.appendChild(B.alertBox("danger", error.message));
    });
  });
})();
