// The page's service worker: after one visit, the playground opens and trains without the
// network (a classroom's flaky connection, a train). `web/offline.mjs` writes this file into
// each build with the build's file list in PRECACHE; as written here (and in `trunk serve`'s
// debug builds) the list is empty and the worker caches nothing.
//
// Each deploy caches its files under its own name, so a page is served from one deploy only,
// never a mix: a new deploy's worker installs in the background and takes over when no page
// of the old one is open; then the old cache is deleted. Only this site's own files, under
// this worker's folder, are ever cached.

const PRECACHE = { version: "dev", files: [], lazy: [] };

const PREFIX = "rlaif-playground-";
const CACHE = PREFIX + PRECACHE.version;
/** Files fetched at install: what the page needs to open and train on the CPU. */
const EAGER = new Set(PRECACHE.files);
/** Files cached the first time the page fetches them (the large WebGPU trainer). */
const LAZY = new Set(PRECACHE.lazy);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // `no-cache` revalidates with the server, so a stale HTTP-cached copy of an unhashed file
      // (index.html, app.js) from an older deploy never enters this deploy's cache.
      cache.addAll([...EAGER].map((file) => new Request(file, { cache: "no-cache" }))),
    ),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      // The first visit's page is served from the cache from now on, without a reload.
      await self.clients.claim();
    })(),
  );
});

/** The file of this deploy a request asks for, relative to the worker's folder, or null. */
function fileOf(request) {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  const file = url.pathname.slice(scope.pathname.length) || "index.html";
  return EAGER.has(file) || LAZY.has(file) ? file : null;
}

async function respond(file, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(file);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && LAZY.has(file)) await cache.put(file, response.clone());
  return response;
}

if (EAGER.size > 0) {
  self.addEventListener("fetch", (event) => {
    const file = fileOf(event.request);
    if (file !== null) event.respondWith(respond(file, event.request));
  });
}
