// Portico TechDocs theme script: copy buttons on code blocks, and mermaid
// diagrams on pages that have them. No inline handlers: everything is wired
// here, so a strict Content-Security-Policy can forbid inline script.
(function () {
  "use strict";

  function addCopyButtons() {
    var blocks = document.querySelectorAll("pre > code");
    Array.prototype.forEach.call(blocks, function (code) {
      var pre = code.parentElement;
      if (pre.classList.contains("mermaid") || pre.querySelector(".md-clipboard")) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-clipboard";
      button.title = "Copy to clipboard";
      button.textContent = "Copy";
      button.addEventListener("click", function () {
        if (!navigator.clipboard) {
          button.textContent = "Unavailable";
          return;
        }
        navigator.clipboard.writeText(code.innerText).then(
          function () {
            button.textContent = "Copied";
            setTimeout(function () { button.textContent = "Copy"; }, 1500);
          },
          function () { button.textContent = "Failed"; }
        );
      });
      pre.appendChild(button);
    });
  }

  function runMermaid() {
    var meta = document.querySelector('meta[name="portico:mermaid"]');
    if (!meta || !document.querySelector("pre.mermaid")) {
      return;
    }
    import(meta.getAttribute("content")).then(function (module) {
      var mermaid = module.default;
      var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: "strict",
        theme: dark ? "dark" : "default"
      });
      return mermaid.run({ querySelector: "pre.mermaid" });
    }).catch(function (error) {
      console.error("Portico: mermaid diagrams could not be drawn", error);
    });
  }

  function init() {
    addCopyButtons();
    runMermaid();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
