/* The builder's workspace of one app (PL24), shared part: the page's elements and strings, the
   state every file of the workspace reads (the forms' schemas, the draft, the open document),
   where a document belongs (its group, type and name), and a minimal new document of a type
   made from its schema. The other builder_*.js files add their functions to the same
   workspace object (StageflowBuilder.workspace); builder.js, loaded last, starts the page. */
(function () {
  "use strict";
  var root = document.querySelector(".sf-builder-workspace");
  if (!root) { return; }
  var B = window.StageflowBuilder;
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

  // The workspace the other files add their functions to, and the state they share.
  var W = B.workspace = {
    root: root, say: say, app: app, locale: locale, draftPath: draftPath, NAME: NAME,
    CHECK_DELAY: CHECK_DELAY, SAVE_DELAY: SAVE_DELAY, TYPING_DELAY: TYPING_DELAY,
    nav: nav, main: main, docTitle: docTitle, problemsBox: problemsBox, messages: messages,
    revisionBadge: revisionBadge, saveState: saveState, publishPanel: publishPanel,
    forms: null,        // /_meta/forms
    draft: null,        // the draft object as the server last answered
    current: null       // the open document: {path, type, doc, savedJson, problems, forms: []}
  };

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
    return W.forms && W.forms.documents[singular] ? singular : null;
  }

  function docType(path) {
    if (path.indexOf("/") < 0) { return W.forms.documents[path.replace(/\.json$/, "")] ? path.replace(/\.json$/, "") : null; }
    return folderType(path.split("/")[0]);
  }

  function docName(path) { return path.split("/").pop().replace(/\.json$/, ""); }

  function pathsIn(folder) {
    return Object.keys(W.draft.documents).filter(function (path) { return path.indexOf(folder + "/") === 0; }).sort();
  }

  function groupsOfDraft() {
    var groups = GROUPS.slice();
    var known = {};
    groups.forEach(function (group) { known[group.key] = true; });
    Object.keys(W.draft.documents).forEach(function (path) {
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
    if (key === "kind" && W.forms.field_kinds.string) { return "string"; }
    if (key === "entity" && entityNames().length) { return entityNames()[0]; }
    return name;
  }

  function newDocument(type, name) {
    var schema = W.forms.documents[type];
    var doc = minimal(schema, null, name, schema.definitions, 0) || {};
    if (type === "entity") {
      doc.fields = [{name: "title", kind: "string", label: humanize("title"), required: true}];
      doc.title_field = "title";
    }
    return doc;
  }

  Object.assign(W, {clone: clone, labelOf: labelOf, showMessage: showMessage, folderType: folderType,
                    docType: docType, docName: docName, pathsIn: pathsIn, groupsOfDraft: groupsOfDraft,
                    groupLabel: groupLabel, humanize: humanize, minimal: minimal, newDocument: newDocument});
})();
