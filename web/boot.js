// Starts the page's wasm module. Trunk.toml's `pattern_script` puts this file on the page with
// the generated module names as data attributes, so the page needs no inline script (its
// Content-Security-Policy allows only its own files).
const tag = document.querySelector("script[data-js][data-wasm]");
const bindings = await import(tag.dataset.js);
const wasm = await bindings.default({ module_or_path: tag.dataset.wasm });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
