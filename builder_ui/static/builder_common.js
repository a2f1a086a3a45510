/* Shared helpers of the builder's pages: calls to the metadata API with the session's CSRF
   token, the page's strings in the user's language, and messages built from text nodes only. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var META = "/api/v1/_meta";

  function api(method, path, body) {
    var headers = {"Accept": "application/json"};
    if (token) { headers["X-CSRFToken"] = token.getAttribute("content"); }
    var options = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(META + path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (ignored) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.message) || response.statusText || String(response.status));
          error.status = response.status;
          error.data = data || {};
          throw error;
        }
        return data;
      });
    });
  }

  // The strings of a page from its data-texts attribute; {name} placeholders are filled in.
  function textsOf(element) {
    var texts = JSON.parse(element.getAttribute("data-texts") || "{}");
    return function say(key, english, values) {
      var text = texts[key] || english;
      Object.keys(values || {}).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(values[name]));
      });
      return text;
    };
  }

  // An element with text content and optional class and attributes (never HTML from data).
  function el(tag, className, text, attributes) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  // A label in the page's language: a string, or one string per locale.
  function labelText(label, locale, fallback) {
    if (typeof label === "string") { return label; }
    if (label && typeof label === "object") {
      if (label[locale]) { return label[locale]; }
      var first = Object.keys(label)[0];
      if (first) { return label[first]; }
    }
    return fallback || "";
  }

  function alertBox(kind, text) {
    return el("div", "alert alert-" + kind, text, {role: kind === "danger" ? "alert" : "status"});
  }

  function pageLocale() {
    return (document.documentElement.getAttribute("lang") || "en").slice(0, 2);
  }

  window.StageflowBuilder = {api: api, textsOf: textsOf, el: el, labelText: labelText,
                             alertBox: alertBox, pageLocale: pageLocale};
})();
