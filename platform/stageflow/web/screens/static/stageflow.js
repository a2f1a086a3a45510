/* Shared helpers of the Stageflow screens: calls to the REST API with the session's CSRF token,
   server-rendered fragments, the records of the screen's entity, a refusal in words, and a
   message area. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');

  function api(method, path, body) {
    var headers = {"Accept": "application/json"};
    if (token) { headers["X-CSRFToken"] = token.getAttribute("content"); }
    var options = {method: method, headers: headers, credentials: "same-origin"};
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!response.ok) {
          var error = new Error((data && data.message) || response.statusText);
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function recordsPath(app, entity, id) {
    var path = "/api/v1/" + encodeURIComponent(app) + "/" + encodeURIComponent(entity) + "/";
    return id === undefined ? path : path + encodeURIComponent(id);
  }

  // A server-rendered fragment (HTML the templates escaped); a failed load says what failed.
  function fetchHtml(url, failure) {
    return fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(failure + " (" + response.status + ")"); }
      return response.text();
    });
  }

  // The REST calls on the records of the entity the page's screen shows (.sf-screen).
  function screenRecords() {
    var screen = document.querySelector(".sf-screen");
    var app = screen.getAttribute("data-app"), entity = screen.getAttribute("data-entity");
    return {
      create: function (values) { return api("POST", recordsPath(app, entity), values); },
      update: function (id, values) { return api("PATCH", recordsPath(app, entity, id), values); },
      remove: function (id) { return api("DELETE", recordsPath(app, entity, id)); },
      bulk: function (body) { return api("POST", recordsPath(app, entity) + "bulk", body); }
    };
  }

  // A refused call in words: the API's message, then each field's error.
  function errorText(error) {
    var data = error.data || {};
    var parts = [data.message || error.message];
    if (data.errors) {
      Object.keys(data.errors).forEach(function (name) { parts.push(name + ": " + data.errors[name]); });
    }
    return parts.join("; ");
  }

  // A hidden alert shown while it has something to say; fail(error) shows why a call failed.
  function messageArea(element) {
    function show(text) {
      element.textContent = text;
      element.hidden = false;
    }
    return {
      show: show,
      fail: function (error) { show(error.message); },
      clear: function () {
        element.hidden = true;
        element.textContent = "";
      }
    };
  }

  window.Stageflow = {api: api, recordsPath: recordsPath, fetchHtml: fetchHtml, screenRecords: screenRecords,
                      errorText: errorText, messageArea: messageArea};
})();
