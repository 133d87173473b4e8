/* Line editor of deals and invoices: product search (autocomplete), price/VAT/stock of the chosen product,
   and a nudge to recompute the totals on the server. Loaded with `defer` by web/lines/_editor.html. */
(function () {
  "use strict";
  var editor = document.querySelector(".rc-line-editor");
  if (!editor) return;
  var timer = null;

  function changed() { document.body.dispatchEvent(new CustomEvent("rc-lines-changed")); }

  function counterparty() {
    if (editor.dataset.counterparty) return editor.dataset.counterparty;
    var select = document.getElementById("id_counterparty");
    return select ? select.value : "";
  }

  // The invoice's own company (its select on the form, else the editor's attribute): stock is that company's.
  function ownCompany() {
    var select = document.getElementById("id_own_company");
    return select ? select.value : (editor.dataset.ownCompany || "");
  }

  function rowField(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  function search(input) {
    var list = input.parentElement.querySelector(".rc-ac-list");
    var q = input.value.trim();
    if (q.length < 2) { list.classList.remove("show"); list.innerHTML = ""; return; }
    fetch(input.dataset.url + "?q=" + encodeURIComponent(q), { headers: { "HX-Request": "true" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (input.value.trim() !== q) return;
        list.innerHTML = html;
        list.classList.toggle("show", html.trim() !== "");
      });
  }

  function choose(item) {
    var row = item.closest("tr");
    var input = row.querySelector(".rc-product-search");
    var list = row.querySelector(".rc-ac-list");
    list.classList.remove("show");
    input.value = item.dataset.name;
    var productField = rowField(row, "product");
    // A different product replaces the description (it would otherwise print the old text on the invoice);
    // choosing the same product again keeps a description the user edited.
    var productChanged = productField.value !== item.dataset.product;
    productField.value = item.dataset.product;
    var params = new URLSearchParams({ product: item.dataset.product, counterparty: counterparty(),
                                       price_type: (document.getElementById("line-price-type") || {}).value || "",
                                       own_company: ownCompany() });
    fetch(editor.dataset.infoUrl + "?" + params.toString())
      .then(function (r) { return r.json(); })
      .then(function (info) {
        var description = rowField(row, "description");
        if (description && (productChanged || !description.value)) description.value = info.name;
        if (info.price !== "") rowField(row, "price").value = info.price;
        var vat = rowField(row, "vat_rate");
        if (vat && info.vat_rate !== "") vat.value = info.vat_rate;
        var qty = rowField(row, "quantity");
        if (qty && !qty.value) qty.value = "1";
        changed();
        if (qty) { qty.focus(); qty.select(); }
      });
  }

  editor.addEventListener("input", function (e) {
    var input = e.target.closest(".rc-product-search");
    if (!input) return;
    var row = input.closest("tr");
    if (!input.value.trim()) rowField(row, "product").value = "";
    clearTimeout(timer);
    timer = setTimeout(function () { search(input); }, 250);
  });
  editor.addEventListener("click", function (e) {
    var item = e.target.closest(".rc-ac-item");
    if (item) { e.preventDefault(); choose(item); }
  });
  editor.addEventListener("keydown", function (e) {
    var input = e.target.closest(".rc-product-search");
    var item = e.target.closest(".rc-ac-item");
    if (input && e.key === "ArrowDown") {
      var first = input.parentElement.querySelector(".rc-ac-item");
      if (first) { e.preventDefault(); first.focus(); }
    } else if (input && e.key === "Enter") {
      var only = input.parentElement.querySelector(".rc-ac-item");
      e.preventDefault();   // Enter in the search picks the first match instead of submitting the form
      if (only) choose(only);
    } else if (item && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      var next = e.key === "ArrowDown" ? item.nextElementSibling : item.previousElementSibling;
      (next || item.closest(".rc-ac").querySelector(".rc-product-search")).focus();
    } else if (e.key === "Escape") {
      editor.querySelectorAll(".rc-ac-list.show").forEach(function (l) { l.classList.remove("show"); });
    }
  });
  document.addEventListener("click", function (e) {
    if (!e.target.closest(".rc-ac")) {
      editor.querySelectorAll(".rc-ac-list.show").forEach(function (l) { l.classList.remove("show"); });
    }
  });
  var addLine = document.getElementById("add-line");
  if (addLine) addLine.addEventListener("click", function () { setTimeout(changed, 0); });
  // Typed before this deferred script ran? Search now, so a quick user is not left without suggestions.
  editor.querySelectorAll(".rc-product-search").forEach(function (input) {
    if (input.value.trim() && !rowField(input.closest("tr"), "product").value) search(input);
  });
  editor.dataset.ready = "1";   // the browser tests wait for this instead of guessing when the script ran
})();
