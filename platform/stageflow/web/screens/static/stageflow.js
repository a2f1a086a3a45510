/* Shared helpers of the Stageflow screens: calls to the REST API with the session's CSRF token. */
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

  window.Stageflow = {api: api, recordsPath: recordsPath};
})();
