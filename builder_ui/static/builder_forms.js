/* The builder workspace's json-editor forms: a document's schema made fit for json-editor, a
   form's value put back into its document, the form of a document without hand-written parts,
   and the helpers the fields table and the stages list share (moving a row, icon buttons, the
   header of a row's own form). */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, TYPING_DELAY = W.TYPING_DELAY, main = W.main;

  // --- json-editor forms ------------------------------------------------------------------

  // A copy of a schema for json-editor: the format version and kind hidden or fixed, a
  // document's own name fixed, some properties left to hand-written widgets.
  function formSchema(schema, options) {
    var copy = W.clone(schema);
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
      typing = setTimeout(function () {
        // A form closed meanwhile (its input left the page) took the value on blur already;
        // its destroyed editor must not get the event.
        if (!target.isConnected || !W.current || W.current.forms.indexOf(form) < 0) { return; }
        target.dispatchEvent(new Event("change", {bubbles: true}));
      }, TYPING_DELAY);
    });
    W.current.forms.push(form);
    return form;
  }

  function dropForm(form) {
    if (!form || !W.current) { return; }
    form.destroy();
    W.current.forms = W.current.forms.filter(function (other) { return other !== form; });
  }

  function renderGeneric() {
    var schema = W.forms.documents[W.current.type];
    var holder = el("div", "sf-b-form");
    main.appendChild(holder);
    if (!schema) { holder.appendChild(el("pre", "sf-b-raw", JSON.stringify(W.current.doc, null, 2))); return; }
    W.current.mainForm = makeForm(holder, formSchema(schema, {readOnly: ["name"]}), W.current.doc, function (value) {
      W.current.doc = compose(W.current.doc, value, []);
      W.touched();
    });
  }

  // --- shared by the fields table and the stages list -------------------------------------

  // The row of a list (fields or stages) whose sub-editor is open, null when none is.
  function openIndex(what) { return what === "field" ? W.current.fieldIndex : W.current.stageIndex; }
  function setOpenIndex(what, index) {
    if (what === "field") { W.current.fieldIndex = index; } else { W.current.stageIndex = index; }
  }
  function rerender(what) { if (what === "field") { W.renderFieldRows(); } else { W.renderStageItems(); } }

  function moveItem(list, from, to, what) {
    var item = list.splice(from, 1)[0];
    list.splice(to, 0, item);
    var index = openIndex(what);
    if (index !== null) {
      if (index === from) { index = to; }
      else if (from < index && to >= index) { index -= 1; }
      else if (from > index && to <= index) { index += 1; }
      setOpenIndex(what, index);
    }
    rerender(what);
    W.touched();
  }

  // Edit, up, down and remove buttons of row ``index`` of ``list`` (what: "field" or "stage"),
  // appended to ``actions``; open and close show and hide the row's own form.
  function rowActions(actions, list, index, name, what, open, close) {
    var edit = el("button", "btn btn-default btn-xs sf-b-edit-" + what, say("edit", "Edit"),
                  {type: "button", "aria-label": say("edit", "Edit") + ": " + name});
    edit.addEventListener("click", function () { open(index); });
    actions.appendChild(edit);
    actions.appendChild(iconButton("fa-arrow-up", "sf-b-up", say("move_up", "Move {name} up", {name: name}), function () {
      if (index > 0) { moveItem(list, index, index - 1, what); }
    }));
    actions.appendChild(iconButton("fa-arrow-down", "sf-b-down", say("move_down", "Move {name} down", {name: name}), function () {
      if (index < list.length - 1) { moveItem(list, index, index + 1, what); }
    }));
    actions.appendChild(iconButton("fa-trash", "sf-b-remove-" + what, say("remove_named", "Remove {name}", {name: name}), function () {
      if (!window.confirm(say("confirm_remove", "Remove {name}?", {name: name}))) { return; }
      list.splice(index, 1);
      var opened = openIndex(what);
      if (opened === index) { close(); }
      else if (opened !== null && opened > index) { setOpenIndex(what, opened - 1); }
      rerender(what);
      W.touched();
    }));
    return actions;
  }

  function iconButton(icon, className, label, onClick) {
    var button = el("button", "btn btn-default btn-xs " + className, null, {type: "button", "aria-label": label, title: label});
    button.appendChild(el("i", "fa " + icon, null, {"aria-hidden": "true"}));
    button.addEventListener("click", onClick);
    return button;
  }

  function subEditorHeader(holder, title, onDone) {
    var header = el("div", "sf-b-sub-header");
    header.appendChild(el("h4", "h5 sf-b-sub-title", title));
    var done = el("button", "btn btn-default btn-xs sf-b-done", say("done", "Done"), {type: "button"});
    done.addEventListener("click", onDone);
    header.appendChild(done);
    holder.appendChild(header);
  }

  Object.assign(W, {compose: compose, dropForm: dropForm, formSchema: formSchema,
                    iconButton: iconButton, makeForm: makeForm, moveItem: moveItem, pick: pick, rowActions: rowActions,
                    renderGeneric: renderGeneric, subEditorHeader: subEditorHeader});
})();
