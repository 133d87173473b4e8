/* Exchange set-up pages: copy buttons, and the node code suggested from the name being typed.
   A file of its own, no inline script, so the pages work under a strict Content-Security-Policy. */
(function () {
  "use strict";

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    // Plain http (an office server): select the text and let the browser copy it.
    input.focus();
    input.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    copyText(input).then(function () {
      var label = button.innerHTML;
      button.textContent = button.getAttribute("data-copied") || "✓";
      button.classList.add("btn-success");
      button.setAttribute("data-copied-done", "1");
      setTimeout(function () { button.innerHTML = label; button.classList.remove("btn-success"); }, 1500);
    }, function () {
      input.focus();
      input.select();   // copying refused: leave it selected for Ctrl+C
    });
  });

  function initCodeSuggestion() {
    var name = document.querySelector("[data-code-suggest]");
    var code = document.getElementById("id_code");
    if (!name || !code) return;
    var timer = null;
    // Once the person types a code of their own, leave it alone; clearing it hands it back to the suggestion.
    code.addEventListener("input", function () { code.dataset.touched = code.value ? "1" : ""; });
    if (code.value) code.dataset.touched = "1";
    name.addEventListener("input", function () {
      if (code.dataset.touched === "1") return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = name.getAttribute("data-code-suggest") + "?name=" + encodeURIComponent(name.value);
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (data && code.dataset.touched !== "1") code.value = data.code;
          })
          .catch(function () { /* the server suggests one on saving anyway */ });
      }, 250);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initCodeSuggestion);
  } else {
    initCodeSuggestion();
  }
})();

/* A form with data-confirm (deleting a task) asks first. */
document.addEventListener("submit", function (e) {
  var form = e.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
});
