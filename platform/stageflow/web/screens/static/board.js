/* The kanban board: drag a card to another column to move its stage (PATCH through the REST
   API; a refused move snaps back and shows the gate's message), "more" cards per column, and
   one-line quick create at the top of the first column. */
(function () {
  "use strict";
  var board = document.querySelector(".sf-board");
  if (!board) { return; }
  var records = Stageflow.screenRecords();
  var pipeline = board.getAttribute("data-pipeline");
  var cardsUrl = board.getAttribute("data-cards-url");
  var message = Stageflow.messageArea(document.querySelector(".sf-board-message"));

  function column(stage) {
    return board.querySelector('.sf-column[data-stage="' + CSS.escape(stage) + '"]');
  }

  function addToCount(stage, delta) {
    var badge = column(stage).querySelector(".sf-column-count");
    badge.textContent = String(parseInt(badge.textContent, 10) + delta);
    // The money sum no longer matches the cards once they move; the next load recomputes it.
    var total = column(stage).querySelector(".sf-column-total");
    if (total) { total.remove(); }
  }

  function cardsHtml(query) {
    var url = cardsUrl + "?pipeline=" + encodeURIComponent(pipeline) + "&" + query;
    return Stageflow.fetchHtml(url, "could not load cards");
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;  // server-rendered by Jinja, user data already escaped
    return template.content;
  }

  function moveBack(item, from, oldIndex) {
    var cards = from.querySelectorAll(".sf-card");
    var anchor = cards[oldIndex] || from.querySelector(".sf-column-more");
    from.insertBefore(item, anchor);
  }

  function onDrop(event) {
    var item = event.item, from = event.from, to = event.to;
    if (from === to) { return; }
    var fromStage = from.getAttribute("data-stage"), toStage = to.getAttribute("data-stage");
    var more = to.querySelector(".sf-column-more");
    if (more) { to.appendChild(more); }
    message.clear();
    item.classList.add("sf-card-saving");
    var body = {stage: toStage, version: parseInt(item.getAttribute("data-version"), 10)};
    records.update(item.getAttribute("data-id"), body)
      .then(function (record) {
        item.setAttribute("data-version", record.version);
        addToCount(fromStage, -1);
        addToCount(toStage, 1);
      })
      .catch(function (error) {
        moveBack(item, from, event.oldDraggableIndex);
        message.fail(error);
      })
      .then(function () { item.classList.remove("sf-card-saving"); });
  }

  if (board.getAttribute("data-can-move") === "true") {
    board.querySelectorAll(".sf-column-cards").forEach(function (cards) {
      Sortable.create(cards, {
        group: "sf-board", draggable: ".sf-card", filter: ".sf-column-more", animation: 120,
        forceFallback: true, fallbackTolerance: 3, ghostClass: "sf-card-ghost", onEnd: onDrop
      });
    });
  }

  board.addEventListener("click", function (event) {
    var more = event.target.closest(".sf-column-more");
    if (!more) { return; }
    var cards = more.parentNode;
    more.disabled = true;
    cardsHtml("stage=" + encodeURIComponent(cards.getAttribute("data-stage")) +
              "&cursor=" + encodeURIComponent(more.getAttribute("data-cursor")))
      .then(function (html) {
        more.remove();
        cards.appendChild(fragment(html));
      })
      .catch(function (error) { more.disabled = false; message.fail(error); });
  });

  var quick = board.querySelector(".sf-quick-create");
  if (quick) {
    quick.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = quick.querySelector("input");
      var title = input.value.trim();
      if (!title) { return; }
      var cards = quick.parentNode.querySelector(".sf-column-cards");
      var stage = cards.getAttribute("data-stage");
      var values = JSON.parse(board.getAttribute("data-defaults") || "{}");
      values.pipeline = pipeline;
      values.stage = stage;
      values[board.getAttribute("data-title-field")] = title;
      message.clear();
      input.disabled = true;
      records.create(values)
        .then(function (record) { return cardsHtml("id=" + encodeURIComponent(record.id)); })
        .then(function (html) {
          cards.insertBefore(fragment(html), cards.firstChild);
          addToCount(stage, 1);
          input.value = "";
        })
        .catch(message.fail)
        .then(function () { input.disabled = false; input.focus(); });
    });
  }
})();
