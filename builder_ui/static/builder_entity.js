/* The builder workspace's entity editor: the entity's fields as a table (reordered by drag or by
   buttons, each field edited with its kind's form), the "Add field" form, and the entity's own
   settings as a schema form. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, locale = W.locale, NAME = W.NAME, main = W.main;

  // --- entity: the fields table and the entity's own settings -----------------------------

  function renderEntity() {
    var doc = W.current.doc;
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
    W.current.mainForm = W.makeForm(holder, W.formSchema(W.forms.documents.entity, {readOnly: ["name"], without: ["fields"], title: ""}),
                                W.pick(doc, ["fields"]), function (value) {
      W.current.doc = W.compose(W.current.doc, value, ["fields"]);
      W.touched();
    });
    W.current.fieldsBody = body;
    W.current.fieldHolder = fieldHolder;
    renderFieldRows();
    Sortable.create(body, {handle: ".sf-b-handle", animation: 120, onEnd: function (event) {
      if (event.oldIndex === event.newIndex) { return; }
      W.moveItem(W.current.doc.fields, event.oldIndex, event.newIndex, "field");
    }});
  }

  function renderFieldRows() {
    var body = W.current.fieldsBody;
    body.textContent = "";
    var fields = W.current.doc.fields;
    fields.forEach(function (field, index) {
      var name = field.name || "";
      var row = el("tr", "sf-b-field-row" + (W.current.fieldIndex === index ? " info" : ""), null,
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
        if (W.current.fieldIndex === index) { openField(index); }
        W.touched();
      });
      requiredCell.appendChild(box);
      row.appendChild(requiredCell);
      var actions = el("td", "text-right sf-b-row-actions");
      W.rowActions(actions, W.current.doc.fields, index, name, "field", openField, closeField);
      row.appendChild(actions);
      body.appendChild(row);
    });
    W.showProblems();
  }

  function addFieldForm() {
    var form = el("form", "form-inline sf-b-add-field", null, {autocomplete: "off", novalidate: ""});
    var nameInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-field-name", name: "name",
                       maxlength: "30", placeholder: say("machine_name", "Machine name"), title: say("name_hint", "")});
    var labelInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-field-label", name: "label",
                        maxlength: "200", placeholder: say("label", "Label")});
    var kindSelect = el("select", "form-control input-sm", null, {id: "sf-b-new-field-kind", name: "kind"});
    Object.keys(W.forms.field_kinds).sort().forEach(function (kind) {
      kindSelect.appendChild(el("option", null, kind, {value: kind}));
    });
    if (W.forms.field_kinds.string) { kindSelect.value = "string"; }
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
      if (W.current.doc.fields.some(function (field) { return field.name === name; })) {
        error.textContent = say("name_taken", "“{name}” is already taken.", {name: name});
        return;
      }
      error.textContent = "";
      var field = {name: name, kind: kindSelect.value, label: labelInput.value.trim() || W.humanize(name)};
      var schema = W.forms.field_kinds[field.kind] || {};
      var options = (schema.properties || {}).options;
      if (options && ((options.required && options.required.length) || options.oneOf || options.anyOf)) {
        field.options = W.minimal(options, "options", name, schema.definitions, 0);
      }
      W.current.doc.fields.push(field);
      nameInput.value = "";
      labelInput.value = "";
      renderFieldRows();
      openField(W.current.doc.fields.length - 1);
      W.touched();
    });
    return form;
  }

  function openField(index) {
    var field = W.current.doc.fields[index];
    if (!field) { return; }
    W.dropForm(W.current.fieldForm);
    W.current.fieldIndex = index;
    var holder = W.current.fieldHolder;
    holder.textContent = "";
    holder.hidden = false;
    holder.setAttribute("data-field", field.name || "");
    W.subEditorHeader(holder, say("field_settings", "Field “{name}”", {name: field.name || ""}) + " · " + field.kind, closeField);
    var formHolder = el("div", "sf-b-form");
    holder.appendChild(formHolder);
    var schema = W.forms.field_kinds[field.kind] || W.forms.documents.entity.properties.fields.items;
    W.current.fieldForm = W.makeForm(formHolder, W.formSchema(schema, {readOnly: ["kind"], title: "",
                                 definitions: W.forms.documents.entity.definitions}), field, function (value) {
      var position = W.current.fieldIndex;
      W.current.doc.fields[position] = W.compose(W.current.doc.fields[position], value, []);
      updateFieldRow(position);
      W.touched();
    });
    Array.prototype.forEach.call(W.current.fieldsBody.children, function (row, i) { row.classList.toggle("info", i === index); });
    W.showProblems();
  }

  function updateFieldRow(index) {
    var row = W.current.fieldsBody.children[index];
    var field = W.current.doc.fields[index];
    if (!row || !field) { return; }
    row.setAttribute("data-field", field.name || "");
    row.querySelector(".sf-b-field-name span").textContent = field.name || "";
    row.querySelector(".sf-b-field-label").textContent = B.labelText(field.label, locale, "");
    row.querySelector(".sf-b-field-required input").checked = Boolean(field.required);
  }

  function closeField() {
    W.dropForm(W.current.fieldForm);
    W.current.fieldForm = null;
    W.current.fieldIndex = null;
    W.current.fieldHolder.textContent = "";
    W.current.fieldHolder.hidden = true;
    Array.prototype.forEach.call(W.current.fieldsBody.children, function (row) { row.classList.remove("info"); });
  }

  Object.assign(W, {renderEntity: renderEntity, renderFieldRows: renderFieldRows});
})();
