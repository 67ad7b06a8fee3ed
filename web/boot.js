// Starts the page's wasm module. Trunk.toml's `pattern_script` puts this file on the page with
// the generated module names as data attributes, so the page needs no inline script (its
// Content-Security-Policy allows only its own files).
const tag = document.querySelector("script[data-js][data-wasm]");
const bindings = await import(tag.dataset.js);
const wasm = await bindings.default({ module_or_path: tag.dataset.wasm });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));

// Offline after the first visit: the service worker (sw.js, written by web/offline.mjs) keeps
// this site's files. Where a browser refuses it (an insecure origin, a third-party iframe with
// storage blocked), the page works as before, online only.
// Registered once the page has loaded, so its downloads never compete with the page's own.
if ("serviceWorker" in navigator) {
  const register = () =>
    navigator.serviceWorker.register("sw.js").catch((e) => console.warn(`offline use is off: ${e.message}`));
  if (document.readyState === "complete") register();
  else addEventListener("load", register, { once: true });
}
