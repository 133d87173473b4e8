// The SMS counter under a text box (textarea[data-sms-text]): characters and parts as operators count them, the
// same rules as raccordo/sms/segments.py (GSM-7: 160 a message, 153 a part; otherwise UCS-2: 70 and 67).
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function count(text) {
    var gsm = true, length = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (BASIC.indexOf(ch) >= 0) { length += 1; }
      else if (EXTENDED.indexOf(ch) >= 0) { length += 2; }
      else { gsm = false; break; }
    }
    var single = 160, multi = 153, encoding = "GSM-7";
    if (!gsm) { length = text.length; single = 70; multi = 67; encoding = "UCS-2"; }
    var parts = length <= single ? 1 : Math.ceil(length / multi);
    return {length: length, parts: parts, encoding: encoding};
  }

  function update(box) {
    var out = document.getElementById(box.getAttribute("data-sms-counter"));
    if (!out) return;
    var c = count(box.value);
    out.querySelector("[data-sms-length]").textContent = c.length;
    out.querySelector("[data-sms-parts]").textContent = c.parts;
    out.querySelector("[data-sms-encoding]").textContent = c.encoding;
  }

  document.addEventListener("input", function (e) {
    if (e.target && e.target.matches && e.target.matches("textarea[data-sms-counter]")) update(e.target);
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("textarea[data-sms-counter]").forEach(update);
  });
})();
