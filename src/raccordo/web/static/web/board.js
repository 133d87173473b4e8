/* Funnel board: drag a card to another stage (SortableJS), or choose the stage in the card's menu.
   The server moves the deal (deal_move) and draws the board again; a lost stage asks for the reason first. */
(function () {
  "use strict";
  var pending = null;

  function csrf() {
    var holder = document.body.getAttribute("hx-headers");
    try { return JSON.parse(holder)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function filters() {
    var form = document.getElementById("board-filters");
    var values = {};
    if (!form) return values;
    new FormData(form).forEach(function (v, k) { values[k] = v; });
    return values;
  }

  function redraw() {
    htmx.ajax("GET", window.location.pathname + "?" + new URLSearchParams(filters()).toString(),
              { target: "#board", swap: "innerHTML" });
  }

  function move(card, stage, kind, reason) {
    var values = filters();
    values.stage = stage;
    if (reason) values.lost_reason = reason;
    htmx.ajax("POST", card.dataset.moveUrl, { target: "#board", swap: "innerHTML", values: values,
                                              headers: { "X-CSRFToken": csrf() } });
  }

  function request(card, stage, kind) {
    if (kind === "lost") {
      pending = { card: card, stage: stage };
      var modal = bootstrap.Modal.getOrCreateInstance(document.getElementById("lost-modal"));
      document.getElementById("lost-reason").value = "";
      modal.show();
    } else {
      move(card, stage, kind);
    }
  }

  function init() {
    if (typeof Sortable === "undefined") return;
    document.querySelectorAll("#board .rc-board-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "deals", draggable: ".rc-card", animation: 120, ghostClass: "rc-card-ghost",
        filter: "select, a", preventOnFilter: false,
        onEnd: function (evt) {
          if (evt.from === evt.to) return;
          request(evt.item, evt.to.dataset.stage, evt.to.dataset.kind);
        }
      });
    });
    document.querySelectorAll("#toasts .toast:not(.rc-shown)").forEach(function (el) {
      el.classList.add("rc-shown");
      bootstrap.Toast.getOrCreateInstance(el, { delay: 5000 }).show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    // One listener for every card's stage menu, including cards added later by "Show more".
    document.addEventListener("change", function (e) {
      var select = e.target;
      if (!select.classList || !select.classList.contains("rc-card-move")) return;
      var option = select.options[select.selectedIndex];
      request(select.closest(".rc-card"), option.value, option.dataset.kind);
    });
    var form = document.getElementById("board-filters");
    if (form) form.addEventListener("change", function () { form.submit(); });
    var lostForm = document.getElementById("lost-form");
    var lostModal = document.getElementById("lost-modal");
    lostForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var reason = document.getElementById("lost-reason").value.trim();
      if (!reason || !pending) return;
      var p = pending; pending = null;
      bootstrap.Modal.getInstance(lostModal).hide();
      move(p.card, p.stage, "lost", reason);
    });
    lostModal.addEventListener("hidden.bs.modal", function () {
      if (pending) { pending = null; redraw(); }   // cancelled: the card goes back
    });
  });
  document.addEventListener("htmx:afterSettle", function (e) { if (e.target.id === "board") init(); });
})();
