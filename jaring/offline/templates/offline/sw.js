/* Jaring Lapangan's service worker (decision 0039), rendered by jaring.offline.views.service_worker.
   It controls /lapangan/ only and keeps the shell and its static files, nothing else: no API answer
   and no personal data ever enter its cache (the area is kept encrypted in IndexedDB by field.js).
   A new version (any precached file or the shell changed) replaces the old cache whole. */
"use strict";

var VERSION = {{ version|safe }};
var ASSETS = {{ assets|safe }};
var SHELL = {{ shell|safe }};
var SHELL_HEADER = {{ shell_header|safe }};
var PREFIX = "jaring-lapangan-";
var CACHE = PREFIX + VERSION;

function isShell(response) {
  // Only the facilitators' shell itself: never a login page, an error or the page for other roles.
  return response && response.ok && !response.redirected && response.headers.get(SHELL_HEADER) === "1";
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS).then(function () {
      return fetch(SHELL, {credentials: "same-origin", cache: "no-store"});
    }).then(function (response) {
      if (!isShell(response)) throw new Error("the shell is not available to this user");
      return cache.put(SHELL, response);
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// The shell: from the cache at once (it works without signal), refreshed in the background.
function shell(event) {
  var refreshed = fetch(event.request).then(function (response) {
    if (isShell(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(SHELL, copy); });
    }
    return response;
  });
  return caches.open(CACHE).then(function (cache) { return cache.match(SHELL); }).then(function (cached) {
    if (cached) {
      event.waitUntil(refreshed.catch(function () { return null; }));
      return cached;
    }
    return refreshed;
  });
}

// The shell's static files: from the cache, else the network.
function asset(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (cached) {
      return cached || fetch(request);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shell(event));
  } else if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(asset(request));
  }
  // Everything else (the API above all) goes to the network as if there were no worker.
});
