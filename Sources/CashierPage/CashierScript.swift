/// The page's script, inline (the policy allows exactly this text by its hash). It reads the bill from the
/// page's JSON data block, counts down the code's validity, and asks Query every `pollMs` until the bill is
/// paid, closed, failed or replaced — comparing autoid and codeurl with what the page was made for — or
/// until `graceMs` after the code expired (a payment made at the last second may still be reported).
enum CashierScript {
    static let javascript = #"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cashier-data").textContent);
  var body = document.body;
  var finished = data.state !== "waiting";
  var expired = false;
  var expiresAt = performance.now() + (data.expiresIn || 0) * 1000;
  var pollUntil = expiresAt + data.graceMs;

  function setText(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = value;
  }
  function show(state, detail) {
    var words = data.texts[state];
    body.setAttribute("data-state", state);
    setText("status-zh", words[0]);
    setText("status-en", words[1]);
    setText("detail", detail || "");
    if (state !== "waiting") {
      var picture = document.getElementById("qr");
      if (picture) picture.remove();
    }
  }
  function finish(state, detail) {
    finished = true;
    setText("note", "");
    show(state, detail);
  }
  function tick() {
    if (finished || expired) return;
    var left = Math.max(0, Math.ceil((expiresAt - performance.now()) / 1000));
    setText("time-left", Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"));
    if (left === 0) {
      expired = true;
      show("expired");
    }
  }
  function trouble(on) {
    setText("note", on ? data.texts.retrying.join(" ") : "");
  }
  function handle(answer) {
    var tag = answer && answer.tag;
    if (!tag || answer.errcode !== 0) {
      trouble(true);
      return;
    }
    trouble(false);
    if (tag.autoid !== data.autoid || (tag.codeurl && tag.codeurl !== data.codeurl)) {
      finish("replaced");
    } else if (tag.status === "paid") {
      finish("paid", tag.paytime ? data.texts.paidAt.join(" ") + " " + tag.paytime : "");
    } else if (tag.status === "closed") {
      finish(expired ? "expired" : "closed");
    } else if (tag.status === "failed") {
      finish("failed");
    }
  }
  function poll() {
    if (finished) return;
    fetch(data.queryPath, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (reply) { return reply.json(); })
      .then(handle, function () { trouble(true); })
      .then(function () {
        if (!finished && performance.now() < pollUntil) setTimeout(poll, data.pollMs);
      });
  }

  var picture = document.getElementById("qr");
  if (picture) {
    // The code stopped being payable between the page and its picture: the next answer says why.
    picture.addEventListener("error", function () { picture.remove(); });
  }
  if (!finished) {
    tick();
    setInterval(tick, 1000);
    poll();
  }
})();
"""#
}
