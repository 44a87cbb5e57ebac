/* Jaring Lapangan: the facilitator's offline-first field app (decision 0039).

   What the phone keeps lives in IndexedDB (through the vendored idb), encrypted with AES-GCM
   (WebCrypto) under a key that the server session hands out (/api/v1/field/key/) and that is kept
   here as a non-extractable CryptoKey:
     meta      "key"   {key: CryptoKey, key_id, user}
               "state" {user, synced_ms, max_days, locked}
     snapshot  "area"  {box}             the facilitator's area (masked NIKs), /api/v1/field/snapshot/
     outbox    {id, key, kind, seq, dep, created_at, status, sent, server_id, payload: box, error: box}
   Only kind, dates and status are in clear, so the count of what waits shows without decrypting.

   Every outbox item is POSTed with its own Idempotency-Key (a client UUID), in creation order,
   after the item it depends on (a person after their household, an enrolment after its person):
   a retry after a lost answer gets the server's first answer back and creates nothing twice.
   A refusal (4xx) stays in the outbox as "perlu diperiksa" with the server's message until the
   facilitator edits and resends it or discards it; nothing is dropped silently.

   Wiped: everything after JARING_OFFLINE_MAX_DAYS without a sync, when another user signs in on
   this phone, when the user is no longer a facilitator (403); the area snapshot when the session
   has ended (401); everything on logout (the server's Clear-Site-Data header). */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("field-config").textContent);
  var T = JSON.parse(document.getElementById("field-strings").textContent);
  var DB_NAME = "jaring-lapangan";
  var KINDS = ["household", "person", "enrolment", "claim", "visit"];
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  var key = null;      // the CryptoKey
  var area = null;     // the decrypted snapshot
  var items = [];      // the outbox, payloads decrypted: [{rec, body, label, error}]
  var csrf = "";
  var locked = false;  // the session ended: the outbox waits for the same user to sign in again
  var busy = false;    // a sync is running
  var again = false;   // asked for another while it ran
  var selected = null; // the person shown in the detail panel
  var seqCounter = 0;

  function t(name, params) {
    var text = T[name] || name;
    Object.keys(params || {}).forEach(function (k) { text = text.split("%(" + k + ")s").join(String(params[k])); });
    return text;
  }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "hidden") node.hidden = !!attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The office's date (Kota Sorong: WIT), whatever zone the phone is set to.
  function today() {
    try {
      return new Intl.DateTimeFormat("en-CA", {timeZone: CONFIG.time_zone, year: "numeric", month: "2-digit",
                                               day: "2-digit"}).format(new Date());
    } catch (e) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function maskId(digits) {
    digits = String(digits || "");
    return digits.length === 16 ? digits.slice(0, 4) + "********" + digits.slice(12) : digits;
  }

  function rupiah(n) { return "Rp" + Number(n).toLocaleString("id-ID"); }
  function when(ms) { return new Date(ms).toLocaleString(document.documentElement.lang || "id"); }

  // --- Storage -----------------------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          d.createObjectStore("meta");
          d.createObjectStore("snapshot");
          d.createObjectStore("outbox", {keyPath: "id"});
        },
        blocking: function (current, blocked, event) { event.target.close(); dbPromise = null; }
      });
    }
    return dbPromise;
  }

  function b64urlBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function importKey(text) {
    return crypto.subtle.importKey("raw", b64urlBytes(text), {name: "AES-GCM"}, false, ["encrypt", "decrypt"]);
  }

  async function seal(value, withKey) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var ct = await crypto.subtle.encrypt({name: "AES-GCM", iv: iv}, withKey || key, encoder.encode(JSON.stringify(value)));
    return {iv: iv, ct: ct};
  }

  async function unseal(box, withKey) {
    if (!box) return null;
    var plain = await crypto.subtle.decrypt({name: "AES-GCM", iv: box.iv}, withKey || key, box.ct);
    return JSON.parse(decoder.decode(plain));
  }

  async function getState() { return (await (await db()).get("meta", "state")) || null; }
  async function putState(state) { await (await db()).put("meta", state, "state"); }

  async function wipe(everything) {
    var d = await db();
    var tx = d.transaction(["meta", "snapshot", "outbox"], "readwrite");
    await Promise.all([tx.objectStore("meta").clear(), tx.objectStore("snapshot").clear(),
                       tx.objectStore("outbox").clear(), tx.done]);
    key = null; area = null; items = []; selected = null;
    if (everything) {
      if (window.caches) {
        var names = await caches.keys();
        await Promise.all(names.filter(function (n) { return n.indexOf("jaring-lapangan-") === 0; })
                          .map(function (n) { return caches.delete(n); }));
      }
      if (navigator.serviceWorker) {
        var registrations = await navigator.serviceWorker.getRegistrations();
        await Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }
    }
  }

  async function wipeArea() {
    await (await db()).delete("snapshot", "area");
    area = null; selected = null;
  }

  async function loadArea() {
    var stored = key ? await (await db()).get("snapshot", "area") : null;
    area = stored ? await unseal(stored.box) : null;
  }

  async function loadOutbox() {
    var records = await (await db()).getAll("outbox");
    records.sort(function (a, b) { return a.seq - b.seq; });
    var out = [];
    for (var i = 0; i < records.length; i++) {
      var rec = records[i];
      var secret = key && rec.payload ? await unseal(rec.payload) : null;
      var error = key && rec.error ? await unseal(rec.error) : null;
      out.push({rec: rec, body: secret ? secret.body : null, label: secret ? secret.label : "", error: error});
    }
    items = out;
  }

  async function saveItem(rec, body, label, error) {
    if (body !== undefined) rec.payload = body === null ? null : await seal({body: body, label: label});
    if (error !== undefined) rec.error = error === null ? null : await seal(error);
    await (await db()).put("outbox", rec);
  }

  // A new key from a new session: everything stored is encrypted again under it, in one transaction.
  async function rekey(oldKey, newKey, keyRecord) {
    var d = await db();
    var snapshot = await d.get("snapshot", "area");
    var records = await d.getAll("outbox");
    var snapshotPlain = snapshot ? await unseal(snapshot.box, oldKey) : null;
    for (var i = 0; i < records.length; i++) {
      var rec = records[i];
      if (rec.payload) rec.payload = await seal(await unseal(rec.payload, oldKey), newKey);
      if (rec.error) rec.error = await seal(await unseal(rec.error, oldKey), newKey);
    }
    var newSnapshot = snapshotPlain ? {box: await seal(snapshotPlain, newKey)} : null;
    var tx = d.transaction(["meta", "snapshot", "outbox"], "readwrite");
    var writes = records.map(function (rec) { return tx.objectStore("outbox").put(rec); });
    if (newSnapshot) writes.push(tx.objectStore("snapshot").put(newSnapshot, "area"));
    writes.push(tx.objectStore("meta").put(keyRecord, "key"));
    await Promise.all(writes.concat([tx.done]));
  }

  function expired(state) {
    return state && state.synced_ms && Date.now() - state.synced_ms > (state.max_days || 7) * 86400000;
  }

  // --- Talking to the server ------------------------------------------------------------------------

  function getJson(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}});
  }

  async function sessionEnded() {
    // The session is gone (logged out elsewhere, expired, the account revoked): the area data goes
    // at once; the facilitator's own unsent work waits, hidden, for the same user to sign in again.
    await wipeArea();
    locked = true;
    var state = await getState();
    if (state) { state.locked = true; await putState(state); }
    show(t("session_ended"));
    $("#login-again").hidden = false;
    await render();
  }

  async function lostRole() {
    await wipe(true);
    show(t("wiped_role"));
    await render();
  }

  // Fetch the session's key: adopt it (first time), re-key (a new session), or wipe (another user).
  async function refreshKey() {
    var response;
    try { response = await getJson(CONFIG.key_url); } catch (e) { return false; }
    if (response.status === 401) { await sessionEnded(); return false; }
    if (response.status === 403) { await lostRole(); return false; }
    if (!response.ok) { show(t("server_error")); return false; }
    var body = await response.json();
    csrf = body.csrf;
    $all("input[name=csrfmiddlewaretoken]").forEach(function (input) { input.value = csrf; });
    var d = await db();
    var state = await getState();
    var stored = await d.get("meta", "key");
    if ((state && state.user !== body.user) || (stored && stored.user !== body.user)) {
      await wipe(false);
      show(t("wiped_user"));
      state = null; stored = null;
    }
    var fresh = await importKey(body.key);
    var record = {key: fresh, key_id: body.key_id, user: body.user};
    if (!stored) await d.put("meta", record, "key");
    else if (stored.key_id !== body.key_id) await rekey(stored.key, fresh, record);
    key = fresh;
    state = state || {user: body.user, synced_ms: Date.now(), max_days: 7};
    state.locked = false;
    await putState(state);
    locked = false;
    $("#login-again").hidden = true;
    return true;
  }

  async function refreshSnapshot() {
    var response;
    try { response = await getJson(CONFIG.snapshot_url); } catch (e) { return; }
    if (response.status === 401) { await sessionEnded(); return; }
    if (response.status === 403) { await lostRole(); return; }
    if (!response.ok) { show(t("server_error")); return; }
    var snapshot = await response.json();
    var state = await getState();
    if (!key || !state || state.user !== snapshot.user.id) return;  // raced with a wipe or another user
    await (await db()).put("snapshot", {box: await seal(snapshot)}, "area");
    state.synced_ms = Date.now();
    state.max_days = snapshot.max_days;
    await putState(state);
    area = snapshot;
  }

  function depOf(item) {
    return item.rec.dep ? items.filter(function (o) { return o.rec.id === item.rec.dep; })[0] || null : null;
  }

  function resolveRefs(value, dep) {
    if (Array.isArray(value)) return value.map(function (v) { return resolveRefs(v, dep); });
    if (value && typeof value === "object") {
      if (value.$ref) return dep && dep.rec.server_id;
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = resolveRefs(value[k], dep); });
      return out;
    }
    return value;
  }

  function isCsrfRefusal(status, body) {
    var message = body && body.error && body.error.message || "";
    return status === 403 && /CSRF/i.test(message);
  }

  // Send one item. Returns "done", "conflict", "wait" (try later), "stop" (no signal, no session).
  async function send(item, retried) {
    var rec = item.rec;
    var url = CONFIG.endpoints[rec.kind];
    if (!rec.sent) {
      // The body is fixed before the first attempt, so every retry carries the same body as its key.
      var body = resolveRefs(item.body, depOf(item));
      if (rec.kind === "enrolment") body.start_date = today();
      if (rec.kind === "visit") body.client_id = rec.id;  // the fieldwork API's own duplicate guard
      item.body = body;
      rec.sent = true;
      await saveItem(rec, body, item.label);
    }
    var response;
    try {
      response = await fetch(url || "/api/v1/-/", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "Idempotency-Key": rec.key, "X-CSRFToken": csrf},
        body: JSON.stringify(item.body)
      });
    } catch (e) {
      return "stop";  // no signal, or the answer was lost: the same key goes again next time
    }
    var answer = null;
    try { answer = await response.json(); } catch (e) { answer = null; }
    if (response.ok) {
      rec.status = "done";
      rec.server_id = answer && answer.id;
      rec.done_at = new Date().toISOString();
      item.body = null;  // the NIK typed offline is kept only until the server has it
      item.error = null;
      await saveItem(rec, null, "", null);
      return "done";
    }
    if (response.status === 401) { await sessionEnded(); return "stop"; }
    if (isCsrfRefusal(response.status, answer) && !retried) {
      return (await refreshKey()) ? send(item, true) : "stop";
    }
    if (response.status >= 500 || response.status === 429 ||
        (response.status === 409 && answer && answer.error && answer.error.code === "in_progress")) {
      return "wait";
    }
    var error = (answer && answer.error) || {code: "error", message: "HTTP " + response.status};
    error.status = response.status;
    rec.status = "conflict";
    item.error = error;
    await saveItem(rec, undefined, undefined, error);
    return "conflict";
  }

  // One pass over the outbox, oldest first, each item after the one it depends on.
  async function syncOnce() {
    if (!navigator.onLine || !(await refreshKey())) return;
    await loadOutbox();
    var progress = true;
    while (progress) {
      progress = false;
      var waiting = items.filter(function (i) { return i.rec.status === "pending"; });
      for (var n = 0; n < waiting.length; n++) {
        var item = waiting[n];
        var dep = depOf(item);
        if (dep && dep.rec.status !== "done") continue;  // its household or person goes first
        var outcome = await send(item);
        if (outcome === "stop") return;
        if (outcome === "wait") { show(t("server_error")); return; }
        if (outcome === "done") {
          progress = true;
          var state = await getState();
          if (state) { state.synced_ms = Date.now(); await putState(state); }
        }
      }
    }
    await purgeDone();
    await refreshSnapshot();
  }

  async function sync() {
    if (busy) { again = true; return; }
    busy = true;
    $("#sync-now").setAttribute("aria-busy", "true");
    try {
      do {
        again = false;
        await syncOnce();
      } while (again && navigator.onLine);
    } finally {
      busy = false;
      await render();
      $("#sync-now").removeAttribute("aria-busy");
    }
  }

  // A sent item is forgotten once nothing waiting needs its server id.
  async function purgeDone() {
    var d = await db();
    var needed = {};
    items.forEach(function (i) { if (i.rec.status !== "done" && i.rec.dep) needed[i.rec.dep] = true; });
    for (var n = 0; n < items.length; n++) {
      if (items[n].rec.status === "done" && !needed[items[n].rec.id]) await d.delete("outbox", items[n].rec.id);
    }
    await loadOutbox();
  }

  // --- The outbox -------------------------------------------------------------------------------

  async function addItem(kind, body, label, dep) {
    var id = uuid();
    var rec = {id: id, key: id, kind: kind, seq: Date.now() * 1000 + (seqCounter++ % 1000), dep: dep || null,
               created_at: new Date().toISOString(), status: "pending", sent: false, server_id: null,
               payload: null, error: null};
    await saveItem(rec, body, label, null);
    await loadOutbox();
    return rec;
  }

  async function replaceItem(item, body, label, dep) {
    var rec = item.rec;
    rec.key = uuid();  // another body is another request: a new Idempotency-Key
    rec.status = "pending";
    rec.sent = false;
    if (dep !== undefined) rec.dep = dep;
    await saveItem(rec, body, label, null);
    await loadOutbox();
  }

  function dependants(item) {
    return items.filter(function (o) { return o.rec.dep === item.rec.id && o.rec.status !== "done"; });
  }

  async function discard(item) {
    var d = await db();
    var others = dependants(item);
    for (var i = 0; i < others.length; i++) {
      if (item.rec.kind === "household") {
        // Its members carry the KK number: they go on alone (the server finds or makes the household).
        others[i].rec.dep = null;
        await d.put("outbox", others[i].rec);
      } else {
        await discard(others[i]);
      }
    }
    await d.delete("outbox", item.rec.id);
  }

  async function useExisting(item) {
    item.rec.status = "done";
    item.rec.server_id = item.error.existing_id;
    await saveItem(item.rec, null, "", null);
  }

  // --- Screens ------------------------------------------------------------------------------------

  function show(message) {
    var notice = $("#notice");
    notice.textContent = message || "";
    notice.hidden = !message;
  }

  function openTab(name) {
    $all("[data-panel]").forEach(function (p) { p.hidden = p.getAttribute("data-panel") !== name; });
    $all("[data-tab]").forEach(function (b) {
      if (b.getAttribute("data-tab") === name) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    });
    window.scrollTo(0, 0);
  }

  function fillSelect(select, options, optional) {
    var current = select.value;
    select.textContent = "";
    if (optional || options.length !== 1) select.appendChild(el("option", {value: "", text: t("choose")}));
    options.forEach(function (o) { select.appendChild(el("option", {value: o.value, text: o.label})); });
    if (current) select.value = current;
  }

  function optionsFor(name) {
    var o = (area && area.options) || {};
    if (name === "brackets_idr") {
      return (o.brackets_idr || []).map(function (b) { return {value: String(b), label: rupiah(b)}; });
    }
    return (o[name] || []).map(function (x) { return {value: x.code, label: x.name}; });
  }

  function renderForms() {
    $all("select[data-options]").forEach(function (select) {
      fillSelect(select, optionsFor(select.getAttribute("data-options")), select.hasAttribute("data-optional"));
    });
    var households = items.filter(function (i) { return i.rec.kind === "household" && i.rec.status !== "done" && i.body; });
    var select = $("#fp-household");
    var current = select.value;
    select.textContent = "";
    select.appendChild(el("option", {value: "", text: t("household_none")}));
    households.forEach(function (h) {
      select.appendChild(el("option", {value: h.rec.id, text: "KK " + maskId(h.body.kk_number) + " · " + (h.body.address || "")}));
    });
    if (current) select.value = current;
  }

  function membershipOf(personId) {
    return area ? area.memberships.filter(function (m) { return m.person === personId; })[0] || null : null;
  }

  // The persons of the area, and those registered here and not yet sent.
  function allPersons() {
    var out = [];
    items.forEach(function (i) {
      if (!locked && i.rec.kind === "person" && i.rec.status !== "done" && i.body) {
        out.push({ref: "o:" + i.rec.id, name: i.body.full_name, nik: maskId(i.body.nik), birth: i.body.birth_date,
                  fresh: true, item: i});
      }
    });
    ((area && area.persons) || []).forEach(function (p) {
      out.push({ref: "s:" + p.id, id: p.id, name: p.name, nik: p.nik, birth: p.birth_date, household: p.household,
                fresh: false});
    });
    return out;
  }

  function personByRef(ref) { return allPersons().filter(function (p) { return p.ref === ref; })[0] || null; }

  function renderPersons() {
    var q = ($("#person-q").value || "").trim().toLowerCase();
    var list = $("#person-list");
    list.textContent = "";
    var found = allPersons().filter(function (p) {
      return !q || p.name.toLowerCase().indexOf(q) !== -1 || p.nik.indexOf(q) !== -1;
    });
    found.slice(0, 50).forEach(function (p) {
      var m = p.id ? membershipOf(p.id) : null;
      var state = p.fresh ? t("new_record") : m ? (m.protected ? t("protected") : t("not_protected")) : t("not_member");
      list.appendChild(el("li", {}, [el("button", {type: "button", "class": "row", "data-ref": p.ref}, [
        el("strong", {text: p.name}),
        el("span", {"class": "sub", text: p.nik + " · " + p.birth + " · " + state})
      ])]));
    });
    if (!found.length) list.appendChild(el("li", {"class": "muted", text: area || items.length ? t("no_results") : t("no_key")}));
    var more = $("#person-more");
    more.hidden = found.length <= 50;
    more.textContent = t("more_results", {n: found.length - 50});
    var note = $("#person-note");
    note.hidden = !(area && area.truncated);
    note.textContent = t("truncated");
  }

  function renderDetail() {
    var box = $("#person-detail");
    var p = selected ? personByRef(selected) : null;
    box.hidden = !p;
    if (!p) return;
    $("#pd-name").textContent = p.name;
    var facts = $("#pd-facts");
    facts.textContent = "";
    function fact(label, value) { facts.appendChild(el("dt", {text: label})); facts.appendChild(el("dd", {text: value})); }
    fact("NIK", p.nik);
    fact(t("birth"), p.birth);
    if (p.fresh) fact(t("status"), t("new_record"));
    var m = p.id ? membershipOf(p.id) : null;
    if (m) fact(m.payer, m.status_label + " · " + m.protected_text);
    else if (!p.fresh) fact("BPJSTK", t("not_member"));
    var household = p.household && area ? area.households.filter(function (h) { return h.id === p.household; })[0] : null;
    if (household) fact("KK", household.kk + " · " + household.address);
    $("#pd-visit").hidden = !CONFIG.endpoints.visit;
    $("#pd-add-member").hidden = true;
  }

  function renderOutbox() {
    var list = $("#outbox-list");
    list.textContent = "";
    var open = items.filter(function (i) { return i.rec.status !== "done"; });
    if (!open.length) { list.appendChild(el("li", {"class": "muted", text: t("nothing_pending")})); return; }
    if (locked) { list.appendChild(el("li", {"class": "muted", text: t("session_ended")})); return; }
    open.forEach(function (item) {
      var dep = depOf(item);
      var blocked = item.rec.status === "pending" && dep && dep.rec.status !== "done";
      var status = item.rec.status === "conflict" ? t("status_conflict") : blocked ? t("status_blocked") : t("status_pending");
      var li = el("li", {"class": item.rec.status === "conflict" ? "conflict" : "", "data-item": item.rec.id,
                         "data-status": item.rec.status}, [
        el("strong", {text: t("kind_" + item.rec.kind) + ": " + (item.label || "")}),
        el("span", {"class": "sub", text: when(Date.parse(item.rec.created_at)) + " · " + status})
      ]);
      if (item.error) {
        var fields = item.error.fields || {};
        var detail = [];
        Object.keys(fields).forEach(function (f) {
          fields[f].forEach(function (m) { if (m !== item.error.message && detail.indexOf(m) === -1) detail.push(m); });
        });
        detail = detail.join(" ");
        li.appendChild(el("p", {"class": "error", text: item.error.message + (detail ? " (" + detail + ")" : "")}));
      }
      var actions = el("div", {"class": "actions"});
      if (item.rec.status === "conflict") {
        actions.appendChild(el("button", {type: "button", "data-act": "edit", text: t("edit")}));
        if (item.error && item.error.code === "duplicate_nik" && item.error.existing_id) {
          actions.appendChild(el("button", {type: "button", "class": "secondary", "data-act": "use-existing",
                                            text: t("use_existing")}));
        }
      }
      actions.appendChild(el("button", {type: "button", "class": "secondary outline", "data-act": "discard", text: t("discard")}));
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function renderLists() {
    var risk = $("#risk-list");
    risk.textContent = "";
    ((area && area.at_risk) || []).forEach(function (r) {
      var phone = r.phone ? el("a", {href: "tel:" + r.phone, text: r.phone}) : null;
      risk.appendChild(el("li", {}, [el("strong", {text: r.name}),
        el("span", {"class": "sub", text: t("months_unpaid", {n: r.unpaid_months}) + " · " + rupiah(r.owed_idr) +
                    (r.lapses_on ? " · " + t("lapses_on", {when: r.lapses_on}) : "")}), phone]));
    });
    if (!risk.children.length) risk.appendChild(el("li", {"class": "muted", text: t("nothing_here")}));
    var deadlines = $("#deadline-list");
    deadlines.textContent = "";
    ((area && area.claim_deadlines) || []).forEach(function (d) {
      deadlines.appendChild(el("li", {"class": d.overdue ? "conflict" : ""}, [el("strong", {text: d.name}),
        el("span", {"class": "sub", text: d.type_label + " · " + d.deadline_label + " " + d.date + " · " +
                    (d.overdue ? t("overdue") : t("days_left", {n: d.days_left}))})]));
    });
    if (!deadlines.children.length) deadlines.appendChild(el("li", {"class": "muted", text: t("nothing_here")}));
  }

  async function renderStatus() {
    var open = items.filter(function (i) { return i.rec.status !== "done"; });
    var conflicts = open.filter(function (i) { return i.rec.status === "conflict"; });
    var badge = $("#pending-badge");
    badge.hidden = !open.length;
    badge.textContent = t("pending", {n: open.length});
    var cb = $("#conflict-badge");
    cb.hidden = !conflicts.length;
    cb.textContent = t("conflicts", {n: conflicts.length});
    var net = $("#net");
    net.setAttribute("data-state", navigator.onLine ? "online" : "offline");
    net.textContent = busy ? t("syncing") : navigator.onLine ? t("online") : t("offline");
    var state = await getState();
    var info = $("#sync-info");
    if (state && state.synced_ms) {
      info.textContent = t("synced_at", {when: when(state.synced_ms)}) + ". " +
        t("expires_on", {when: new Date(state.synced_ms + state.max_days * 86400000).toLocaleDateString()});
    } else {
      info.textContent = t("never_synced");
    }
    try { localStorage.setItem("jaring-lapangan-waiting", String(open.length)); } catch (e) { /* private mode */ }
  }

  async function render() {
    renderForms();
    renderPersons();
    renderDetail();
    renderOutbox();
    renderLists();
    await renderStatus();
  }

  // --- Forms ---------------------------------------------------------------------------------------

  function formValues(form) {
    var out = {};
    $all("input, select, textarea", form).forEach(function (input) {
      if (!input.name || input.name === "csrfmiddlewaretoken") return;
      out[input.name] = input.type === "checkbox" ? input.checked : input.value.trim();
    });
    return out;
  }

  function resetForm(form) {
    form.reset();
    $all("input[type=hidden]", form).forEach(function (i) { i.value = ""; });
    var err = $(".form-error", form);
    err.hidden = true;
    var confirmBox = $(".confirm-warnings", form);
    if (confirmBox) confirmBox.hidden = true;
  }

  function setPerson(form, ref) {
    var p = personByRef(ref);
    form.elements._person.value = ref;
    $(".form-person", form).textContent = p ? p.name + " · " + p.nik : "";
  }

  function openForm(kind, ref) {
    var form = $("#f-" + kind);
    resetForm(form);
    renderForms();
    if (ref) setPerson(form, ref);
    if (kind === "claim") form.elements.event_date.value = today();
    if (kind === "visit") {
      form.elements.visited_on.value = today();
      form.elements.channel.value = "visit";
    }
    openTab(kind);
  }

  function personRef(ref) {
    // A person of the area is named by id; one registered here waits for its server id ($ref).
    if (ref.indexOf("s:") === 0) return {value: Number(ref.slice(2)), dep: null};
    var id = ref.slice(2);
    var item = items.filter(function (i) { return i.rec.id === id; })[0];
    if (item && item.rec.status === "done") return {value: item.rec.server_id, dep: null};
    return {value: {$ref: id}, dep: id};
  }

  function build(kind, v) {
    // The API's own field names; returns [body, label, dep] or throws a message.
    if (kind === "household") {
      if (!/^\d{16}$/.test(v.kk_number)) throw t("kk_digits");
      return [{kk_number: v.kk_number, address: v.address, kelurahan_code: v.kelurahan_code,
               data_source: "field_survey"}, "KK " + maskId(v.kk_number) + (v.address ? " · " + v.address : ""), null];
    }
    if (kind === "person") {
      if (!/^\d{16}$/.test(v.nik)) throw t("nik_digits");
      var dep = null;
      var kk = v.kk_number;
      if (v._household) {
        var household = items.filter(function (i) { return i.rec.id === v._household; })[0];
        if (household && household.body) { kk = household.body.kk_number; dep = household.rec.id; }
      }
      if (kk && !/^\d{16}$/.test(kk)) throw t("kk_digits");
      var body = {nik: v.nik, full_name: v.full_name, birth_date: v.birth_date, sex: v.sex,
                  kelurahan_code: v.kelurahan_code, relationship: v.relationship, phone: v.phone,
                  data_source: "field_survey"};
      if (v.occupation) body.occupation = v.occupation;
      if (kk) body.kk_number = kk;
      if (v.confirm_warnings) body.confirm_warnings = true;
      return [body, v.full_name, dep];
    }
    var person = personByRef(v._person);
    var ref = personRef(v._person);
    var name = person ? person.name : "";
    if (kind === "enrolment") {
      return [{person: ref.value, payer: v.payer, programs: ["JKK", "JKM"],
               declared_income_idr: Number(v.declared_income_idr)}, name, ref.dep];
    }
    if (kind === "claim") {
      return [{person: ref.value, type: v.type, event_date: v.event_date, event_place: v.event_place,
               chronology: v.chronology, reported_by: "facilitator"}, name, ref.dep];
    }
    var visit = {person: ref.value, visited_on: v.visited_on, channel: v.channel, outcome: v.outcome, note: v.note};
    if (v.promised_on) visit.promised_on = v.promised_on;
    return [visit, name, ref.dep];
  }

  async function submitForm(form) {
    var kind = form.getAttribute("data-kind");
    var values = formValues(form);
    var err = $(".form-error", form);
    var built;
    try { built = build(kind, values); } catch (message) {
      err.textContent = String(message);
      err.hidden = false;
      return;
    }
    var editing = values._edit ? items.filter(function (i) { return i.rec.id === values._edit; })[0] : null;
    var rec;
    if (editing) {
      await replaceItem(editing, built[0], built[1], kind === "person" ? built[2] : undefined);
      rec = editing.rec;
    } else {
      rec = await addItem(kind, built[0], built[1], built[2]);
    }
    resetForm(form);
    show(t("saved"));
    if (kind === "household" && !editing) {
      // Straight on to its members.
      openForm("person");
      $("#fp-household").value = rec.id;
      $("#f-person").elements.kelurahan_code.value = built[0].kelurahan_code;
    } else if (kind === "person" && !editing) {
      selected = "o:" + rec.id;
      openTab("persons");
      await render();
      if (built[2]) {
        var add = $("#pd-add-member");
        add.hidden = false;
        add.setAttribute("data-household", built[2]);
      }
    } else {
      openTab(editing ? "outbox" : "persons");
    }
    if (!(kind === "person" && !editing)) await render();
    if (navigator.onLine) sync();
  }

  function editItem(item) {
    var kind = item.rec.kind;
    var form = $("#f-" + kind);
    resetForm(form);
    renderForms();
    var body = item.body || {};
    Object.keys(body).forEach(function (name) {
      var input = form.elements[name];
      if (!input || typeof body[name] === "object") return;
      if (input.type === "checkbox") input.checked = !!body[name];
      else input.value = body[name];
    });
    form.elements._edit.value = item.rec.id;
    if (kind === "person" && item.rec.dep) $("#fp-household").value = item.rec.dep;
    if (kind === "person" && item.error && item.error.code === "needs_confirmation") {
      $(".confirm-warnings", form).hidden = false;
    }
    if (form.elements._person) {
      var ref = body.person && typeof body.person === "object" ? "o:" + body.person.$ref
                : item.rec.dep ? "o:" + item.rec.dep : "s:" + body.person;
      setPerson(form, ref);
    }
    if (item.error) {
      var err = $(".form-error", form);
      err.textContent = item.error.message;
      err.hidden = false;
    }
    openTab(kind);
  }

  function askDiscard(li, item) {
    if ($(".confirm", li)) return;
    var others = dependants(item);
    var text = t("discard_question") + (others.length && item.rec.kind !== "household"
      ? " " + t("discard_also", {n: others.length}) : "");
    var box = el("div", {"class": "confirm"}, [el("p", {text: text}), el("div", {"class": "actions"}, [
      el("button", {type: "button", "class": "contrast", "data-act": "discard-yes", text: t("discard_confirm")}),
      el("button", {type: "button", "class": "secondary", "data-act": "discard-no", text: t("cancel")})
    ])]);
    li.appendChild(box);
  }

  function bind() {
    $all("[data-tab]").forEach(function (button) {
      button.addEventListener("click", function () {
        var tab = button.getAttribute("data-tab");
        if (tab === "household" || tab === "person") openForm(tab);
        else openTab(tab);
      });
    });
    $("#person-q").addEventListener("input", renderPersons);
    $("#person-list").addEventListener("click", function (event) {
      var row = event.target.closest("[data-ref]");
      if (!row) return;
      selected = row.getAttribute("data-ref");
      renderDetail();
      $("#person-detail").scrollIntoView();
    });
    $("#pd-enrol").addEventListener("click", function () { openForm("enrolment", selected); });
    $("#pd-claim").addEventListener("click", function () { openForm("claim", selected); });
    $("#pd-visit").addEventListener("click", function () { openForm("visit", selected); });
    $("#pd-add-member").addEventListener("click", function () {
      var household = this.getAttribute("data-household");
      openForm("person");
      $("#fp-household").value = household;
    });
    $all("form[data-kind]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        submitForm(form);
      });
    });
    $("#outbox-list").addEventListener("click", async function (event) {
      var button = event.target.closest("[data-act]");
      if (!button) return;
      var li = button.closest("[data-item]");
      var item = items.filter(function (i) { return i.rec.id === li.getAttribute("data-item"); })[0];
      if (!item) return;
      var act = button.getAttribute("data-act");
      if (act === "edit") { editItem(item); return; }
      if (act === "discard") { askDiscard(li, item); return; }
      if (act === "discard-no") { $(".confirm", li).remove(); return; }
      if (act === "discard-yes") await discard(item);
      if (act === "use-existing") await useExisting(item);
      await loadOutbox();
      await render();
      if (navigator.onLine) sync();
    });
    $("#sync-now").addEventListener("click", function () { sync(); });
    window.addEventListener("online", function () { sync(); });
    window.addEventListener("offline", function () { renderStatus(); });
    $("#logout-form").addEventListener("submit", function (event) {
      var open = items.filter(function (i) { return i.rec.status !== "done"; }).length;
      // The server's answer wipes this phone's field data (Clear-Site-Data): unsent work would go too.
      if (open && !window.confirm(t("logout_pending", {n: open}))) event.preventDefault();
    });
  }

  async function start() {
    bind();
    var state = await getState();
    if (expired(state)) {
      await wipe(false);
      show(t("wiped_expired", {n: state.max_days}));
    } else {
      var stored = await (await db()).get("meta", "key");
      key = stored ? stored.key : null;
      locked = !!(state && state.locked);
      if (locked) $("#login-again").hidden = false;
    }
    await loadArea();
    await loadOutbox();
    await render();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(CONFIG.sw_url, {scope: CONFIG.scope}).catch(function () { return null; });
    }
    if (navigator.onLine) await sync();
  }

  window.jaringField = {sync: sync, ready: start()};
})();
