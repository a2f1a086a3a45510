/* The builder's workspace of one app (PL24): the draft's documents grouped on the left, a form of
   the selected document in the middle, the publish panel on top.

   Forms are json-editor forms of the schemas the metadata API serves (/_meta/forms), so a new
   field kind, trigger or action needs no code here. Two parts are hand-written because schema
   forms are poor at them: an entity's fields as a table (reordered by drag or by buttons, each
   field edited with its kind's form) and a pipeline's stages as a sortable list. Every change is
   checked at once (POST .../draft/check, nothing stored) and shown beside its input, and saved to
   the draft shortly after (PUT .../draft/documents/<path>); the page warns before leaving with
   an unsaved change, and a refused save keeps the change on the page. */
(function () {
  "use strict";
  var root = document.querySelector(".sf-builder-workspace");
  if (!root) { return; }
  var B = window.StageflowBuilder;
  var el = B.el;
  var say = B.textsOf(root);
  var app = root.getAttribute("data-app");
  var locale = B.pageLocale();
  var draftPath = "/apps/" + encodeURIComponent(app) + "/draft";
  var NAME = /^[a-z](?:[a-z0-9]|_(?!_))*$/;
  var CHECK_DELAY = 150, SAVE_DELAY = 800, TYPING_DELAY = 150;

  var nav = root.querySelector(".sf-b-nav");
  var main = root.querySelector(".sf-b-editor");
  var docTitle = root.querySelector(".sf-b-doc-title");
  var problemsBox = root.querySelector(".sf-b-problems");
  var messages = root.querySelector(".sf-b-message");
  var revisionBadge = root.querySelector(".sf-b-revision");
  var saveState = root.querySelector(".sf-b-save-state");
  var publishPanel = root.querySelector(".sf-b-publish");

  // json-editor's own strings in the user's language; missing ones fall back to its English.
  JSONEditor.defaults.languages.sf = JSON.parse(root.getAttribute("data-form-texts") || "{}");
  JSONEditor.defaults.language = "sf";

  var forms = null;        // /_meta/forms
  var draft = null;        // the draft object as the server last answered
  var current = null;      // the open document: {path, type, doc, savedJson, problems, forms: []}
  var saving = null;       // the promise of the save in flight
  var saveTimer = null, checkTimer = null, checkSeq = 0, blocked = false;

  function clone(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }
  function labelOf(thing, fallback) { return B.labelText(thing && thing.label, locale, fallback || (thing && thing.name) || ""); }

  function showMessage(kind, text, extra) {
    messages.textContent = "";
    if (!text) { return; }
    var box = B.alertBox(kind, text);
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
    messages.appendChild(box);
  }

  // --- documents and their places -------------------------------------------------------

  var GROUPS = [
    {key: "app", path: "app.json", type: "app"},
    {key: "org", path: "org.json", type: "org"},
    {key: "entities"}, {key: "handbooks"}, {key: "pipelines"}, {key: "roles"}, {key: "rules"},
    {key: "reports"}, {key: "dashboards"}, {key: "templates"}, {key: "forms"}
  ];

  function folderType(folder) {
    var singular = /ies$/.test(folder) ? folder.replace(/ies$/, "y") : folder.replace(/s$/, "");
    return forms && forms.documents[singular] ? singular : null;
  }

  function docType(path) {
    if (path.indexOf("/") < 0) { return forms.documents[path.replace(/\.json$/, "")] ? path.replace(/\.json$/, "") : null; }
    return folderType(path.split("/")[0]);
  }

  function docName(path) { return path.split("/").pop().replace(/\.json$/, ""); }

  function pathsIn(folder) {
    return Object.keys(draft.documents).filter(function (path) { return path.indexOf(folder + "/") === 0; }).sort();
  }

  function groupsOfDraft() {
    var groups = GROUPS.slice();
    var known = {};
    groups.forEach(function (group) { known[group.key] = true; });
    Object.keys(draft.documents).forEach(function (path) {
      var folder = path.indexOf("/") >= 0 ? path.split("/")[0] : null;
      if (folder && !known[folder]) { known[folder] = true; groups.push({key: folder, other: true}); }
    });
    return groups;
  }

  function groupLabel(group) { return group.other ? group.key : say("group_" + group.key, group.key); }

  function entityNames() { return pathsIn("entities").map(docName); }

  // --- a minimal document of a type, from its schema's required properties ----------------

  function resolve(schema, definitions) {
    var seen = 0;
    while (schema && schema.$ref && seen < 20) {
      var key = schema.$ref.replace(/^#\/(definitions|\$defs)\//, "");
      schema = (definitions || {})[key];
      seen += 1;
    }
    return schema || {};
  }

  function humanize(name) {
    var text = String(name).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function minimal(schema, key, name, definitions, depth) {
    schema = resolve(schema, definitions);
    if (depth > 6) { return null; }
    if (Object.prototype.hasOwnProperty.call(schema, "const")) { return clone(schema.const); }
    if (schema.oneOf || schema.anyOf) {
      var first = resolve((schema.oneOf || schema.anyOf)[0], definitions);
      var merged = Object.assign({}, schema, first);
      delete merged.oneOf; delete merged.anyOf;
      if (first.required && schema.required) { merged.required = schema.required.concat(first.required); }
      return minimal(merged, key, name, definitions, depth + 1);
    }
    if (schema.enum) { return clone(schema.enum[0]); }
    var type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === "object" || (!type && schema.properties)) {
      var result = {};
      (schema.required || []).forEach(function (property) {
        result[property] = minimal((schema.properties || {})[property] || {}, property, name, definitions, depth + 1);
      });
      return result;
    }
    if (type === "array") {
      var items = [];
      for (var i = 0; i < (schema.minItems || 0); i += 1) { items.push(minimal(schema.items || {}, null, name, definitions, depth + 1)); }
      return items;
    }
    if (Object.prototype.hasOwnProperty.call(schema, "default")) { return clone(schema.default); }
    if (type === "integer" || type === "number") { return schema.minimum || 0; }
    if (type === "boolean") { return false; }
    if (key === "label" || key === "title") { return humanize(name); }
    if (key === "kind" && forms.field_kinds.string) { return "string"; }
    if (key === "entity" && entityNames().length) { return entityNames()[0]; }
    return name;
  }

  function newDocument(type, name) {
    var schema = forms.documents[type];
    var doc = minimal(schema, null, name, schema.definitions, 0) || {};
    if (type === "entity") {
      doc.fields = [{name: "title", kind: "string", label: humanize("title"), required: true}];
      doc.title_field = "title";
    }
    return doc;
  }

  // --- the navigation ---------------------------------------------------------------------

  function problemCounts() {
    var counts = {};
    (draft.problems || []).forEach(function (problem) { counts[problem.path] = (counts[problem.path] || 0) + 1; });
    if (current && current.problems) { counts[current.path] = current.problems.length; }
    return counts;
  }

  function renderNav() {
    nav.textContent = "";
    var counts = problemCounts();
    groupsOfDraft().forEach(function (group) {
      var section = el("section", "sf-b-group", null, {"data-group": group.key});
      var header = el("div", "sf-b-group-header");
      header.appendChild(el("h3", "sf-b-group-title", groupLabel(group)));
      var paths = group.path ? (draft.documents[group.path] ? [group.path] : []) : pathsIn(group.key);
      var type = group.type || folderType(group.key);
      var single = Boolean(group.path);
      var addable = type && (!single || !paths.length);
      var form = null;
      if (addable) {
        var add = el("button", "btn btn-default btn-xs sf-b-add", null,
                     {type: "button", "data-group": group.key, "aria-label": say("add", "Add") + ": " + groupLabel(group)});
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
          add.addEventListener("click", function () { createDocument(group.path, newDocument(type, app)); });
        }
      }
      section.appendChild(header);
      if (form) { section.appendChild(form); }
      var list = el("ul", "list-unstyled sf-b-docs");
      paths.forEach(function (path) {
        var item = el("li", "sf-b-doc-item" + (current && current.path === path ? " active" : ""), null, {"data-path": path});
        var open = el("button", "btn btn-link btn-sm sf-b-doc", single ? groupLabel(group) : docName(path),
                      {type: "button", "data-path": path});
        if (current && current.path === path) { open.setAttribute("aria-current", "true"); }
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
      if (draft.documents[path]) { error.textContent = say("name_taken", "“{name}” is already taken.", {name: name}); return; }
      error.textContent = "";
      createDocument(path, newDocument(type, name));
    });
    return form;
  }

  // --- loading, switching, saving ---------------------------------------------------------

  function setDraft(data) {
    draft = data;
    revisionBadge.textContent = draft.base_revision
      ? say("base_revision", "Draft of revision {n}", {n: draft.base_revision})
      : say("new_app_draft", "Draft of a new app");
    var manifest = draft.documents["app.json"];
    if (manifest) { root.querySelector(".sf-b-app-label").textContent = labelOf(manifest, app); }
  }

  function isDirty() { return Boolean(current) && JSON.stringify(current.doc) !== current.savedJson; }

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
    var path = current.path, sentJson = JSON.stringify(current.doc);
    saving = B.api("PUT", documentUrl(path), {document: JSON.parse(sentJson), base_revision: draft.base_revision})
      .then(function (data) {
        saving = null;
        setDraft(data);
        if (current && current.path === path) { current.savedJson = sentJson; }
        refreshSaveState();
        renderNav();
        if (messages.querySelector(".sf-b-save-error")) { showMessage(); }
      }, function (error) {
        saving = null;
        refreshSaveState();
        if (error.status === 409) {
          blocked = true;
          var reapply = el("button", "btn btn-default btn-xs sf-b-reapply", say("reapply", "Open the new draft and save my change into it"), {type: "button"});
          reapply.addEventListener("click", reopenAndSave);
          showMessage("warning", say("save_conflict", "The draft changed elsewhere; your change is kept here, not saved."), reapply);
        } else {
          showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
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
    }).then(function () { showMessage(); }, function () { /* the message says why */ });
  }

  function touched() {
    refreshSaveState();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () { saveNow().catch(function () { /* shown */ }); }, SAVE_DELAY);
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, CHECK_DELAY);
  }

  function runCheck() {
    if (!current) { return; }
    var seq = (checkSeq += 1), path = current.path;
    B.api("POST", draftPath + "/check", {path: path, document: current.doc}).then(function (result) {
      if (seq !== checkSeq || !current || current.path !== path) { return; }
      current.problems = result.problems || [];
      showProblems();
      renderNav();
    }, function () { /* a failed check changes nothing; the save reports errors */ });
  }

  function select(path) {
    if (current && current.path === path) { return; }
    var leaving = current;
    saveNow().then(function () {
      if (current !== leaving) { return; }
      open(path);
    }, function () { /* stays on the document; the message says why */ });
  }

  function destroyForms() {
    if (current) { current.forms.forEach(function (form) { form.destroy(); }); current.forms = []; }
  }

  function open(path) {
    destroyForms();
    var doc = draft.documents[path];
    current = {path: path, type: docType(path), doc: clone(doc), savedJson: JSON.stringify(doc),
               problems: (draft.problems || []).filter(function (p) { return p.path === path; }), forms: [],
               fieldForm: null, fieldIndex: null, stageForm: null, stageIndex: null};
    docTitle.textContent = path;
    main.textContent = "";
    if (current.type === "entity" && Array.isArray(current.doc.fields)) { renderEntity(); }
    else if (current.type === "pipeline" && Array.isArray(current.doc.stages)) { renderPipeline(); }
    else { renderGeneric(); }
    renderNav();
    refreshSaveState();
    showProblems();
    root.setAttribute("data-open", path);
  }

  function createDocument(path, doc) {
    saveNow().then(function () {
      return B.api("PUT", documentUrl(path), {document: doc, base_revision: draft.base_revision});
    }).then(function (data) {
      setDraft(data);
      open(path);
    }, function (error) {
      showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
    });
  }

  function removeDocument(path) {
    if (!window.confirm(say("confirm_remove", "Remove {name} from the draft?", {name: path}))) { return; }
    var wasOpen = current && current.path === path;
    (wasOpen ? Promise.resolve() : saveNow()).then(function () {
      return B.api("DELETE", documentUrl(path) + "?base_revision=" + encodeURIComponent(draft.base_revision));
    }).then(function (data) {
      setDraft(data);
      if (wasOpen) {
        destroyForms();
        current = null;
        main.textContent = "";
        main.appendChild(el("p", "sf-muted", say("pick_document", "Pick a document on the left, or add one.")));
        docTitle.textContent = "";
        problemsBox.textContent = "";
        refreshSaveState();
      }
      renderNav();
    }, function (error) {
      showMessage("danger", say("save_failed", "Not saved: {message}", {message: error.message}));
    });
  }

  // --- json-editor forms ------------------------------------------------------------------

  // A copy of a schema for json-editor: the format version and kind hidden or fixed, a
  // document's own name fixed, some properties left to hand-written widgets.
  function formSchema(schema, options) {
    var copy = clone(schema);
    options = options || {};
    if (options.definitions && !copy.definitions) { copy.definitions = options.definitions; }
    (function fix(node) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node)) { node.forEach(fix); return; }
      if (node.uniqueItems && typeof node.uniqueItems === "object") { node.uniqueItems = true; }
      // Recursive condition trees make json-editor build forms without end: a condition is
      // edited as a free object there (the live check still validates it).
      if (typeof node.$ref === "string") {
        delete node.$ref;
        node.type = "object";
        node.options = Object.assign({disable_properties: false}, node.options || {});
      }
      // A map with free keys (a role's entities, a label per locale) needs json-editor's
      // "Properties" button to add a key.
      if (node.additionalProperties && typeof node.additionalProperties === "object" && !node.properties) {
        node.options = Object.assign({disable_properties: false}, node.options || {});
      }
      Object.keys(node).forEach(function (key) { if (key !== "const" && key !== "default" && key !== "enum") { fix(node[key]); } });
    })(copy);
    var properties = copy.properties || {};
    if (properties.schema_version) { properties.schema_version.options = {hidden: true}; }
    (options.readOnly || []).forEach(function (key) { if (properties[key]) { properties[key].readOnly = true; } });
    (options.without || []).forEach(function (key) {
      delete properties[key];
      if (copy.required) { copy.required = copy.required.filter(function (name) { return name !== key; }); }
    });
    if (options.title !== undefined) { copy.title = options.title; }
    // An untitled form sits under a heading of the page's own: no "root" header of json-editor's.
    if (!copy.title) { copy.options = Object.assign({}, copy.options || {}, {compact: true}); }
    return copy;
  }

  function pick(doc, without) {
    var result = {};
    Object.keys(doc || {}).forEach(function (key) { if (without.indexOf(key) < 0) { result[key] = doc[key]; } });
    return result;
  }

  // The form's value put back into the document, keeping the document's key order and the
  // properties the form leaves to other widgets.
  function compose(doc, value, kept) {
    var result = {};
    Object.keys(doc).forEach(function (key) {
      if (kept.indexOf(key) >= 0) { result[key] = doc[key]; }
      else if (Object.prototype.hasOwnProperty.call(value, key)) { result[key] = value[key]; }
    });
    Object.keys(value).forEach(function (key) { if (!(key in result)) { result[key] = value[key]; } });
    return result;
  }

  // A json-editor form; onValue gets the form's value after each change the user makes (also
  // while typing, not only when an input loses focus).
  function makeForm(holder, schema, value, onValue) {
    var form = new JSONEditor(holder, {
      schema: schema, startval: value, theme: "bootstrap3", iconlib: "fontawesome4",
      show_errors: "never", show_opt_in: true, disable_edit_json: true, disable_properties: true,
      disable_array_delete_all_rows: true, disable_array_delete_last_row: true, prompt_before_delete: true,
      array_controls_top: false, max_depth: 12
    });
    var last = null, typing = null;
    form.on("ready", function () { last = JSON.stringify(form.getValue()); });
    form.on("change", function () {
      if (last === null) { return; }
      var now = form.getValue(), json = JSON.stringify(now);
      if (json === last) { return; }
      last = json;
      onValue(now);
    });
    holder.addEventListener("input", function (event) {
      var target = event.target;
      if (!(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) { return; }
      if (target.type === "checkbox" || target.type === "radio") { return; }
      clearTimeout(typing);
      typing = setTimeout(function () { target.dispatchEvent(new Event("change", {bubbles: true})); }, TYPING_DELAY);
    });
    current.forms.push(form);
    return form;
  }

  function dropForm(form) {
    if (!form || !current) { return; }
    form.destroy();
    current.forms = current.forms.filter(function (other) { return other !== form; });
  }

  function renderGeneric() {
    var schema = forms.documents[current.type];
    var holder = el("div", "sf-b-form");
    main.appendChild(holder);
    if (!schema) { holder.appendChild(el("pre", "sf-b-raw", JSON.stringify(current.doc, null, 2))); return; }
    current.mainForm = makeForm(holder, formSchema(schema, {readOnly: ["name"]}), current.doc, function (value) {
      current.doc = compose(current.doc, value, []);
      touched();
    });
  }

  // --- entity: the fields table and the entity's own settings -----------------------------

  function renderEntity() {
    var doc = current.doc;
    var fieldsSection = el("section", "sf-b-section sf-b-fields-section");
    fieldsSection.appendChild(el("h3", "h5 sf-b-section-title", say("fields", "Fields")));
    var table = el("table", "table table-condensed sf-b-fields");
    var head = el("thead"), headRow = el("tr");
    [["", "sf-b-handle-cell"], [say("machine_name", "Machine name")], [say("label", "Label")], [say("kind", "Kind")],
     [say("required", "Required")], [""]].forEach(function (column) {
      headRow.appendChild(el("th", column[1] || null, column[0], {scope: "col"}));
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    table.appendChild(body);
    fieldsSection.appendChild(table);
    fieldsSection.appendChild(addFieldForm());
    var fieldHolder = el("div", "sf-b-sub-editor sf-b-field-editor");
    fieldHolder.hidden = true;
    fieldsSection.appendChild(fieldHolder);
    main.appendChild(fieldsSection);

    var settings = el("section", "sf-b-section sf-b-entity-settings");
    settings.appendChild(el("h3", "h5 sf-b-section-title", say("entity_settings", "Entity settings")));
    var holder = el("div", "sf-b-form");
    settings.appendChild(holder);
    main.appendChild(settings);
    current.mainForm = makeForm(holder, formSchema(forms.documents.entity, {readOnly: ["name"], without: ["fields"], title: ""}),
                                pick(doc, ["fields"]), function (value) {
      current.doc = compose(current.doc, value, ["fields"]);
      touched();
    });
    current.fieldsBody = body;
    current.fieldHolder = fieldHolder;
    renderFieldRows();
    Sortable.create(body, {handle: ".sf-b-handle", animation: 120, onEnd: function (event) {
      if (event.oldIndex === event.newIndex) { return; }
      moveItem(current.doc.fields, event.oldIndex, event.newIndex, "field");
    }});
  }

  function moveItem(list, from, to, what) {
    var item = list.splice(from, 1)[0];
    list.splice(to, 0, item);
    var index = what === "field" ? current.fieldIndex : current.stageIndex;
    if (index !== null) {
      if (index === from) { index = to; }
      else if (from < index && to >= index) { index -= 1; }
      else if (from > index && to <= index) { index += 1; }
      if (what === "field") { current.fieldIndex = index; } else { current.stageIndex = index; }
    }
    if (what === "field") { renderFieldRows(); } else { renderStageItems(); }
    touched();
  }

  function iconButton(icon, className, label, onClick) {
    var button = el("button", "btn btn-default btn-xs " + className, null, {type: "button", "aria-label": label, title: label});
    button.appendChild(el("i", "fa " + icon, null, {"aria-hidden": "true"}));
    button.addEventListener("click", onClick);
    return button;
  }

  function renderFieldRows() {
    var body = current.fieldsBody;
    body.textContent = "";
    var fields = current.doc.fields;
    fields.forEach(function (field, index) {
      var name = field.name || "";
      var row = el("tr", "sf-b-field-row" + (current.fieldIndex === index ? " info" : ""), null,
                   {"data-field": name, "data-index": String(index)});
      var handle = el("td", "sf-b-handle-cell");
      handle.appendChild(el("span", "sf-b-handle fa fa-bars", null, {title: say("drag", "Drag to reorder"), "aria-hidden": "true"}));
      row.appendChild(handle);
      var nameCell = el("td", "sf-b-mono sf-b-field-name");
      nameCell.appendChild(el("span", null, name));
      row.appendChild(nameCell);
      row.appendChild(el("td", "sf-b-field-label", B.labelText(field.label, locale, "")));
      row.appendChild(el("td", "sf-b-field-kind", field.kind || ""));
      var requiredCell = el("td", "sf-b-field-required");
      var box = el("input", null, null, {type: "checkbox", "aria-label": say("required", "Required") + ": " + name});
      box.checked = Boolean(field.required);
      box.addEventListener("change", function () {
        if (box.checked) { field.required = true; } else { delete field.required; }
        if (current.fieldIndex === index) { openField(index); }
        touched();
      });
      requiredCell.appendChild(box);
      row.appendChild(requiredCell);
      var actions = el("td", "text-right sf-b-row-actions");
      var edit = el("button", "btn btn-default btn-xs sf-b-edit-field", say("edit", "Edit"), {type: "button", "aria-label": say("edit", "Edit") + ": " + name});
      edit.addEventListener("click", function () { openField(index); });
      actions.appendChild(edit);
      actions.appendChild(iconButton("fa-arrow-up", "sf-b-up", say("move_up", "Move {name} up", {name: name}), function () {
        if (index > 0) { moveItem(current.doc.fields, index, index - 1, "field"); }
      }));
      actions.appendChild(iconButton("fa-arrow-down", "sf-b-down", say("move_down", "Move {name} down", {name: name}), function () {
        if (index < current.doc.fields.length - 1) { moveItem(current.doc.fields, index, index + 1, "field"); }
      }));
      actions.appendChild(iconButton("fa-trash", "sf-b-remove-field", say("remove_named", "Remove {name}", {name: name}), function () {
        if (!window.confirm(say("confirm_remove", "Remove {name}?", {name: name}))) { return; }
        current.doc.fields.splice(index, 1);
        if (current.fieldIndex === index) { closeField(); }
        else if (current.fieldIndex !== null && current.fieldIndex > index) { current.fieldIndex -= 1; }
        renderFieldRows();
        touched();
      }));
      row.appendChild(actions);
      body.appendChild(row);
    });
    showProblems();
  }

  function addFieldForm() {
    var form = el("form", "form-inline sf-b-add-field", null, {autocomplete: "off", novalidate: ""});
    var nameInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-field-name", name: "name",
                       maxlength: "30", placeholder: say("machine_name", "Machine name"), title: say("name_hint", "")});
    var labelInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-field-label", name: "label",
                        maxlength: "200", placeholder: say("label", "Label")});
    var kindSelect = el("select", "form-control input-sm", null, {id: "sf-b-new-field-kind", name: "kind"});
    Object.keys(forms.field_kinds).sort().forEach(function (kind) {
      kindSelect.appendChild(el("option", null, kind, {value: kind}));
    });
    if (forms.field_kinds.string) { kindSelect.value = "string"; }
    [[nameInput, say("machine_name", "Machine name")], [labelInput, say("label", "Label")], [kindSelect, say("kind", "Kind")]]
      .forEach(function (pair) {
        var group = el("div", "form-group");
        group.appendChild(el("label", "sr-only", pair[1], {"for": pair[0].id}));
        group.appendChild(pair[0]);
        form.appendChild(group);
        form.appendChild(document.createTextNode(" "));
      });
    var add = el("button", "btn btn-default btn-sm sf-b-add-field-button", null, {type: "submit"});
    add.appendChild(el("i", "fa fa-plus", null, {"aria-hidden": "true"}));
    add.appendChild(document.createTextNode(" " + say("add_field", "Add field")));
    form.appendChild(add);
    var error = el("div", "text-danger sf-b-add-error", null, {"aria-live": "polite"});
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = nameInput.value.trim();
      if (!NAME.test(name) || name.length > 30) { error.textContent = say("bad_name", "“{name}” is not a machine name.", {name: name}); return; }
      if (current.doc.fields.some(function (field) { return field.name === name; })) {
        error.textContent = say("name_taken", "“{name}” is already taken.", {name: name});
        return;
      }
      error.textContent = "";
      var field = {name: name, kind: kindSelect.value, label: labelInput.value.trim() || humanize(name)};
      var schema = forms.field_kinds[field.kind] || {};
      var options = (schema.properties || {}).options;
      if (options && ((options.required && options.required.length) || options.oneOf || options.anyOf)) {
        field.options = minimal(options, "options", name, schema.definitions, 0);
      }
      current.doc.fields.push(field);
      nameInput.value = "";
      labelInput.value = "";
      renderFieldRows();
      openField(current.doc.fields.length - 1);
      touched();
    });
    return form;
  }

  function subEditorHeader(holder, title, onDone) {
    var header = el("div", "sf-b-sub-header");
    header.appendChild(el("h4", "h5 sf-b-sub-title", title));
    var done = el("button", "btn btn-default btn-xs sf-b-done", say("done", "Done"), {type: "button"});
    done.addEventListener("click", onDone);
    header.appendChild(done);
    holder.appendChild(header);
  }

  function openField(index) {
    var field = current.doc.fields[index];
    if (!field) { return; }
    dropForm(current.fieldForm);
    current.fieldIndex = index;
    var holder = current.fieldHolder;
    holder.textContent = "";
    holder.hidden = false;
    holder.setAttribute("data-field", field.name || "");
    subEditorHeader(holder, say("field_settings", "Field “{name}”", {name: field.name || ""}) + " · " + field.kind, closeField);
    var formHolder = el("div", "sf-b-form");
    holder.appendChild(formHolder);
    var schema = forms.field_kinds[field.kind] || forms.documents.entity.properties.fields.items;
    current.fieldForm = makeForm(formHolder, formSchema(schema, {readOnly: ["kind"], title: "",
                                 definitions: forms.documents.entity.definitions}), field, function (value) {
      var position = current.fieldIndex;
      current.doc.fields[position] = compose(current.doc.fields[position], value, []);
      updateFieldRow(position);
      touched();
    });
    Array.prototype.forEach.call(current.fieldsBody.children, function (row, i) { row.classList.toggle("info", i === index); });
    showProblems();
  }

  function updateFieldRow(index) {
    var row = current.fieldsBody.children[index];
    var field = current.doc.fields[index];
    if (!row || !field) { return; }
    row.setAttribute("data-field", field.name || "");
    row.querySelector(".sf-b-field-name span").textContent = field.name || "";
    row.querySelector(".sf-b-field-label").textContent = B.labelText(field.label, locale, "");
    row.querySelector(".sf-b-field-required input").checked = Boolean(field.required);
  }

  function closeField() {
    dropForm(current.fieldForm);
    current.fieldForm = null;
    current.fieldIndex = null;
    current.fieldHolder.textContent = "";
    current.fieldHolder.hidden = true;
    Array.prototype.forEach.call(current.fieldsBody.children, function (row) { row.classList.remove("info"); });
  }

  // --- pipeline: stages in order, each edited by its schema form ----------------------------

  function renderPipeline() {
    var doc = current.doc;
    var stagesSection = el("section", "sf-b-section sf-b-stages-section");
    stagesSection.appendChild(el("h3", "h5 sf-b-section-title", say("stages", "Stages")));
    var list = el("ol", "list-unstyled sf-b-stages");
    stagesSection.appendChild(list);
    stagesSection.appendChild(addStageForm());
    var stageHolder = el("div", "sf-b-sub-editor sf-b-stage-editor");
    stageHolder.hidden = true;
    stagesSection.appendChild(stageHolder);
    main.appendChild(stagesSection);
    var settings = el("section", "sf-b-section sf-b-pipeline-settings");
    settings.appendChild(el("h3", "h5 sf-b-section-title", say("pipeline_settings", "Pipeline settings")));
    var holder = el("div", "sf-b-form");
    settings.appendChild(holder);
    main.appendChild(settings);
    current.mainForm = makeForm(holder, formSchema(forms.documents.pipeline, {readOnly: ["name"], without: ["stages"], title: ""}),
                                pick(doc, ["stages"]), function (value) {
      current.doc = compose(current.doc, value, ["stages"]);
      touched();
    });
    current.stagesList = list;
    current.stageHolder = stageHolder;
    renderStageItems();
    Sortable.create(list, {handle: ".sf-b-handle", animation: 120, onEnd: function (event) {
      if (event.oldIndex === event.newIndex) { return; }
      moveItem(current.doc.stages, event.oldIndex, event.newIndex, "stage");
    }});
  }

  function renderStageItems() {
    var list = current.stagesList;
    list.textContent = "";
    current.doc.stages.forEach(function (stage, index) {
      var name = stage.name || "";
      var item = el("li", "sf-b-stage" + (current.stageIndex === index ? " active" : ""), null, {"data-stage": name, "data-index": String(index)});
      item.appendChild(el("span", "sf-b-handle fa fa-bars", null, {title: say("drag", "Drag to reorder"), "aria-hidden": "true"}));
      var swatch = el("span", "sf-b-swatch", null, {"aria-hidden": "true"});
      if (typeof stage.color === "string" && /^#[0-9a-fA-F]{6}$/.test(stage.color)) { swatch.style.backgroundColor = stage.color; }
      item.appendChild(swatch);
      item.appendChild(el("span", "sf-b-stage-label", B.labelText(stage.label, locale, name)));
      item.appendChild(el("span", "sf-b-mono sf-muted sf-b-stage-name", name));
      if (stage.kind && stage.kind !== "open") { item.appendChild(el("span", "label label-default sf-b-stage-kind", stage.kind)); }
      var actions = el("span", "sf-b-row-actions");
      var edit = el("button", "btn btn-default btn-xs sf-b-edit-stage", say("edit", "Edit"), {type: "button", "aria-label": say("edit", "Edit") + ": " + name});
      edit.addEventListener("click", function () { openStage(index); });
      actions.appendChild(edit);
      actions.appendChild(iconButton("fa-arrow-up", "sf-b-up", say("move_up", "Move {name} up", {name: name}), function () {
        if (index > 0) { moveItem(current.doc.stages, index, index - 1, "stage"); }
      }));
      actions.appendChild(iconButton("fa-arrow-down", "sf-b-down", say("move_down", "Move {name} down", {name: name}), function () {
        if (index < current.doc.stages.length - 1) { moveItem(current.doc.stages, index, index + 1, "stage"); }
      }));
      actions.appendChild(iconButton("fa-trash", "sf-b-remove-stage", say("remove_named", "Remove {name}", {name: name}), function () {
        if (!window.confirm(say("confirm_remove", "Remove {name}?", {name: name}))) { return; }
        current.doc.stages.splice(index, 1);
        if (current.stageIndex === index) { closeStage(); }
        else if (current.stageIndex !== null && current.stageIndex > index) { current.stageIndex -= 1; }
        renderStageItems();
        touched();
      }));
      item.appendChild(actions);
      list.appendChild(item);
    });
    showProblems();
  }

  function addStageForm() {
    var form = el("form", "form-inline sf-b-add-stage", null, {autocomplete: "off", novalidate: ""});
    var nameInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-stage-name", name: "name",
                       maxlength: "30", placeholder: say("machine_name", "Machine name"), title: say("name_hint", "")});
    var labelInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-stage-label", name: "label",
                        maxlength: "200", placeholder: say("label", "Label")});
    [[nameInput, say("machine_name", "Machine name")], [labelInput, say("label", "Label")]].forEach(function (pair) {
      var group = el("div", "form-group");
      group.appendChild(el("label", "sr-only", pair[1], {"for": pair[0].id}));
      group.appendChild(pair[0]);
      form.appendChild(group);
      form.appendChild(document.createTextNode(" "));
    });
    var add = el("button", "btn btn-default btn-sm sf-b-add-stage-button", null, {type: "submit"});
    add.appendChild(el("i", "fa fa-plus", null, {"aria-hidden": "true"}));
    add.appendChild(document.createTextNode(" " + say("add_stage", "Add stage")));
    form.appendChild(add);
    var error = el("div", "text-danger sf-b-add-error", null, {"aria-live": "polite"});
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = nameInput.value.trim();
      if (!NAME.test(name) || name.length > 30) { error.textContent = say("bad_name", "“{name}” is not a machine name.", {name: name}); return; }
      if (current.doc.stages.some(function (stage) { return stage.name === name; })) {
        error.textContent = say("name_taken", "“{name}” is already taken.", {name: name});
        return;
      }
      error.textContent = "";
      current.doc.stages.push({name: name, label: labelInput.value.trim() || humanize(name)});
      nameInput.value = "";
      labelInput.value = "";
      renderStageItems();
      touched();
    });
    return form;
  }

  function openStage(index) {
    var stage = current.doc.stages[index];
    if (!stage) { return; }
    dropForm(current.stageForm);
    current.stageIndex = index;
    var holder = current.stageHolder;
    holder.textContent = "";
    holder.hidden = false;
    holder.setAttribute("data-stage", stage.name || "");
    subEditorHeader(holder, say("stage_settings", "Stage “{name}”", {name: stage.name || ""}), closeStage);
    var formHolder = el("div", "sf-b-form");
    holder.appendChild(formHolder);
    var pipeline = forms.documents.pipeline;
    current.stageForm = makeForm(formHolder, formSchema(pipeline.properties.stages.items,
                                 {definitions: pipeline.definitions, title: ""}), stage, function (value) {
      var position = current.stageIndex;
      current.doc.stages[position] = compose(current.doc.stages[position], value, []);
      renderStageItems();
      touched();
    });
    showProblems();
  }

  function closeStage() {
    dropForm(current.stageForm);
    current.stageForm = null;
    current.stageIndex = null;
    current.stageHolder.textContent = "";
    current.stageHolder.hidden = true;
    renderStageItems();
  }

  // --- problems beside their inputs -------------------------------------------------------

  function pointerParts(pointer) {
    return String(pointer || "").split("/").slice(1).filter(function (part) { return part !== ""; })
      .map(function (part) { return part.replace(/~1/g, "/").replace(/~0/g, "~"); });
  }

  // Where a problem shows: the list/table row it names, and the form and editor path inside it.
  function placeOf(problem) {
    var parts = pointerParts(problem.pointer);
    var list = current.fieldsBody ? "fields" : current.stagesList ? "stages" : null;
    if (list && parts[0] === list) {
      var index = parts.length > 1 ? Number(parts[1]) : null;
      var openIndex = list === "fields" ? current.fieldIndex : current.stageIndex;
      var form = list === "fields" ? current.fieldForm : current.stageForm;
      if (index !== null && !isNaN(index)) {
        return {row: index, list: list, form: openIndex === index ? form : null, path: ["root"].concat(parts.slice(2)).join(".")};
      }
      return {list: list, form: null};
    }
    return {form: current.mainForm, path: ["root"].concat(parts).join(".")};
  }

  function describe(problem) {
    var parts = pointerParts(problem.pointer);
    var words = [];
    if ((parts[0] === "fields" || parts[0] === "stages") && parts.length > 1 && current.doc[parts[0]]) {
      var item = current.doc[parts[0]][Number(parts[1])];
      words.push((parts[0] === "fields" ? say("fields", "Fields") : say("stages", "Stages")) + ": " + ((item && item.name) || parts[1]));
      parts = parts.slice(2);
    }
    if (parts.length) { words.push(parts.join(" › ")); }
    return (words.length ? words.join(" › ") + ": " : "") + problem.message;
  }

  function clearMarks() {
    Array.prototype.forEach.call(main.querySelectorAll(".sf-b-problem"), function (node) { node.remove(); });
    Array.prototype.forEach.call(main.querySelectorAll(".sf-b-flagged"), function (node) {
      node.classList.remove("has-error", "sf-b-flagged", "danger");
    });
  }

  function flag(node) { node.classList.add("has-error", "sf-b-flagged"); }

  function markInForm(form, path, message) {
    if (!form || !form.ready) { return false; }
    var editor = form.getEditor(path);
    while (!editor && path.lastIndexOf(".") > 0) {
      path = path.slice(0, path.lastIndexOf("."));
      editor = form.getEditor(path);
    }
    editor = editor || form.root;
    while (editor && editor.parent && !(editor.container && editor.container.offsetParent)) { editor = editor.parent; }
    if (!editor || !editor.container) { return false; }
    var note = el("div", "help-block sf-b-problem", message, {role: "note"});
    var input = editor.input && editor.input.offsetParent ? editor.input : null;
    if (input) {
      flag(input.closest(".form-group") || editor.container);
      input.parentNode.insertBefore(note, input.nextSibling);
    } else {
      flag(editor.container);
      editor.container.insertBefore(note, editor.container.firstChild);
    }
    return true;
  }

  function showProblems() {
    if (!current) { return; }
    clearMarks();
    var problems = current.problems || [];
    problemsBox.textContent = "";
    var elsewhere = (draft.problems || []).filter(function (problem) { return problem.path !== current.path; });
    if (problems.length) {
      var box = el("div", "alert alert-danger sf-b-problem-list", null, {role: "status"});
      box.appendChild(el("strong", null, say("problems_here", "Problems in this document")));
      var list = el("ul");
      problems.forEach(function (problem) {
        list.appendChild(el("li", "sf-b-problem-item", describe(problem), {"data-pointer": problem.pointer || "/"}));
      });
      box.appendChild(list);
      problemsBox.appendChild(box);
    } else {
      problemsBox.appendChild(el("p", "text-success sf-b-no-problems", say("no_problems", "No problems found.")));
    }
    if (elsewhere.length) {
      var other = el("p", "sf-muted sf-b-problems-elsewhere",
                     say("problems_elsewhere", "Other documents with problems") + ": " +
                     elsewhere.map(function (p) { return p.path; }).filter(function (p, i, all) { return all.indexOf(p) === i; }).join(", "));
      problemsBox.appendChild(other);
    }
    problems.forEach(function (problem) {
      var place = placeOf(problem);
      if (place.row !== undefined) {
        var container = place.list === "fields" ? current.fieldsBody : current.stagesList;
        var row = container && container.children[place.row];
        if (row) {
          row.classList.add("sf-b-flagged", "danger", "has-error");
          var cell = row.querySelector(".sf-b-field-name, .sf-b-stage-name") || row;
          cell.appendChild(el("div", "help-block sf-b-problem", problem.message));
        }
        if (place.form) { markInForm(place.form, place.path, problem.message); }
      } else if (place.form) {
        markInForm(place.form, place.path, problem.message);
      }
    });
  }

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
    return saveNow().then(function () {
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
    saveNow().then(function () {
      return B.api("POST", draftPath + "/publish", {base_revision: draft.base_revision});
    }).then(function (result) {
      button.disabled = false;
      publishResult.textContent = "";
      var text = result.unchanged ? say("unchanged", "Nothing to publish.") : say("published", "Published: revision {n}.", {n: result.revision});
      var box = B.alertBox("success", text);
      box.classList.add("sf-b-published");
      box.appendChild(document.createTextNode(" "));
      box.appendChild(el("a", "alert-link sf-b-open-app", say("open_app", "Open the app"), {href: root.getAttribute("data-app-url")}));
      publishResult.appendChild(box);
      preview.textContent = "";
      return reload();
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
    clearTimeout(saveTimer);
    B.api("DELETE", draftPath).then(function () {
      if (current) { current.savedJson = JSON.stringify(current.doc); }
      publishResult.textContent = "";
      publishResult.appendChild(B.alertBox("info", say("discarded", "The draft was discarded.")));
      preview.textContent = "";
      return reload();
    }).catch(function (error) {
      if (error.status === 404) { window.location.href = "/builder/"; return; }
      publishResult.appendChild(B.alertBox("danger", error.message));
    });
  });

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
      var path = current && draft.documents[current.path] ? current.path : "app.json";
      current = null;
      open(path);
    });
  }

  // --- start ------------------------------------------------------------------------------

  Promise.all([B.api("GET", "/forms"), B.api("GET", draftPath)]).then(function (results) {
    forms = results[0];
    setDraft(results[1]);
    var wanted = window.location.hash.slice(1);
    open(draft.documents[wanted] ? wanted : "app.json");
    root.setAttribute("data-ready", "1");
  }).catch(function (error) {
    main.textContent = "";
    main.appendChild(B.alertBox("danger", say("load_failed", "Could not open the draft: {message}", {message: error.message})));
  });
})();
