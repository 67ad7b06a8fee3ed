// The page's side of the training worker (protocol in web/train/src/protocol.rs). Two worker
// builds exist: `train-cpu` and `train-gpu` (WebGPU, much larger); each is fetched the first
// time it is used and kept, since a WebGPU device is initialised once per worker.

/** Whether WebGPU can run here: an adapter, not just `navigator.gpu`, must exist. */
export async function detectWebGpu() {
  if (!navigator.gpu) return { ok: false, reason: "this browser has no WebGPU" };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { ok: false, reason: "no WebGPU adapter" };
    const info = adapter.info ?? {};
    const name =
      info.description || [info.vendor, info.architecture].filter(Boolean).join(" ") || "adapter";
    return { ok: true, name };
  } catch (err) {
    return { ok: false, reason: `the WebGPU adapter request failed (${err?.message ?? err})` };
  }
}

/**
 * A failed request; `stage` is request, config, device, crash, load, train, export or import,
 * and `midRun` whether the run had already sent metrics.
 */
/** Worker messages that come whether or not a request is in flight: a person's answers' results. */
const ANYTIME = ["answered", "queue"];

export class WorkerFailure extends Error {
  constructor(stage, message, midRun = false) {
    // One line: a panic's message spans two ("panicked at FILE:LINE:COL:\nwhy").
    super(String(message).replace(/\s*\n\s*/g, " "));
    this.stage = stage;
    this.midRun = midRun;
  }
}

export class TrainerClient {
  /** `onMessage(msg)` receives `device`, `status` and `metrics` messages. */
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.workers = new Map();
    this.active = null;
    /** Workers with a request in flight: a crash there rejects the request instead. */
    this.busy = new Set();
    /** Workers ended after a crash. */
    this.ended = new WeakSet();
  }

  /** The worker for `backend` ("cpu" or "gpu"), once it has said it is ready. */
  worker(backend) {
    if (!this.workers.has(backend)) {
      const ready = new Promise((resolve, reject) => {
        const url = new URL(`./train-${backend}_loader.js`, import.meta.url);
        const worker = new Worker(url, { type: "module" });
        const onMessage = (event) => {
          if (event.data?.type !== "ready") return;
          worker.removeEventListener("message", onMessage);
          worker.removeEventListener("error", onError);
          // What comes of a person's answers arrives whether or not a run is in progress.
          worker.addEventListener("message", (e) => {
            const m = e.data ?? {};
            if (ANYTIME.includes(m.type)) this.onMessage(m, backend);
            // A crash between requests (applying an answer, say): the page hears of it as
            // a `crash` message and the worker is ended.
            if (m.type === "error" && m.stage === "crash") this.crashedIdle(backend, worker, m.message);
          });
          // The trap that follows a panic is an error event: handled here (or by the request
          // in flight), never left to reach the page as an uncaught error.
          worker.addEventListener("error", (e) => {
            e.preventDefault();
            this.crashedIdle(backend, worker, e.message || "the worker crashed");
          });
          resolve(worker);
        };
        const onError = (event) => {
          event.preventDefault();
          reject(new WorkerFailure("load", event.message || `the ${backend} worker did not load`));
        };
        worker.addEventListener("message", onMessage);
        worker.addEventListener("error", onError);
      });
      // A worker that failed to load is not kept, so a later run tries again.
      ready.catch(() => this.workers.delete(backend));
      this.workers.set(backend, ready);
    }
    return this.workers.get(backend);
  }

  /**
   * Sends one `run` request to `backend` and resolves with the reason it ended (finished,
   * paused or stepped); rejects with a `WorkerFailure`.
   */
  async run(backend, request) {
    const worker = await this.worker(backend);
    return new Promise((resolve, reject) => {
      let sawMetrics = false;
      const finish = () => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        this.active = null;
        this.busy.delete(worker);
      };
      const onMessage = (event) => {
        const m = event.data ?? {};
        if (m.type === "done") {
          finish();
          resolve(m.reason);
        } else if (m.type === "error") {
          finish();
          if (m.stage === "crash") this.forget(backend, worker);
          reject(new WorkerFailure(m.stage, m.message, sawMetrics));
        } else if (!ANYTIME.includes(m.type)) {
          if (m.type === "metrics") sawMetrics = true;
          this.onMessage(m, backend);
        }
      };
      const onError = (event) => {
        event.preventDefault();
        finish();
        this.forget(backend, worker);
        reject(new WorkerFailure("crash", event.message || "the worker crashed", sawMetrics));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      this.active = worker;
      this.busy.add(worker);
      worker.postMessage({ type: "run", ...request });
    });
  }

  /**
   * Sends `message` to the `backend` worker (no run in progress) and resolves with its reply
   * of type `replyType`; rejects with a `WorkerFailure` on an `error` reply or a crash.
   */
  async request(backend, message, replyType, transfer = []) {
    const worker = await this.worker(backend);
    return new Promise((resolve, reject) => {
      const finish = () => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        this.busy.delete(worker);
      };
      const onMessage = (event) => {
        const m = event.data ?? {};
        if (m.type === replyType) {
          finish();
          resolve(m);
        } else if (m.type === "error") {
          finish();
          if (m.stage === "crash") this.forget(backend, worker);
          reject(new WorkerFailure(m.stage, m.message));
        }
      };
      const onError = (event) => {
        event.preventDefault();
        finish();
        this.forget(backend, worker);
        reject(new WorkerFailure("crash", event.message || "the worker crashed"));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      this.busy.add(worker);
      worker.postMessage(message, transfer);
    });
  }

  /**
   * Sends a person's answer `{ session, id, answer }` to the `backend` worker, run or no run:
   * the worker applies it before the run's next slice and replies with `answered`.
   */
  async answer(backend, { session, id, answer }) {
    const worker = await this.worker(backend);
    worker.postMessage({ type: "answer", session, id, answer });
  }

  /** Ends a worker that crashed (a Rust panic leaves its module unusable): the next request loads a fresh one. */
  forget(backend, worker) {
    this.ended.add(worker);
    worker.terminate();
    this.workers.delete(backend);
  }

  /** A crash with no request in flight (applying an answer, say): the page hears of it once as a `crash` message. */
  crashedIdle(backend, worker, message) {
    if (this.busy.has(worker) || this.ended.has(worker)) return;
    this.forget(backend, worker);
    this.onMessage({ type: "crash", message: String(message).replace(/\s*\n\s*/g, " ") }, backend);
  }

  /** Asks the running request to end after its current update. */
  pause() {
    this.active?.postMessage({ type: "pause" });
  }

  /** Forgets the session on every worker that has one. */
  async reset() {
    for (const ready of this.workers.values()) {
      const worker = await ready.catch(() => null);
      worker?.postMessage({ type: "reset" });
    }
  }
}
