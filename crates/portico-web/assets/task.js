// The task page's live part: follows the task's event stream, appends log
// lines as they come and reloads the page when the task ends, so the final
// state (status, output links) is the server's rendering.
"use strict";

(function () {
  function init() {
    var page = document.querySelector("[data-task-id]");
    if (!page || page.getAttribute("data-task-done") === "true" || !window.EventSource) { return; }
    var id = page.getAttribute("data-task-id");
    var log = document.getElementById("task-log");
    var status = document.getElementById("task-status");
    var after = parseInt(page.getAttribute("data-task-after") || "0", 10);
    var source = new EventSource("/api/scaffolder/v2/tasks/" + encodeURIComponent(id) + "/eventstream?after=" + after);

    function stepStatus(stepId, value) {
      if (!stepId || !value) { return; }
      var item = document.querySelector("[data-step-id=\"" + CSS.escape(stepId) + "\"] .badge");
      if (item) { item.textContent = value; }
    }

    source.addEventListener("log", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      var body = data.body || {};
      if (log && body.message) {
        log.textContent += (log.textContent ? "\n" : "") + body.message;
        log.scrollTop = log.scrollHeight;
      }
      stepStatus(body.stepId, body.status);
    });
    source.addEventListener("completion", function () {
      source.close();
      if (status) { status.textContent = "finishing…"; }
      window.location.reload();
    });
    source.onerror = function () {
      // The stream ends when the task does; anything else is retried by the
      // browser. A closed stream with the task still running: reload shows
      // the current state.
      if (source.readyState === EventSource.CLOSED) { window.location.reload(); }
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
