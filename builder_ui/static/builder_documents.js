/* The builder workspace's documents: the navigation on the left (groups, add and remove), and
   loading, switching and saving the open document. Every change is checked at once (POST
   .../draft/check, nothing stored) and saved to the draft shortly after (PUT
   .../draft/documents/<path>); the page warns before leaving with an unsaved change, and a
   refused save keeps the change on the page. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, app = W.app, draftPath = W.draftPath, NAME = W.NAME,
      CHECK_DELAY = W.CHECK_DELAY, SAVE_DELAY = W.SAVE_DELAY, root = W.root, nav = W.nav,
      main = W.main, docTitle = W.docTitle, problemsBox = W.problemsBox, messages = W.messages,
      revisionBadge = W.revisionBadge, saveState = W.saveState;

  var saving = null;       // the promise of the save in flight
  var saveTimer = null, checkTimer = null, checkSeq = 0, blocked = false;

  // --- the navigation ---------------------------------------------------------------------

  function problemCounts() {
    var counts = {};
    (W.draft.problems || []).forEach(function (problem) { counts[problem.path] = (counts[problem.path] || 0) + 1; });
    if (W.current && W.current.problems) { counts[W.current.path] = W.current.problems.length; }
    return counts;
  }

  function renderNav() {
    nav.textContent = "";
    var counts = problemCounts();
    W.groupsOfDraft().forEach(function (group) {
      var section = el("section", "sf-b-group", null, {"data-group": group.key});
      var header = el("div", "sf-b-group-header");
      header.appendChild(el("h3", "sf-b-group-title", W.groupLabel(group)));
      var paths = group.path ? (W.draft.documents[group.path] ? [group.path] : []) : W.pathsIn(group.key);
      var type = group.type || W.folderType(group.key);
      var single = Boolean(group.path);
      var addable = type && (!single || !paths.length);
      var form = null;
      if (addable) {
        var add = el("button", "btn btn-default btn-xs sf-b-add", null,
                     {type: "button", "data-group": group.key, "aria-label": say("add", "Add") + ": " + W.groupLabel(group)});
        add.appendChild(el("i", "fa fa-plus", null, {"aria-hidden": "true"}));
        add.appendChild(document.createTextNode(" " + say("add", "Add")));
        header.appendChild(add);
        if (!single) {
          form = addForm(group, type);
          add.setAttribute("aria-expanded", "false");
          add.addEventListener("click", function () {
            form.hidden = !form.hidden;
            add.setAttribute("aria-expanded", String(!form.hidden));
            if (!form.hidden) { form.querySelector("input").focus(); }
          });
        } else {
          add.addEventListener("click", function () { createDocument(group.path, W.newDocument(type, app)); });
        }
      }
      section.appendChild(header);
      if (form) { section.appendChild(form); }
      var list = el("ul", "list-unstyled sf-b-docs");
      paths.forEach(function (path) {
        var item = el("li", "sf-b-doc-item" + (W.current && W.current.path === path ? " active" : ""), null, {"data-path": path});
        var open = el("button", "btn btn-link btn-sm sf-b-doc", single ? W.groupLabel(group) : W.docName(path),
                      {type: "button", "data-path": path});
        if (W.current && W.current.path === path) { open.setAttribute("aria-current", "true"); }
        open.addEventListener("click", function () { select(path); });
        item.appendChild(open);
        if (counts[path]) {
          item.appendChild(el("span", "badge sf-b-problem-badge", String(counts[path]),
                              {title: say("problems_count", "{n} problem(s)", {n: counts[path]})}));
        }
        if (path !== "app.json") {
          var remove = el("button", "btn btn-link btn-xs sf-b-remove", null,
                          {type: "button", "data-path": path, "aria-label": say("remove_named", "Remove {name}", {name: path}),
                           title: say("remove_named", "Remove {name}", {name: path})});
          remove.appendChild(el("i", "fa fa-times", null, {"aria-hidden": "true"}));
          remove.addEventListener("click", function () { removeDocument(path); });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
      section.appendChild(list);
      nav.appendChild(section);
    });
  }

  function addForm(group, type) {
    var form = el("form", "sf-b-add-form", null, {"data-group": group.key, autocomplete: "off", novalidate: ""});
    form.hidden = true;
    var id = "sf-b-add-" + group.key;
    form.appendChild(el("label", "sr-only", say("machine_name", "Machine name"), {"for": id}));
    var input = el("input", "form-control input-sm", null, {type: "text", id: id, name: "name", maxlength: "30",
                   placeholder: say("machine_name", "Machine name"), title: say("name_hint", "")});
    form.appendChild(input);
    var create = el("button", "btn btn-primary btn-xs", say("create", "Create"), {type: "submit"});
    form.appendChild(create);
    var cancel = el("button", "btn btn-link btn-xs", say("cancel", "Cancel"), {type: "button"});
    cancel.addEventListener("click", function () { form.hidden = true; });
    form.appendChild(cancel);
    var error = el("div", "text-danger sf-b-add-error", null, {"aria-live": "polite"});
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = input.value.trim();
      var path = group.key + "/" + name + ".json";
      if (!NAME.test(name) || name.length > 30) { error.textContent = say("bad_name", "“{name}” is not a machine name.", {name: name}); return; }
      if (W.draft.documents[path]) { error.textContent = say("name_taken", "“{name}” is already taken.", {name: name}); return; }
      error.textContent = "";
      createDocument(path, W.newDocument(type, name));
    });
    return form;
  }

  // --- loading, switching, saving ---------------------------------------------------------

  function setDraft(data) {
    W.draft = data;
    revisionBadge.textContent = W.draft.base_revision
      ? say("base_revision", "Draft of revision {n}", {n: W.draft.base_revision})
      : say("new_app_draft", "Draft of a new app");
    var manifest = W.draft.documents["app.json"];
    if (manifest) { root.querySelector(".sf-b-app-label").textContent = W.labelOf(manifest, app); }
  }

  function isDirty() { return Boolean(W.current) && JSON.stringify(W.current.doc) !== W.current.savedJson; }

  function showSaveState(text) { saveState.textContent = text; }

  function refreshSaveState() {
    if (saving) { showSaveState(say("saving", "Saving…")); }
    else if (isDirty()) { showSaveState(say("unsaved", "Unsaved changes")); }
    else { showSaveState(say("saved", "All changes saved to the draft")); }
  }

  function documentUrl(path) {
    return draftPath + "/documents/" + path.split("/").map(encodeURIComponent).join("/");
  }

  // Save the open document if it changed; resolves when the draft holds it, rejects when refused.
  function saveNow() {
    clearTimeout(saveTimer);
    if (saving) { return saving.then(saveNow); }
    if (!isDirty() || blocked) { return blocked ? Promise.reject(new Error(say("unsaved", "Unsaved changes"))) : Promise.resolve(); }
    var path = W.current.path, sentJson = JSON.stringify(W.current.doc);
    saving = B.api("PUT", documentUrl(path), {document: JSON.parse(sentJson), base_revision: W.draft.base_revision})
      .then(function (data) {
        saving = null;
        setDraft(data);
        if (W.current && W.current.path === path) { W.current.savedJson = sentJson; }
        refreshSaveState();
        renderNav();
        if (messages.querySelector(".sf-b-save-error")) { W.showMessage(); }
      }, function (error) {
        saving = null;
        refreshSaveState();
        if (error.status === 409) {
          blocked = true;
          var reapply = el("button", "btn btn-default btn-xs sf-b-reapply", say("reapply", "Open the new draft and save my change into it"), {type: "button"});
          reapply.addEventListener("click", reopenAndSave);
          W.showMessage("warning", say("save_conflict", "The draft changed elsewhere; your change is kept here, not saved."), reapply);
        } else {
          W.showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
        }
        var marker = messages.querySelector(".alert");
        if (marker) { marker.classList.add("sf-b-save-error"); }
        throw error;
      });
    refreshSaveState();
    return saving;
  }

  // After a conflict: read the draft as it is now and put the open document into it.
  function reopenAndSave() {
    B.api("GET", draftPath).then(function (data) {
      setDraft(data);
      blocked = false;
      return saveNow();
    }).then(function () { W.showMessage(); }, function () { /* the message says why */ });
  }

  function touched() {
    refreshSaveState();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () { saveNow().catch(function () { /* shown */ }); }, SAVE_DELAY);
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, CHECK_DELAY);
  }

  function runCheck() {
    if (!W.current) { return; }
    var seq = (checkSeq += 1), path = W.current.path;
    B.api("POST", draftPath + "/check", {path: path, document: W.current.doc}).then(function (result) {
      if (seq !== checkSeq || !W.current || W.current.path !== path) { return; }
      W.current.problems = result.problems || [];
      W.showProblems();
      renderNav();
    }, function () { /* a failed check changes nothing; the save reports errors */ });
  }

  function select(path) {
    if (W.current && W.current.path === path) { return; }
    var leaving = W.current;
    saveNow().then(function () {
      if (W.current !== leaving) { return; }
      open(path);
    }, function () { /* stays on the document; the message says why */ });
  }

  function destroyForms() {
    if (W.current) { W.current.forms.forEach(function (form) { form.destroy(); }); W.current.forms = []; }
  }

  function open(path) {
    destroyForms();
    var doc = W.draft.documents[path];
    W.current = {path: path, type: W.docType(path), doc: W.clone(doc), savedJson: JSON.stringify(doc),
               problems: (W.draft.problems || []).filter(function (p) { return p.path === path; }), forms: [],
               fieldForm: null, fieldIndex: null, stageForm: null, stageIndex: null};
    docTitle.textContent = path;
    main.textContent = "";
    if (W.current.type === "entity" && Array.isArray(W.current.doc.fields)) { W.renderEntity(); }
    else if (W.current.type === "pipeline" && Array.isArray(W.current.doc.stages)) { W.renderPipeline(); }
    else if (W.current.type === "role") { W.renderRole(); }
    else { W.renderGeneric(); }
    renderNav();
    refreshSaveState();
    W.showProblems();
    root.setAttribute("data-open", path);
  }

  function createDocument(path, doc) {
    saveNow().then(function () {
      return B.api("PUT", documentUrl(path), {document: doc, base_revision: W.draft.base_revision});
    }).then(function (data) {
      setDraft(data);
      open(path);
    }, function (error) {
      W.showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
    });
  }

  function removeDocument(path) {
    if (!window.confirm(say("confirm_remove", "Remove {name} from the draft?", {name: path}))) { return; }
    var wasOpen = W.current && W.current.path === path;
    (wasOpen ? Promise.resolve() : saveNow()).then(function () {
      return B.api("DELETE", documentUrl(path) + "?base_revision=" + encodeURIComponent(W.draft.base_revision));
    }).then(function (data) {
      setDraft(data);
      if (wasOpen) {
        destroyForms();
        W.current = null;
        main.textContent = "";
        main.appendChild(el("p", "sf-muted", say("pick_document", "Pick a document on the left, or add one.")));
        docTitle.textContent = "";
        problemsBox.textContent = "";
        refreshSaveState();
      }
      renderNav();
    }, function (error) {
      W.showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
    });
  }
  root.querySelector(".sf-b-save").addEventListener("click", function () {
    saveNow().then(refreshSaveState, function () { /* shown */ });
  });

  window.addEventListener("beforeunload", function (event) {
    if (isDirty() || saving) {
      event.preventDefault();
      event.returnValue = say("leave_warning", "Some changes are not saved yet.");
      return event.returnValue;
    }
    return undefined;
  });
  // Open the draft again (after a publish or a discard) and the document that was open.
  function reload() {
    return B.api("GET", draftPath).then(function (data) {
      setDraft(data);
      blocked = false;
      var path = W.current && W.draft.documents[W.current.path] ? W.current.path : "app.json";
      W.current = null;
      open(path);
    });
  }

  // A save that was waiting is not wanted any more (the draft is thrown away).
  function cancelSave() { clearTimeout(saveTimer); }

  Object.assign(W, {cancelSave: cancelSave, open: open, reload: reload, saveNow: saveNow,
                    setDraft: setDraft, touched: touched});
})();
