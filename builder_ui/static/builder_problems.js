/* The builder workspace's problems: the list of the open document's problems above its form,
   the other documents with problems, and each problem shown beside the input, table row or list
   item it names. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, main = W.main, problemsBox = W.problemsBox;

  // --- problems beside their inputs -------------------------------------------------------

  function pointerParts(pointer) {
    return String(pointer || "").split("/").slice(1).filter(function (part) { return part !== ""; })
      .map(function (part) { return part.replace(/~1/g, "/").replace(/~0/g, "~"); });
  }

  // Where a problem shows: the list/table row it names, and the form and editor path inside it.
  function placeOf(problem) {
    var parts = pointerParts(problem.pointer);
    var list = W.current.fieldsBody ? "fields" : W.current.stagesList ? "stages" : null;
    if (list && parts[0] === list) {
      var index = parts.length > 1 ? Number(parts[1]) : null;
      var openIndex = list === "fields" ? W.current.fieldIndex : W.current.stageIndex;
      var form = list === "fields" ? W.current.fieldForm : W.current.stageForm;
      if (index !== null && !isNaN(index)) {
        return {row: index, list: list, form: openIndex === index ? form : null, path: ["root"].concat(parts.slice(2)).join(".")};
      }
      return {list: list, form: null};
    }
    if (W.current.rightsBody && parts[0] === "entities") {
      if (parts.length < 2) { return {form: null}; }
      var entryForm = W.current.entryEntity === parts[1] ? W.current.entryForm : null;
      return {entity: parts[1], form: entryForm, path: ["root"].concat(parts.slice(2)).join(".")};
    }
    return {form: W.current.mainForm, path: ["root"].concat(parts).join(".")};
  }

  function describe(problem) {
    var parts = pointerParts(problem.pointer);
    var words = [];
    if (parts[0] === "entities" && parts.length > 1 && W.current.rightsBody) {
      words.push(parts[1]);
      parts = parts.slice(2);
    } else if ((parts[0] === "fields" || parts[0] === "stages") && parts.length > 1 && W.current.doc[parts[0]]) {
      var item = W.current.doc[parts[0]][Number(parts[1])];
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
    if (!W.current) { return; }
    clearMarks();
    var problems = W.current.problems || [];
    problemsBox.textContent = "";
    var elsewhere = (W.draft.problems || []).filter(function (problem) { return problem.path !== W.current.path; });
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
        var container = place.list === "fields" ? W.current.fieldsBody : W.current.stagesList;
        var row = container && container.children[place.row];
        if (row) {
          row.classList.add("sf-b-flagged", "danger", "has-error");
          var cell = row.querySelector(".sf-b-field-name, .sf-b-stage-name") || row;
          cell.appendChild(el("div", "help-block sf-b-problem", problem.message));
        }
        if (place.form) { markInForm(place.form, place.path, problem.message); }
      } else if (place.entity !== undefined) {
        var entityRow = W.current.rightsBody.querySelector('tr[data-entity="' + CSS.escape(place.entity) + '"]');
        if (entityRow) {
          entityRow.classList.add("sf-b-flagged", "danger", "has-error");
          entityRow.querySelector("th").appendChild(el("div", "help-block sf-b-problem", problem.message));
        }
        if (place.form) { markInForm(place.form, place.path, problem.message); }
      } else if (place.form) {
        markInForm(place.form, place.path, problem.message);
      }
    });
  }

  Object.assign(W, {showProblems: showProblems});
})();
