// Portico: the little every page does in the browser. Pages work without
// it; this adds the theme toggle, search suggestions in the header and
// filters that apply as they change.
"use strict";

(function () {
  // Theme: follows the system until the user picks one; the pick is kept.
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("portico-theme"); } catch (e) { saved = null; }
  if (saved === "light" || saved === "dark") { root.setAttribute("data-theme", saved); }

  function currentTheme() {
    var set = root.getAttribute("data-theme");
    if (set) { return set; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function initThemeToggle() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) { return; }
    function label() {
      var next = currentTheme() === "dark" ? "light" : "dark";
      button.textContent = next === "dark" ? "Dark theme" : "Light theme";
      button.setAttribute("aria-label", "Switch to the " + next + " theme");
    }
    button.hidden = false;
    label();
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("portico-theme", next); } catch (e) { /* private mode */ }
      label();
    });
  }

  // Filter forms apply on change; the Apply button stays for keyboards.
  function initAutosubmit() {
    var forms = document.querySelectorAll("form[data-autosubmit]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("change", function (event) {
        if (event.target && event.target.type !== "search") { form.submit(); }
      });
    });
  }

  // Header search: suggestions from /api/search/query as the user types.
  function initSuggestions() {
    var input = document.querySelector("input[data-suggest]");
    var list = document.getElementById("header-suggestions");
    if (!input || !list) { return; }
    var timer = null;
    var active = -1;
    var request = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function links() { return list.querySelectorAll("a"); }

    function mark(index) {
      var all = links();
      Array.prototype.forEach.call(all, function (a, i) {
        a.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
    }

    function hrefOf(result) {
      var doc = result.document || {};
      return doc.location || "#";
    }

    function show(results, term) {
      list.textContent = "";
      results.forEach(function (result, i) {
        var doc = result.document || {};
        var li = document.createElement("li");
        li.setAttribute("role", "presentation");
        var a = document.createElement("a");
        a.href = hrefOf(result);
        a.id = "suggestion-" + i;
        a.setAttribute("role", "option");
        var type = document.createElement("span");
        type.className = "s-type";
        type.textContent = result.type === "techdocs"
          ? "Docs" + (doc.entityTitle ? " · " + doc.entityTitle : "")
          : (doc.kind || "Entity");
        var title = document.createElement("span");
        title.textContent = " " + (doc.title || doc.name || a.href);
        a.appendChild(type);
        a.appendChild(title);
        if (doc.text) {
          var text = document.createElement("span");
          text.className = "s-text";
          text.textContent = doc.text;
          a.appendChild(text);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      var all = document.createElement("li");
      all.setAttribute("role", "presentation");
      var more = document.createElement("a");
      more.href = "/search?q=" + encodeURIComponent(term);
      more.setAttribute("role", "option");
      more.textContent = "All results for “" + term + "”";
      all.appendChild(more);
      list.appendChild(all);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function fetchSuggestions() {
      var term = input.value.trim();
      if (term.length < 2) { close(); return; }
      var mine = ++request;
      fetch("/api/search/query?pageLimit=6&term=" + encodeURIComponent(term), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (page) {
          if (mine !== request) { return; }
          show(page.results || [], term);
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var all = links();
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        mark((active + 1) % all.length);
      } else if (event.key === "ArrowUp" && all.length) {
        event.preventDefault();
        mark(active <= 0 ? all.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && all[active]) {
        event.preventDefault();
        window.location.href = all[active].href;
      } else if (event.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", function (event) {
      if (!list.contains(event.target) && event.target !== input) { close(); }
    });
  }

  // A large graph scrolls; start with its center in view.
  function initGraph() {
    var box = document.querySelector(".graph");
    var center = box && box.querySelector(".pg-center");
    if (!center || !center.getBoundingClientRect) { return; }
    var b = box.getBoundingClientRect();
    var c = center.getBoundingClientRect();
    box.scrollLeft += (c.left + c.width / 2) - (b.left + b.width / 2);
    box.scrollTop += (c.top + c.height / 2) - (b.top + b.height / 2);
  }

  function init() {
    initGraph();
    initThemeToggle();
    initAutosubmit();
    initSuggestions();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
