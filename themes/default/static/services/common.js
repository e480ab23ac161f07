/* Shared helpers of the service widgets: JSON calls to the service API, the anti-spam challenge,
   idempotency keys (one per form fill, kept across retries and double clicks), Chinese messages. */
(function () {
  "use strict";
  if (window.GovsiteServices) return;
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }
  function show(form, text, ok) {
    var box = form.querySelector(".svc-result");
    if (!box) return;
    box.textContent = text;
    box.className = "svc-result " + (ok ? "svc-ok" : "svc-error");
  }
  function call(base, path, opts) {
    opts = opts || {};
    /* messages in the page's language (the static site is zh-Hans), not the browser's */
    var headers = { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "zh-Hans" };
    if (opts.body) headers["Content-Type"] = "application/json";
    if (opts.key) headers["Idempotency-Key"] = opts.key;
    return fetch(base + path, {
      method: opts.method || "GET", headers: headers, body: opts.body ? JSON.stringify(opts.body) : undefined,
      credentials: "omit", mode: "cors"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.message || ("请求失败（" + r.status + "）")); e.status = r.status; throw e; }
        return data;
      });
    }, function () { throw new Error("网络连接失败，请稍后重试"); });
  }
  function loadChallenge(form, base) {
    var q = form.querySelector(".svc-question");
    return call(base, "/challenge").then(function (c) {
      form.dataset.challenge = c.token;
      if (q) q.textContent = c.question;
    }, function (e) { if (q) q.textContent = e.message; });
  }
  function formData(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") out[el.name] = el.checked;
      else if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
      else out[el.name] = el.value.trim();
    });
    return out;
  }
  /* Submit once: the same key is sent on every retry of this fill, so a double click or a retry
     after a lost answer returns the same case instead of creating two. */
  function guardedSubmit(form, base, path, body, onDone) {
    if (!form.dataset.key) form.dataset.key = newKey();
    body.challenge_token = form.dataset.challenge || "";
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    return call(base, path, { method: "POST", body: body, key: form.dataset.key }).then(function (data) {
      delete form.dataset.key;
      onDone(data);
    }, function (e) {
      show(form, e.message, false);
      if (e.status === 400 || e.status === 429) loadChallenge(form, base);
    }).then(function () { if (button) button.disabled = false; });
  }
  window.GovsiteServices = { call: call, show: show, loadChallenge: loadChallenge, formData: formData,
                             guardedSubmit: guardedSubmit };
})();
