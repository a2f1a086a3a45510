/* The builder workspace's versions panel (PL21): every published version with its author, time
   and message; what changed between any two, document by document and item by item; and a
   rollback that installs an earlier version as the newest (records stay; fields the old version
   lacks are retired with their data). */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, root = W.root;
  var versionsPath = "/apps/" + encodeURIComponent(W.app) + "/versions";

  var panel = root.querySelector(".sf-b-versions");
  var opener = root.querySelector(".sf-b-open-versions");
  var listBox = panel.querySelector(".sf-b-version-list");
  var diffBox = panel.querySelector(".sf-b-version-diff");
  var resultBox = panel.querySelector(".sf-b-version-result");
  var oldSelect = panel.querySelector("#sf-b-diff-old");
  var newSelect = panel.querySelector("#sf-b-diff-new");
  var installed = 0;

  function when(iso) {
    var date = new Date(iso + (/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? "" : "Z"));
    return isNaN(date) ? iso : date.toLocaleString(W.locale);
  }

  function fillSelect(select, versions, chosen) {
    select.textContent = "";
    versions.forEach(function (version) {
      var option = el("option", null, say("revision_n", "Revision {n}", {n: version.revision}), {value: String(version.revision)});
      option.selected = version.revision === chosen;
      select.appendChild(option);
    });
  }

  function renderList(versions) {
    listBox.textContent = "";
    var table = el("table", "table table-condensed sf-b-version-table");
    var head = el("tr");
    [say("revision", "Revision"), say("published_at", "Published"), say("published_by", "By"), say("message", "Message"), ""]
      .forEach(function (title) { head.appendChild(el("th", null, title, {scope: "col"})); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    versions.forEach(function (version, index) {
      var row = el("tr", version.current ? "success" : null, null, {"data-revision": String(version.revision)});
      var number = el("td", "sf-b-mono", String(version.revision));
      if (version.current) { number.appendChild(el("span", "label label-success sf-b-current", say("current", "current"))); }
      row.appendChild(number);
      row.appendChild(el("td", null, when(version.created_at)));
      row.appendChild(el("td", null, version.created_by || "—"));
      row.appendChild(el("td", "sf-b-version-message", version.message || ""));
      var actions = el("td", "text-right");
      var previous = versions[index + 1];
      if (previous) {
        var changes = el("button", "btn btn-default btn-xs sf-b-version-changes", say("changes", "Changes"), {type: "button"});
        changes.addEventListener("click", function () { compare(previous.revision, version.revision); });
        actions.appendChild(changes);
      }
      if (!version.current) {
        var back = el("button", "btn btn-warning btn-xs sf-b-rollback", say("rollback", "Roll back to this"), {type: "button"});
        back.addEventListener("click", function () { rollback(version.revision); });
        actions.appendChild(document.createTextNode(" "));
        actions.appendChild(back);
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
    table.appendChild(body);
    listBox.appendChild(table);
    var newest = versions[0], before = versions[1] || versions[0];
    fillSelect(oldSelect, versions, before.revision);
    fillSelect(newSelect, versions, newest.revision);
  }

  function load() {
    listBox.textContent = "";
    listBox.appendChild(el("p", "sf-muted", say("loading", "Loading…")));
    return B.api("GET", versionsPath).then(function (data) {
      installed = data.versions.length ? data.versions[0].revision : 0;
      data.versions.forEach(function (v) { if (v.current) { installed = v.revision; } });
      renderList(data.versions);
      panel.setAttribute("data-ready", "1");
    }, function (error) {
      listBox.textContent = "";
      listBox.appendChild(el("p", "sf-muted", error.status === 404 ? say("no_versions", "No published version yet.") : error.message));
      panel.setAttribute("data-ready", "1");
    });
  }

  function itemLine(item) {
    var where = item.where.length ? item.where.join(" › ") : "";
    var text = where + (where ? ": " : "") + say("change_" + item.change.replace(" ", "_"), item.change);
    var line = el("li", "sf-b-diff-item sf-b-diff-" + item.change.replace(" ", "-"), text);
    if (item.before !== null && item.before !== undefined) { line.appendChild(el("del", "sf-b-diff-before", item.before)); }
    if (item.after !== null && item.after !== undefined) { line.appendChild(el("ins", "sf-b-diff-after", item.after)); }
    return line;
  }

  function renderDiff(diff) {
    diffBox.textContent = "";
    diffBox.appendChild(el("h3", "h5", say("diff_title", "From revision {old} to revision {new}", {old: diff.old, "new": diff["new"]})));
    if (!diff.documents.length) { diffBox.appendChild(el("p", "sf-muted", say("no_difference", "The two versions are the same."))); }
    diff.documents.forEach(function (doc) {
      var block = el("div", "sf-b-diff-document", null, {"data-path": doc.path});
      block.appendChild(el("h4", "h6", doc.path + " — " + say("change_" + doc.change, doc.change)));
      if (doc.items.length) {
        var list = el("ul", "sf-b-diff-items");
        doc.items.forEach(function (item) { list.appendChild(itemLine(item)); });
        block.appendChild(list);
      }
      diffBox.appendChild(block);
    });
    diffBox.setAttribute("data-ready", "1");
  }

  function compare(oldRevision, newRevision) {
    diffBox.removeAttribute("data-ready");
    oldSelect.value = String(oldRevision);
    newSelect.value = String(newRevision);
    B.api("GET", versionsPath + "/diff?old=" + encodeURIComponent(oldRevision) + "&new=" + encodeURIComponent(newRevision))
      .then(renderDiff, function (error) {
        diffBox.textContent = "";
        diffBox.appendChild(B.alertBox("danger", error.message));
        diffBox.setAttribute("data-ready", "1");
      });
  }

  function rollback(revision) {
    if (!window.confirm(say("confirm_rollback", "Make revision {n} the app's configuration again? Records stay; fields it lacks are retired with their data.", {n: revision}))) { return; }
    resultBox.textContent = "";
    B.api("POST", versionsPath + "/" + revision + "/rollback", {base_revision: installed}).then(function (result) {
      var box = B.alertBox("success", say("rolled_back", "Rolled back: the app is at revision {n}.", {n: result.revision}));
      box.classList.add("sf-b-rolled-back");
      resultBox.appendChild(box);
      return Promise.all([load(), W.reload()]);
    }, function (error) {
      var box = B.alertBox(error.status === 409 ? "warning" : "danger", error.message);
      box.classList.add("sf-b-rollback-error");
      resultBox.appendChild(box);
    });
  }

  opener.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    opener.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) { resultBox.textContent = ""; diffBox.textContent = ""; load(); }
  });
  panel.querySelector(".sf-b-compare").addEventListener("click", function () { compare(oldSelect.value, newSelect.value); });
  panel.querySelector(".sf-b-close-versions").addEventListener("click", function () {
    panel.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  });

  // Publishing makes a version: an open list shows it.
  W.versionsChanged = function () { if (!panel.hidden) { load(); } };
})();
