(function () {
  "use strict";
  var S = window.GovsiteServices;
  document.querySelectorAll('[data-svc="ratings"]').forEach(function (root) {
    var base = root.dataset.api + "/ratings";
    var form = root.querySelector('[data-action="rate"]');
    var params = new URLSearchParams(location.search);
    ["module", "number", "query_code"].forEach(function (k) { if (params.get(k)) form.elements[k].value = params.get(k); });
    S.loadChallenge(form, base);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var d = S.formData(form);
      d.level = parseInt(d.level || "0", 10);
      S.guardedSubmit(form, base, "/", d, function (r) {
        var text = "感谢您的评价：" + r.level_label + "。";
        if (r.handling) text += "我们将核实整改，并于 " + r.reply_deadline + " 前回复。";
        S.show(form, text, true);
        S.loadChallenge(form, base);
      });
    });
  });
})();
