/* The calendar: FullCalendar month and week views over one date field. Events come from the
   screen's JSON feed; dragging one PATCHes the date through the REST API (a refusal reverts it
   and shows the message); clicking a day opens a one-line quick create for that day. */
(function () {
  "use strict";
  var element = document.querySelector(".sf-calendar");
  if (!element) { return; }
  var records = Stageflow.screenRecords();
  var field = element.getAttribute("data-field");
  var dateOnly = element.getAttribute("data-kind") === "date";
  var message = Stageflow.messageArea(document.querySelector(".sf-calendar-message"));
  var quick = document.querySelector(".sf-calendar-quick");

  // The value the date field stores for a moment on the calendar.
  function fieldValue(date, allDay, dateStr) {
    if (dateOnly) { return dateStr.slice(0, 10); }
    if (allDay) {  // a day without a time: nine in the morning, local time
      date = new Date(date.getFullYear(), date.getMonth(), date.getDate(), 9, 0, 0);
    }
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  var calendar = new FullCalendar.Calendar(element, {
    initialView: "dayGridMonth",
    // The page's ?date= (an ISO day) opens that month; without it, today's.
    initialDate: element.getAttribute("data-initial-date") || undefined,
    locale: element.getAttribute("data-locale") || "en",
    firstDay: 1,
    height: "auto",
    headerToolbar: {left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek"},
    events: {
      url: element.getAttribute("data-events-url"),
      extraParams: {field: field, color: element.getAttribute("data-color")},
      failure: function (error) { message.show(error.message || "the events could not be loaded"); }
    },
    editable: element.getAttribute("data-can-move") === "true",
    eventDurationEditable: false,
    // A date field has no time: its events stay in the all-day rows.
    eventAllow: function (drop) { return !dateOnly || drop.allDay; },
    eventDrop: function (info) {
      message.clear();
      var body = {version: info.event.extendedProps.version};
      body[field] = fieldValue(info.event.start, info.event.allDay, info.event.startStr);
      records.update(info.event.id, body)
        .then(function (record) { info.event.setExtendedProp("version", record.version); })
        .catch(function (error) { info.revert(); message.fail(error); });
    },
    dateClick: function (info) {
      if (!quick) { return; }
      quick.setAttribute("data-value", fieldValue(info.date, info.allDay, info.dateStr));
      quick.querySelector(".sf-calendar-quick-date").textContent = info.dateStr.slice(0, 10);
      quick.hidden = false;
      quick.querySelector("input").focus();
    }
  });
  calendar.render();

  document.querySelectorAll(".sf-calendar-options select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  if (quick) {
    quick.querySelector(".sf-calendar-quick-cancel").addEventListener("click", function () {
      quick.hidden = true;
    });
    quick.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = quick.querySelector("input");
      var title = input.value.trim();
      if (!title) { return; }
      var values = JSON.parse(element.getAttribute("data-defaults") || "{}");
      values[element.getAttribute("data-title-field")] = title;
      values[field] = quick.getAttribute("data-value");
      message.clear();
      input.disabled = true;
      records.create(values)
        .then(function () {
          input.value = "";
          quick.hidden = true;
          calendar.refetchEvents();
        })
        .catch(message.fail)
        .then(function () { input.disabled = false; });
    });
  }
})();
