/* Raccordo UI glue: toasts, Ctrl+K search, live search dropdown, invoice line rows. No build step. */
(function () {
  "use strict";

  function showToasts(root) {
    (root || document).querySelectorAll(".toast:not(.rc-shown)").forEach(function (el) {
      el.classList.add("rc-shown");
      bootstrap.Toast.getOrCreateInstance(el, { delay: 5000 }).show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showToasts();
    var search = document.getElementById("global-search");
    var dropdown = document.getElementById("global-search-results");
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && (e.key === "k" || e.key === "K")) {
        e.preventDefault();
        if (search) { search.focus(); search.select(); }
      } else if (e.key === "Escape" && dropdown) {
        dropdown.classList.remove("show");
      }
    });
    if (search && dropdown) {
      document.addEventListener("click", function (e) {
        if (!dropdown.contains(e.target) && e.target !== search) dropdown.classList.remove("show");
      });
      search.addEventListener("focus", function () { if (dropdown.innerHTML.trim()) dropdown.classList.add("show"); });
      search.addEventListener("keydown", function (e) {
        if (e.key === "ArrowDown") {
          var first = dropdown.querySelector("a");
          if (first) { e.preventDefault(); first.focus(); }
        }
      });
      dropdown.addEventListener("keydown", function (e) {
        var links = Array.prototype.slice.call(dropdown.querySelectorAll("a"));
        var i = links.indexOf(document.activeElement);
        if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
        if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : search).focus(); }
      });
    }
    initLines();
    labelTableCells(document);
    // After a refused submit, put the cursor on the first field that needs fixing.
    var invalid = document.querySelector("main .is-invalid");
    if (invalid) invalid.focus();
  });

  // A <select data-autosubmit> sends its form when changed (the Content-Security-Policy forbids onchange=""
  // attributes). Delegated from the document, so selects that htmx swaps in work too.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  // A list's "select all" box ticks every row box of the same bulk form (data-select-all="<form id>"); the box has
  // no name, so only the rows are sent. Delegated too: the table is swapped in by htmx when filters change.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("input[data-select-all]")) return;
    document.querySelectorAll('input[name="ids"][form="' + box.dataset.selectAll + '"]').forEach(function (row) {
      row.checked = box.checked;
    });
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    showToasts(e.target);
    labelTableCells(e.target);
    if (e.target.id === "rc-modal-dialog") {
      // A confirmation came back: show it, and put the cursor on its reason (if it asks one) once visible.
      var modal = document.getElementById("rc-modal");
      modal.addEventListener("shown.bs.modal", function () {
        var first = modal.querySelector("textarea, .modal-footer .btn-danger, .modal-footer .btn-primary");
        if (first) first.focus();
      }, { once: true });
      bootstrap.Modal.getOrCreateInstance(modal).show();
    }
    if (e.target.id === "global-search-results") {
      e.target.classList.toggle("show", e.target.innerHTML.trim() !== "");
    }
  });

  /* On a phone a list's rows are cards (raccordo.css); each cell shows its column's name, which it takes from
     the table header here, so the list templates keep one header and no repeated labels. */
  function labelTableCells(root) {
    var tables = root.matches && root.matches("table.rc-table") ? [root] : root.querySelectorAll("table.rc-table");
    Array.prototype.forEach.call(tables, function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) return;
      var labels = [];
      Array.prototype.forEach.call(head.cells, function (th) {
        var text = th.textContent.replace(/\s+/g, " ").trim();
        for (var i = 0; i < (th.colSpan || 1); i++) labels.push(text);
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var col = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (labels[col] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", labels[col]);
            col += cell.colSpan || 1;
          });
        });
      });
    });
  }

  /* The phone menu: "Menu" opens the full navigation; the backdrop, the close button, Escape or a link close it. */
  function setMenu(open) {
    document.body.classList.toggle("rc-menu-open", open);
    document.querySelectorAll("[data-rc-menu]").forEach(function (b) { b.setAttribute("aria-expanded", String(open)); });
    if (open) {
      var current = document.querySelector("#rc-sidebar .rc-nav a");
      if (current) current.focus();
    }
  }
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-rc-menu], [data-rc-menu-close], [data-rc-toggle]") : null;
    if (!el) return;
    if (el.hasAttribute("data-rc-menu")) setMenu(!document.body.classList.contains("rc-menu-open"));
    else if (el.hasAttribute("data-rc-menu-close")) setMenu(false);
    else {
      // A button that shows or hides a panel (the board's filters on a phone).
      var panel = document.getElementById(el.getAttribute("data-rc-toggle"));
      if (!panel) return;
      var shown = panel.classList.toggle("show");
      el.setAttribute("aria-expanded", String(shown));
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.body.classList.contains("rc-menu-open")) setMenu(false);
  });

  /* Invoice lines: "Add line" clones the formset's empty form and bumps TOTAL_FORMS. */
  function initLines() {
    var button = document.getElementById("add-line");
    if (!button) return;
    button.addEventListener("click", function () {
      var prefix = button.dataset.prefix;
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById("line-template");
      var body = document.getElementById("line-rows");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var row = body.lastElementChild;
      var input = row && row.querySelector("select, input:not([type=hidden])");
      if (input) input.focus();
    });
  }
})();
