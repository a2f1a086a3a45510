/* The builder workspace's role editor: the role's rights as a matrix (one row per entity of the
   draft, one checkbox per right, the record rules summed up), each entity's record rules and
   field rules edited with their schema's form, and the role's own settings as a schema form.
   A schema form of the role's "entities" map would make the admin type entity names into an
   object-properties box; the matrix lists them instead. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, main = W.main;

  function entrySchema() { return W.forms.documents.role.properties.entities.additionalProperties; }
  function rights() { return entrySchema().properties.rights.items["enum"]; }

  // The entities a role can speak of: the draft's entities and handbooks (everyone working in
  // the app reads handbooks; a role may let its users edit them), then any the role names that
  // the draft lacks (the live check reports those).
  function entityRows() {
    var names = W.pathsIn("entities").concat(W.pathsIn("handbooks")).map(W.docName);
    Object.keys(W.current.doc.entities || {}).forEach(function (name) { if (names.indexOf(name) < 0) { names.push(name); } });
    return names;
  }

  function entryOf(entity, create) {
    var doc = W.current.doc;
    if (!doc.entities) {
      if (!create) { return null; }
      doc.entities = {};
    }
    if (!doc.entities[entity] && create) { doc.entities[entity] = {rights: []}; }
    return doc.entities[entity] || null;
  }

  // An entry that grants nothing and restricts nothing says nothing: it leaves the document.
  function dropIfEmpty(entity) {
    var entry = entryOf(entity, false);
    if (!entry) { return; }
    var said = Object.keys(entry).some(function (key) { return !(Array.isArray(entry[key]) && !entry[key].length); });
    if (!said) { delete W.current.doc.entities[entity]; }
  }

  function recordsSummary(entry) {
    if (!entry || !(entry.rights || []).length) { return "—"; }  // no right: no record to see
    var rules = entry.records;
    if (!rules || !rules.length) { return say("all_records", "All records"); }
    return rules.map(function (rule) { return rule.field ? rule.scope + " (" + rule.field + ")" : rule.scope; }).join(", ");
  }

  function renderRole() {
    var section = el("section", "sf-b-section sf-b-rights-section");
    section.appendChild(el("h3", "h5 sf-b-section-title", say("rights", "Rights by entity")));
    var table = el("table", "table table-condensed sf-b-rights");
    var headRow = el("tr");
    headRow.appendChild(el("th", null, say("entity", "Entity"), {scope: "col"}));
    rights().forEach(function (right) {
      headRow.appendChild(el("th", "text-center", say("right_" + right, right), {scope: "col"}));
    });
    headRow.appendChild(el("th", null, say("records", "Records"), {scope: "col"}));
    headRow.appendChild(el("th", null, "", {scope: "col"}));
    var head = el("thead");
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    table.appendChild(body);
    section.appendChild(table);
    var entryHolder = el("div", "sf-b-sub-editor sf-b-role-entry-editor");
    entryHolder.hidden = true;
    section.appendChild(entryHolder);
    main.appendChild(section);

    var settings = el("section", "sf-b-section sf-b-role-settings");
    settings.appendChild(el("h3", "h5 sf-b-section-title", say("role_settings", "Role settings")));
    var holder = el("div", "sf-b-form");
    settings.appendChild(holder);
    main.appendChild(settings);
    W.current.mainForm = W.makeForm(holder, W.formSchema(W.forms.documents.role, {readOnly: ["name"], without: ["entities"], title: ""}),
                                    W.pick(W.current.doc, ["entities"]), function (value) {
      W.current.doc = W.compose(W.current.doc, value, ["entities"]);
      W.touched();
    });
    W.current.rightsBody = body;
    W.current.entryHolder = entryHolder;
    W.current.entryEntity = null;
    renderRightsRows();
  }

  function renderRightsRows() {
    var body = W.current.rightsBody;
    body.textContent = "";
    entityRows().forEach(function (entity) {
      var entry = entryOf(entity, false);
      var row = el("tr", "sf-b-rights-row" + (W.current.entryEntity === entity ? " info" : ""), null, {"data-entity": entity});
      var heading = el("th", "sf-b-mono", entity, {scope: "row"});
      if (W.draft.documents["handbooks/" + entity + ".json"]) {
        heading.appendChild(el("span", "label label-default sf-b-handbook-mark", say("handbook", "handbook")));
      }
      row.appendChild(heading);
      rights().forEach(function (right) {
        var cell = el("td", "text-center");
        var box = el("input", null, null, {type: "checkbox", "data-right": right,
                                           "aria-label": say("right_of", "{right}: {entity}", {right: say("right_" + right, right), entity: entity})});
        box.checked = Boolean(entry && (entry.rights || []).indexOf(right) >= 0);
        box.addEventListener("change", function () { setRight(entity, right, box.checked); });
        cell.appendChild(box);
        row.appendChild(cell);
      });
      row.appendChild(el("td", "sf-b-records-summary", recordsSummary(entry)));
      var actions = el("td", "text-right sf-b-row-actions");
      var edit = el("button", "btn btn-default btn-xs sf-b-edit-entry", say("rules", "Record and field rules"),
                    {type: "button", "aria-label": say("rules", "Record and field rules") + ": " + entity});
      edit.addEventListener("click", function () { openEntry(entity); });
      actions.appendChild(edit);
      row.appendChild(actions);
      body.appendChild(row);
    });
    W.showProblems();
  }

  function setRight(entity, right, granted) {
    var entry = entryOf(entity, true);
    var held = entry.rights || [];
    // Kept in the schema's order, so the document reads the same whatever the clicking order.
    entry.rights = rights().filter(function (name) { return name === right ? granted : held.indexOf(name) >= 0; });
    dropIfEmpty(entity);
    if (W.current.entryEntity === entity) { openEntry(entity); }
    W.touched();
  }

  function openEntry(entity) {
    W.dropForm(W.current.entryForm);
    W.current.entryEntity = entity;
    var holder = W.current.entryHolder;
    holder.textContent = "";
    holder.hidden = false;
    holder.setAttribute("data-entity", entity);
    W.subEditorHeader(holder, say("rules_of", "Rules on “{entity}”", {entity: entity}), closeEntry);
    var formHolder = el("div", "sf-b-form");
    holder.appendChild(formHolder);
    var schema = W.formSchema(entrySchema(), {title: "", definitions: W.forms.documents.role.definitions});
    delete schema.properties.rights;  // the matrix edits them
    W.current.entryForm = W.makeForm(formHolder, schema, W.pick(entryOf(entity, false) || {}, ["rights"]), function (value) {
      var entry = entryOf(entity, true);
      W.current.doc.entities[entity] = W.compose(entry, value, ["rights"]);
      dropIfEmpty(entity);
      updateSummary(entity);
      W.touched();
    });
    Array.prototype.forEach.call(W.current.rightsBody.children, function (row) {
      row.classList.toggle("info", row.getAttribute("data-entity") === entity);
    });
    W.showProblems();
  }

  function updateSummary(entity) {
    var row = W.current.rightsBody.querySelector('tr[data-entity="' + CSS.escape(entity) + '"]');
    if (row) { row.querySelector(".sf-b-records-summary").textContent = recordsSummary(entryOf(entity, false)); }
  }

  function closeEntry() {
    W.dropForm(W.current.entryForm);
    W.current.entryForm = null;
    W.current.entryEntity = null;
    W.current.entryHolder.textContent = "";
    W.current.entryHolder.hidden = true;
    Array.prototype.forEach.call(W.current.rightsBody.children, function (row) { row.classList.remove("info"); });
  }

  Object.assign(W, {renderRole: renderRole});
})();
