(function () {
  "use strict";
  var S = window.GovsiteServices;
  document.querySelectorAll('[data-svc="letters"]').forEach(function (root) {
    var base = root.dataset.api + "/letters";
    var submit = root.querySelector('[data-action="submit"]');
    var lookup = root.querySelector('[data-action="lookup"]');
    if (submit) {
      S.loadChallenge(submit, base);
      submit.addEventListener("submit", function (ev) {
        ev.preventDefault();
        S.guardedSubmit(submit, base, "/", S.formData(submit), function (r) {
          S.show(submit, "提交成功。信件编号：" + r.number + "，查询码：" + r.query_code +
            "（请妥善保存），答复期限：" + r.deadline + "。", true);
          submit.reset();
          S.loadChallenge(submit, base);
        });
      });
    }
    if (lookup) {
      lookup.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var d = S.formData(lookup);
        S.call(base, "/lookup?no=" + encodeURIComponent(d.no) + "&code=" + encodeURIComponent(d.code)).then(function (r) {
          var text = r.subject + "：" + r.status_label + "（受理日期 " + r.accepted_on + "，答复期限 " + r.deadline + "）";
          if (r.answer) text += "\n答复部门：" + r.answer_department + "，答复日期：" + r.answered_on + "\n" + r.answer;
          S.show(lookup, text, true);
          if (r.status === "answered") {
            var a = document.createElement("a");
            a.href = "/ratings/?module=letters&number=" + encodeURIComponent(d.no) + "&query_code=" + encodeURIComponent(d.code);
            a.textContent = "对答复进行评价";
            lookup.querySelector(".svc-result").appendChild(document.createElement("br"));
            lookup.querySelector(".svc-result").appendChild(a);
          }
        }, function (e) { S.show(lookup, e.message, false); });
      });
    }
  });
})();
