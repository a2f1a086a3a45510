/* The card screen: pickers (select2), grid rows, error tabs, and the timeline (comments with
   files, the robot/system toggle). Saving the card is a plain form post. */
(function ($) {
  "use strict";
  var HIDE_KEY = "stageflow.timeline.hideRobots";

  function linkPicker(select) {
    var $select = $(select);
    var titleField = $select.data("title-field");
    $select.select2({
      theme: "bootstrap", width: "100%", allowClear: true, placeholder: "",
      minimumInputLength: 0,
      ajax: {
        delay: 250,
        transport: function (params, success, failure) {
          var term = (params.data && params.data.term) || "";
          var path = Stageflow.recordsPath($select.data("app"), $select.data("entity")) +
            "?limit=20" + (term ? "&q=" + encodeURIComponent(term) : "");
          Stageflow.api("GET", path).then(success, failure);
        },
        processResults: function (data) {
          return {results: (data.items || []).map(function (item) {
            var title = titleField && item[titleField];
            return {id: item.id, text: title ? String(title) : "#" + item.id};
          })};
        }
      }
    });
  }

  function enhancePickers(root) {
    if (!$.fn.select2) { return; }
    $(root).find("select.sf-select").each(function () {
      $(this).select2({theme: "bootstrap", width: "100%", allowClear: !this.multiple && !!$(this).find("option[value='']").length, placeholder: ""});
    });
    $(root).find("select.sf-link").each(function () { linkPicker(this); });
  }

  function addRow(container) {
    var template = container.querySelector("template.sf-row-template");
    var next = parseInt(container.getAttribute("data-next") || "0", 10);
    var html = template.innerHTML.replace(/__n__/g, String(next));
    container.setAttribute("data-next", String(next + 1));
    var list = container.querySelector(".sf-row-list");
    list.insertAdjacentHTML("beforeend", html.trim());
    var added = list.lastElementChild;
    var input = added && added.querySelector("input[type=text], input:not([type=checkbox])");
    if (input) { input.focus(); }
  }

  function showFirstError() {
    var failing = document.querySelector(".sf-field.has-error");
    if (!failing) { return; }
    var pane = failing.closest(".tab-pane");
    if (pane && !pane.classList.contains("active")) {
      $('a[href="#' + pane.id + '"]').tab("show");
    }
  }

  function setHidden(panel, hide) {
    panel.classList.toggle("sf-hide-robots", hide);
    try { window.localStorage.setItem(HIDE_KEY, hide ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  function refreshTimeline(panel) {
    return Stageflow.fetchHtml(panel.getAttribute("data-refresh"), panel.getAttribute("data-load-error") || "The timeline could not be loaded")
      .then(function (html) { document.getElementById("sf-timeline-entries").innerHTML = html; });
  }

  function uploadFiles(panel, files) {
    if (!files.length) { return Promise.resolve([]); }
    var body = new FormData();
    Array.prototype.forEach.call(files, function (file) { body.append("file", file); });
    return Stageflow.api("POST", panel.getAttribute("data-attachments"), body).then(function (data) {
      return data.files.map(function (file) { return file.id; });
    });
  }

  function postComment(panel, form) {
    var error = document.getElementById("sf-comment-error");
    var text = form.querySelector("textarea[name=body]");
    var fileInput = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");
    error.hidden = true;
    if (!text.value.trim()) {
      error.textContent = error.getAttribute("data-empty") || "Write something to post.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    uploadFiles(panel, fileInput.files)
      .then(function (ids) { return Stageflow.api("POST", panel.getAttribute("data-comments"), {body: text.value, files: ids}); })
      .then(function () { text.value = ""; fileInput.value = ""; return refreshTimeline(panel); })
      .catch(function (exc) { error.textContent = exc.message; error.hidden = false; })
      .then(function () { button.disabled = false; });
  }

  function initTimeline() {
    var panel = document.getElementById("sf-timeline");
    if (!panel) { return; }
    var toggle = document.getElementById("sf-hide-robots");
    var stored = null;
    try { stored = window.localStorage.getItem(HIDE_KEY); } catch (e) { stored = null; }
    if (stored !== null && !panel.classList.contains("sf-hide-robots")) {
      toggle.checked = stored === "1";
    }
    setHidden(panel, toggle.checked);
    toggle.addEventListener("change", function () { setHidden(panel, toggle.checked); });
    document.getElementById("sf-comment-form").addEventListener("submit", function (event) {
      event.preventDefault();
      postComment(panel, event.target);
    });
  }

  $(function () {
    var card = document.getElementById("sf-card");
    if (!card) { return; }
    enhancePickers(card);
    card.addEventListener("click", function (event) {
      var add = event.target.closest(".sf-row-add");
      var remove = event.target.closest(".sf-row-remove");
      if (add) { addRow(add.closest(".sf-rows")); }
      if (remove) { remove.closest(".sf-row").remove(); }
    });
    showFirstError();
    initTimeline();
    card.setAttribute("data-ready", "1");
  });
})(window.jQuery);
