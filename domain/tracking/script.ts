/**
 * The first-party tracker the edge serves at `/t.js`, as plain ES5 text: no build step, no dependency,
 * nothing fetched. Pasted as `<script async src="https://<edge>/t.js" data-brand="<brand hash id>"></script>`.
 *
 * - Nothing at all (no event, no cookie, no storage) while tracking is refused: `navigator.doNotTrack ===
 *   "1"`, `navigator.globalPrivacyControl`, `window.leadrail = { consent: false }` or `data-consent="denied"`
 *   on the tag. Checked before every event, so a consent withdrawn later stops the next one.
 * - The visitor id: the `lr_vid` first-party cookie (two years, SameSite=Lax, Secure on https) mirrored in
 *   localStorage, so either restores the other. The session id lives in sessionStorage, renewed after 30
 *   minutes without an event.
 * - The page's `capture`, `lr_m`, `gclid`, `fbclid`, `ttclid` and `click_id` query values are kept for the
 *   session, so the pages after a landing's redirect still name the capture and the message.
 * - A page view on load, a click on links and buttons (href and text cut short), each sent at once with
 *   `navigator.sendBeacon` as text/plain (no CORS preflight), `fetch(…, { keepalive: true })` otherwise.
 */
export const trackerScript = `(function (w, d) {
  "use strict";
  var s = d.currentScript;
  if (!s || w.__leadrailTracker) return;
  w.__leadrailTracker = 1;
  var brand = s.getAttribute("data-brand");
  if (!brand) return;
  var endpoint;
  try { endpoint = new URL("/collect", s.src).href; } catch (e) { return; }
  var n = w.navigator || {};
  var idRe = /^[A-Za-z0-9_-]{8,64}$/;
  var uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  var params = ["capture", "lr_m", "gclid", "fbclid", "ttclid", "click_id"];

  function refused() {
    var page = w.leadrail;
    return n.doNotTrack === "1" || w.doNotTrack === "1" || n.globalPrivacyControl === true ||
      (page != null && page.consent === false) || s.getAttribute("data-consent") === "denied";
  }
  function cut(v, max) {
    v = v == null ? "" : String(v);
    return v.length > max ? v.slice(0, max) : v;
  }
  function random() {
    var a = new Uint8Array(16), h = "", i;
    w.crypto.getRandomValues(a);
    for (i = 0; i < a.length; i++) h += (a[i] + 256).toString(16).slice(1);
    return h;
  }
  function get(area, key) {
    try { return w[area].getItem(key); } catch (e) { return null; }
  }
  function put(area, key, value) {
    try { w[area].setItem(key, value); } catch (e) { /* storage refused: the cookie still holds */ }
  }
  function cookie(name) {
    var parts = (d.cookie || "").split("; "), i;
    for (i = 0; i < parts.length; i++)
      if (parts[i].indexOf(name + "=") === 0) return parts[i].slice(name.length + 1);
    return null;
  }
  function visitor() {
    var v = cookie("lr_vid");
    if (!v || !idRe.test(v)) v = get("localStorage", "lr_vid");
    if (!v || !idRe.test(v)) v = random();
    d.cookie = "lr_vid=" + v + "; Max-Age=63072000; Path=/; SameSite=Lax" +
      (w.location.protocol === "https:" ? "; Secure" : "");
    put("localStorage", "lr_vid", v);
    return v;
  }
  function session(now) {
    var sid = get("sessionStorage", "lr_sid"), last = Number(get("sessionStorage", "lr_seen"));
    if (!sid || !idRe.test(sid) || !(now - last < 1800000)) sid = random();
    put("sessionStorage", "lr_sid", sid);
    put("sessionStorage", "lr_seen", String(now));
    return sid;
  }
  function context() {
    var kept = {}, query, i, v;
    try { kept = JSON.parse(get("sessionStorage", "lr_ctx") || "{}") || {}; } catch (e) { kept = {}; }
    try { query = new URL(w.location.href).searchParams; } catch (e) { query = null; }
    for (i = 0; query && i < params.length; i++) {
      v = query.get(params[i]);
      if (v && (params[i] !== "capture" || uuidRe.test(v))) kept[params[i]] = cut(v, 256);
    }
    put("sessionStorage", "lr_ctx", JSON.stringify(kept));
    return kept;
  }
  function send(events) {
    var now = new Date().getTime();
    var body = JSON.stringify({
      v: 1, brand: brand, vid: visitor(), sid: session(now), sent: now, ctx: context(), events: events
    });
    try { if (n.sendBeacon && n.sendBeacon(endpoint, body)) return; } catch (e) { /* fall through */ }
    try {
      w.fetch(endpoint, {
        method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "content-type": "text/plain;charset=UTF-8" }
      }).catch(function () {});
    } catch (e) { /* no way to send: the event is lost */ }
  }
  function track(type, el) {
    if (refused()) return;
    var event = {
      type: type, t: new Date().getTime(), url: cut(w.location.href, 2048),
      ref: cut(d.referrer, 2048), title: cut(d.title, 300)
    };
    if (el) event.el = el;
    send([event]);
  }
  function clicked(e) {
    var t = e.target, el;
    while (t && t.nodeType !== 1) t = t.parentNode;
    el = t && t.closest ? t.closest("a,button,[role=button],input[type=submit],input[type=button]") : null;
    if (!el) return;
    track("click", {
      tag: el.tagName.toLowerCase(),
      href: el.href ? cut(el.href, 2048) : null,
      text: cut((el.innerText || el.textContent || el.value || "").replace(/\\s+/g, " ").replace(/^ | $/g, ""), 200) || null,
      id: el.id ? cut(el.id, 128) : null
    });
  }
  function viewed() { track("page_view", null); }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", viewed);
  else viewed();
  d.addEventListener("click", clicked, true);
})(window, document);
`;
