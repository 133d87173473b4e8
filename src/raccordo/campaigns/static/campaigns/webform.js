// Raccordo's web form, embedded on the company's site by the snippet from the form's set-up page: it draws the
// form into <div data-raccordo-form="ID">, sends it (with the page's utm_* tags) to the endpoint and shows the
// answer. Plain DOM, no dependencies, no inline code, so it fits a strict content security policy too.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var endpoint = script.getAttribute("data-endpoint");
  var fields = (script.getAttribute("data-fields") || "name,email,phone").split(",");
  var consent = script.getAttribute("data-consent") || "";
  var successUrl = script.getAttribute("data-success-url") || "";
  var id = endpoint.replace(/\/submit\/?$/, "").split("/").pop();
  var place = document.querySelector('[data-raccordo-form="' + id + '"]');
  if (!place) { return; }
  var LABELS = {name: "Name", company: "Company", email: "E-mail", phone: "Phone", message: "Message"};
  var params = new URLSearchParams(window.location.search);

  function input(name) {
    var label = document.createElement("label");
    label.textContent = LABELS[name] || name;
    var box = document.createElement(name === "message" ? "textarea" : "input");
    box.name = name;
    if (name === "email") { box.type = "email"; }
    if (name === "phone") { box.type = "tel"; }
    label.appendChild(box);
    return label;
  }

  var form = document.createElement("form");
  form.className = "raccordo-form";
  fields.forEach(function (name) { if (name) { form.appendChild(input(name)); } });
  var trap = input("website");  // a honeypot: hidden from people, filled by bots
  trap.hidden = true;
  trap.querySelector("input").tabIndex = -1;
  trap.querySelector("input").autocomplete = "off";
  form.appendChild(trap);
  var agree = document.createElement("label");
  var box = document.createElement("input");
  box.type = "checkbox"; box.name = "consent"; box.value = "1";
  agree.appendChild(box);
  agree.appendChild(document.createTextNode(" " + consent));
  form.appendChild(agree);
  var send = document.createElement("button");
  send.type = "submit"; send.textContent = "Send";
  form.appendChild(send);
  var answer = document.createElement("p");
  answer.className = "raccordo-form-answer";
  answer.setAttribute("role", "status");
  form.appendChild(answer);
  place.appendChild(form);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (key) {
      if (params.get(key)) { data.append(key, params.get(key)); }
    });
    send.disabled = true;
    fetch(endpoint, {method: "POST", body: data, mode: "cors", credentials: "omit"})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        send.disabled = false;
        if (body.ok) {
          if (body.redirect || successUrl) { window.location.href = body.redirect || successUrl; return; }
          form.reset();
          answer.textContent = body.message;
          return;
        }
        var errors = body.errors || {};
        answer.textContent = body.message || Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ");
      })
      .catch(function () { send.disabled = false; answer.textContent = "The form could not be sent; try again later."; });
  });
})();
