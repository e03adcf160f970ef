// Template forms: fields that only apply for some value of another field
// (JSON Schema `dependencies` with `oneOf`) are shown only then. Without
// this script every field shows, and the server still validates.
"use strict";

(function () {
  function init() {
    var dependents = document.querySelectorAll("[data-show-if-field]");
    if (!dependents.length) { return; }

    function valueOf(name) {
      var inputs = document.querySelectorAll("[name=\"" + CSS.escape(name) + "\"]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        if (input.type === "checkbox") {
          if (input.checked) { return "true"; }
          continue;
        }
        if (input.type === "hidden" && inputs.length > 1) { continue; }
        return input.value;
      }
      return "false";
    }

    function update() {
      Array.prototype.forEach.call(dependents, function (field) {
        var want = field.getAttribute("data-show-if-value");
        var shown = valueOf(field.getAttribute("data-show-if-field")) === want;
        field.hidden = !shown;
        Array.prototype.forEach.call(field.querySelectorAll("input, select, textarea"), function (input) {
          input.disabled = !shown;
        });
      });
    }

    document.addEventListener("change", update);
    document.addEventListener("input", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
