/* The list screen: row selection, bulk delete / assign / stage move through the REST API (the
   bulk endpoint, else one call per record with each refusal shown), and the column chooser. */
(function () {
  "use strict";
  var page = document.querySelector(".sf-list-page");
  if (!page) { return; }
  var records = Stageflow.screenRecords();
  var bar = page.querySelector(".sf-bulk-bar");
  var results = page.querySelector(".sf-bulk-results");
  var selectAll = page.querySelector(".sf-select-all");
  // UI strings in the user's language from list.html ({n}: a count); English when one is absent.
  var texts = JSON.parse(page.getAttribute("data-texts") || "{}");
  function say(key, english, n) { return (texts[key] || english).replace("{n}", String(n)); }

  function rowBoxes() { return Array.prototype.slice.call(page.querySelectorAll(".sf-select-row")); }
  function selectedIds() {
    return rowBoxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function refreshBar() {
    var count = selectedIds().length;
    if (bar) {
      bar.hidden = count === 0;
      bar.querySelector(".sf-bulk-count").textContent = say("selected", "{n} selected", count);
    }
    if (selectAll) {
      var boxes = rowBoxes();
      selectAll.checked = boxes.length > 0 && count === boxes.length;
      selectAll.indeterminate = count > 0 && count < boxes.length;
    }
  }

  if (selectAll) {
    selectAll.addEventListener("change", function () {
      rowBoxes().forEach(function (box) { box.checked = selectAll.checked; });
      refreshBar();
    });
  }
  rowBoxes().forEach(function (box) { box.addEventListener("change", refreshBar); });

  function row(id) { return page.querySelector('tr[data-id="' + id + '"]'); }
  function setCell(id, column, text) {
    var tr = row(id);
    var cell = tr && tr.querySelector('td[data-column="' + column + '"]');
    if (!cell) { return; }
    var target = cell.querySelector("a") || cell;
    target.textContent = text;
  }

  function report(done, verb, refusals) {
    results.textContent = "";
    var summary = document.createElement("div");
    summary.className = "alert " + (refusals.length ? "alert-warning" : "alert-success");
    summary.setAttribute("role", "status");
    summary.textContent = say(verb, "{n} " + verb, done) + (refusals.length ? say("refused", ", {n} refused", refusals.length) : "");
    if (refusals.length) {
      var list = document.createElement("ul");
      list.className = "sf-bulk-refusals";
      refusals.forEach(function (refusal) {
        var item = document.createElement("li");
        item.className = "sf-bulk-refused";
        item.setAttribute("data-id", refusal.id);
        item.textContent = "#" + refusal.id + ": " + refusal.message;
        list.appendChild(item);
      });
      summary.appendChild(list);
    }
    results.appendChild(summary);
  }

  // One call per record, in order; resolves with the number done and the refusals.
  function eachRecord(ids, call, onDone) {
    var refusals = [];
    var done = 0;
    return ids.reduce(function (chain, id) {
      return chain.then(function () {
        return call(id).then(function (record) {
          done += 1;
          onDone(id, record);
        }, function (error) {
          refusals.push({id: id, message: Stageflow.errorText(error)});
        });
      });
    }, Promise.resolve()).then(function () { return {done: done, refusals: refusals}; });
  }

  // The bulk endpoint changes all records or none; when it refuses one, each record is tried
  // on its own so the others still change and every refusal is shown with its reason.
  function bulkThenEach(ids, bulkBody, call, onDone) {
    var body = Object.assign({ids: ids.map(Number)}, bulkBody);
    return records.bulk(body).then(function () {
      ids.forEach(function (id) { onDone(id); });
      return {done: ids.length, refusals: []};
    }, function () {
      return eachRecord(ids, call, onDone);
    });
  }

  function runBulk(kind) {
    var ids = selectedIds();
    if (!ids.length) { return; }
    var call, onDone, verb, bulkBody;
    if (kind === "delete") {
      if (!window.confirm(say("confirm_delete", "Delete {n} record(s)?", ids.length))) { return; }
      verb = "deleted";
      bulkBody = {"delete": true};
      call = records.remove;
      onDone = function (id) { var tr = row(id); if (tr) { tr.parentNode.removeChild(tr); } };
    } else if (kind === "stage") {
      var option = bar.querySelector(".sf-bulk-stage").selectedOptions[0];
      var move = {pipeline: option.getAttribute("data-pipeline"), stage: option.value};
      verb = "moved";
      bulkBody = {values: move};
      call = function (id) { return records.update(id, move); };
      onDone = function (id) { setCell(id, "stage", option.getAttribute("data-label")); };
    } else {
      var field = bar.querySelector(".sf-bulk-field").value;
      var user = bar.querySelector(".sf-bulk-user").selectedOptions[0];
      var values = {};
      values[field] = user.value;
      verb = "assigned";
      bulkBody = {values: values};
      call = function (id) { return records.update(id, values); };
      onDone = function (id) { setCell(id, field, user.textContent); };
    }
    page.classList.add("sf-busy");
    bulkThenEach(ids, bulkBody, call, onDone).then(function (outcome) {
      page.classList.remove("sf-busy");
      report(outcome.done, verb, outcome.refusals);
      refreshBar();
    });
  }

  if (bar) {
    Array.prototype.forEach.call(bar.querySelectorAll("[data-bulk]"), function (button) {
      button.addEventListener("click", function () { runBulk(button.getAttribute("data-bulk")); });
    });
  }

  // Column chooser: move an entry up or down; the form posts the checked columns in list order.
  page.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) { return; }
    var item = button.closest("li");
    if (button.getAttribute("data-move") === "up" && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (button.getAttribute("data-move") === "down" && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
  });
  // One-line quick create (NS07): the title, plus the defaults the server chose; the new
  // record is linked from the message (it may not match the current filter).
  var quick = page.querySelector(".sf-quick-create");
  if (quick) {
    quick.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = quick.querySelector("input");
      var result = quick.querySelector(".sf-quick-result");
      var title = input.value.trim();
      if (!title) { return; }
      var values = JSON.parse(quick.getAttribute("data-defaults") || "{}");
      values[quick.getAttribute("data-title-field")] = title;
      input.disabled = true;
      result.textContent = "";
      records.create(values).then(function (record) {
        var link = document.createElement("a");
        link.href = window.location.pathname + encodeURIComponent(record.id);
        link.textContent = "#" + record.id + " " + title;
        result.className = "sf-quick-result text-success";
        result.appendChild(document.createTextNode(say("created", "Created ", 0)));
        result.appendChild(link);
        input.value = "";
      }, function (error) {
        result.className = "sf-quick-result sf-error";
        result.textContent = Stageflow.errorText(error);
      }).then(function () { input.disabled = false; input.focus(); });
    });
  }

  // Leave blank filter inputs out of the URL, so it shows only what is applied.
  Array.prototype.forEach.call(page.querySelectorAll(".sf-filter-form"), function (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.querySelectorAll("input, select"), function (input) {
        var blank = input.type === "checkbox" ? !input.checked : !input.value;
        if (blank || (input.multiple && !input.selectedOptions.length)) { input.disabled = true; }
      });
    });
  });
  refreshBar();
})();
