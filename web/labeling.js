// The labelling panel, in one of two modes:
// - compare: two segments of the agent's episodes (a random policy's until it has finished
//   some) play side by side; you say which is better, and then the panel shows what the AI
//   labeler said of the same pair and how often you two agree. These labels train nothing.
// - queue (preference feedback with labels from you or both): the pairs the run asked about
//   wait in a queue, the oldest on show; each answer goes to the run's worker and joins its
//   reward model's labels at once. The run waits for its first labels ("7 of 20").
// Both segments play in sync at the playback speed, and each canvas says in words what it
// shows (its accessible description). Everything is set as text.

import { fitCanvas } from "./canvas.js";

/** Frames of each segment shown per second unless the playback control says otherwise. */
const DEFAULT_STEPS_PER_SECOND = 10;

const DEMO_TEACHER =
  "the teacher learned from your demonstrations is trained when a run starts, so the panel " +
  "cannot ask it; choose a built-in teacher to compare your labels with";

const percent = (part, whole) => Math.round((100 * part) / whole);
const SIDE_TEXT = { left: "the left segment", right: "the right segment", equal: "neither (about the same)", skip: "nothing (skipped)" };
const KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowDown: "equal", " ": "skip" };

export class LabelingPanel {
  /**
   * `bindings` is the wasm module (`window.wasmBindings`); `root` the panel's section, whose
   * parts are found by their data-testid. `onAnswer({ session, id, answer })` sends a queued
   * pair's answer to the run.
   */
  constructor(bindings, root, onAnswer) {
    this.B = bindings;
    this.root = root;
    this.onAnswer = onAnswer;
    const part = (id) => root.querySelector(`[data-testid="${id}"]`);
    this.ui = {
      left: part("label-left"),
      right: part("label-right"),
      leftCaption: part("label-left-caption"),
      rightCaption: part("label-right-caption"),
      source: part("label-source"),
      verdict: part("label-verdict"),
      agreement: part("label-agreement"),
      count: part("stat-human-labels"),
      queue: part("label-queue"),
      queueAge: part("label-queue-age"),
      waiting: part("label-waiting"),
      speed: part("label-speed"),
      speedValue: part("label-speed-value"),
      buttons: {
        left: part("prefer-left"),
        right: part("prefer-right"),
        equal: part("prefer-equal"),
        skip: part("prefer-skip"),
        next: part("label-next"),
      },
    };
    this.labeling = null;
    this.key = null;
    this.last = null;
    this.counts = { answered: 0, agreements: 0 };
    this.stepsPerSecond = DEFAULT_STEPS_PER_SECOND;
    this.anim = { running: false, last: 0, debt: 0 };
    this.resetQueue();
    // Software canvases, as the page's own (an accelerated one would wait on WebGPU training).
    for (const canvas of [this.ui.left, this.ui.right]) canvas.getContext("2d", { willReadFrequently: true });
    for (const side of ["left", "right", "equal", "skip"]) {
      this.ui.buttons[side].addEventListener("click", () => this.choose(side));
    }
    this.ui.buttons.next.addEventListener("click", () => this.next());
    this.ui.speed.addEventListener("input", () => {
      const x = Number(this.ui.speed.value);
      this.stepsPerSecond = Number.isFinite(x) ? Math.min(60, Math.max(1, x)) : DEFAULT_STEPS_PER_SECOND;
      this.ui.speedValue.textContent = String(this.stepsPerSecond);
    });
    // Animate only while the panel is on screen.
    this.onScreen = false;
    new IntersectionObserver((entries) => {
      this.onScreen = entries.some((e) => e.isIntersecting);
      if (this.onScreen) this.startAnimation();
    }).observe(root);
  }

  /** Forgets the run's queue: a new run (or none) asks afresh. */
  resetQueue() {
    this.queue = { session: null, pending: [], shown: null, envSteps: 0, waiting: null, labelsYou: 0, youVsAi: null, youVsModel: null };
  }

  /**
   * Starts afresh for this env, teacher ("" for the env's default), seed and mode (`queue`:
   * the run's queued pairs; else compare); the same four again change nothing. The page's
   * `demo` teacher (learned from your demonstrations) is trained by the trainer when a run
   * starts: in compare mode the panel has no copy of it, and says so.
   */
  configure(envId, teacher, seed, queueMode = false) {
    const key = JSON.stringify([envId, teacher, seed, queueMode]);
    if (key === this.key) return;
    this.key = key;
    this.mode = queueMode ? "queue" : "compare";
    for (const node of this.root.querySelectorAll("[data-mode]")) node.hidden = node.dataset.mode !== this.mode;
    this.root.dataset.mode = this.mode;
    this.labeling?.free();
    this.labeling = null;
    this.last = null;
    this.counts = { answered: 0, agreements: 0 };
    this.error = null;
    this.resetQueue();
    try {
      if (queueMode) {
        // The panel only replays queued pairs: the run's own labeler judges them.
        this.labeling = new this.B.Labeling(envId, teacher === "demo" ? "" : teacher, this.B.Labeling.defaultSegmentLen(), seed);
      } else {
        if (teacher === "demo") throw new Error(DEMO_TEACHER);
        this.labeling = new this.B.Labeling(envId, teacher, this.B.Labeling.defaultSegmentLen(), seed);
        this.labeling.nextPair();
      }
    } catch (err) {
      this.fail(err);
    }
    this.render();
    this.draw();
    if (this.onScreen) this.startAnimation();
  }

  /** Forgets the agent's episodes and the run's queue (its run was discarded); in compare mode the pair on show stays. */
  forgetAgent() {
    this.labeling?.forgetAgent();
    if (this.mode === "queue") {
      this.resetQueue();
      this.labeling?.clearPair();
      this.render();
      this.draw();
    }
  }

  /** The agent's finished episode `{ seed, actions, number }` (a worker metrics message's `episode`). */
  addEpisode(episode) {
    if (!this.labeling || this.mode === "queue") return;
    try {
      this.labeling.addEpisode(episode.seed, episode.actions, episode.number);
    } catch (err) {
      // An episode that does not replay here is left out; the panel says why.
      this.ui.source.textContent = `An agent episode was left out: ${err?.message ?? err}`;
    }
  }

  /**
   * The run's queue fields (a `metrics` message's run with `session`, or a `queue` message):
   * new queries join the queue, those no longer waiting leave it, and the counts update.
   */
  onQueue(session, fields, envSteps) {
    if (this.mode !== "queue" || !fields?.queueIds) return;
    if (this.queue.session !== session) {
      this.resetQueue();
      this.queue.session = session;
    }
    const q = this.queue;
    const live = new Set(fields.queueIds);
    for (const query of fields.queries ?? []) {
      if (live.has(query.id) && !q.pending.some((p) => p.id === query.id) && q.shown?.id !== query.id) {
        q.pending.push(query);
      }
    }
    q.pending = q.pending.filter((p) => live.has(p.id));
    if (typeof envSteps === "number") q.envSteps = envSteps;
    q.waiting = fields.waiting ?? null;
    q.labelsYou = fields.labelsYou ?? q.labelsYou;
    q.youVsAi = fields.youVsAi ?? q.youVsAi;
    q.youVsModel = fields.youVsModel ?? q.youVsModel;
    // A pair on show that the run dropped (its queue was full) gives way to the next.
    if (q.shown && !live.has(q.shown.id)) q.shown = null;
    if (!q.shown) this.showNext();
    this.render();
  }

  /** What came of an answer (the worker's `answered` message): the AI's verdict and the model's prediction. */
  onAnswered(m) {
    if (this.mode !== "queue") return;
    if (this.last?.id === m.id) this.last = { ...this.last, ...m };
    this.render();
  }

  showNext() {
    const q = this.queue;
    q.shown = null;
    if (!this.labeling) return;
    const next = q.pending.shift();
    if (!next) {
      this.labeling.clearPair();
      this.draw();
      return;
    }
    try {
      const { left: l, right: r } = next;
      this.labeling.showQueued(l.seed, l.start, l.len, l.actions, r.seed, r.start, r.len, r.actions);
      q.shown = next;
    } catch (err) {
      // A pair that does not replay here is skipped, with the reason shown; the run is told.
      this.ui.source.textContent = `A queued pair was skipped: ${err?.message ?? err}`;
      this.onAnswer({ session: q.session, id: next.id, answer: "skip" });
      this.showNext();
      return;
    }
    this.draw();
  }

  /** A key while no other control has focus: `true` when the panel took it. */
  onKey(event) {
    if (this.mode !== "queue" || !this.queue.shown || !(event.key in KEYS)) return false;
    this.choose(KEYS[event.key]);
    return true;
  }

  /** A button or key: left, right, equal or skip. */
  choose(choice) {
    if (this.mode === "queue") this.answerQueued(choice);
    else if (choice === "skip") this.next();
    else this.answer(choice);
  }

  answerQueued(choice) {
    const q = this.queue;
    const shown = q.shown;
    if (!shown) return;
    this.onAnswer({ session: q.session, id: shown.id, answer: choice });
    this.last = { id: shown.id, choice };
    q.labelsYou += 1;
    this.showNext();
    this.render();
  }

  answer(choice) {
    if (!this.labeling || this.last) return;
    try {
      const a = this.labeling.answer(choice);
      this.last = { choice, ...a };
      this.counts = { answered: a.answered, agreements: a.agreements };
    } catch (err) {
      this.fail(err);
    }
    this.render();
  }

  /** A new pair; an unanswered one is skipped, uncounted. */
  next() {
    if (!this.labeling || this.mode === "queue") return;
    try {
      this.labeling.nextPair();
      this.last = null;
    } catch (err) {
      this.fail(err);
    }
    this.render();
    this.draw();
  }

  fail(err) {
    this.error = err?.message ?? String(err);
    this.labeling?.free();
    this.labeling = null;
  }

  render() {
    if (this.mode === "queue") this.renderQueue();
    else this.renderCompare();
  }

  renderQueue() {
    const { ui } = this;
    const q = this.queue;
    const asking = this.labeling !== null && q.shown !== null;
    for (const side of ["left", "right", "equal", "skip"]) ui.buttons[side].disabled = !asking;
    ui.buttons.next.disabled = true;
    this.root.dataset.state = this.labeling === null ? "error" : asking ? "asking" : "idle";
    this.root.dataset.query = q.shown ? String(q.shown.id) : "";
    delete this.root.dataset.ai;
    const waitingPairs = q.pending.length + (q.shown ? 1 : 0);
    ui.queue.textContent = String(waitingPairs);
    const oldest = [q.shown, ...q.pending].filter(Boolean).map((p) => p.askedAt);
    ui.queueAge.textContent = oldest.length > 0 ? `(the oldest asked ${Math.max(0, q.envSteps - Math.min(...oldest))} env steps ago)` : "";
    ui.waiting.textContent = q.waiting ? `The run waits for your first labels: ${q.waiting.given} of ${q.waiting.needed}.` : "";
    ui.count.textContent = String(q.labelsYou);

    const share = (pair) => (pair && pair[1] > 0 ? `${pair[0]} of ${pair[1]} (${percent(pair[0], pair[1])}%)` : null);
    const ai = share(q.youVsAi);
    const model = share(q.youVsModel);
    ui.agreement.textContent =
      ai === null && model === null
        ? "No pairs labelled yet."
        : `You agreed with the AI labeler on ${ai ?? "no pairs yet"}, with the reward model's prediction on ${model ?? "no pairs yet"}.`;

    if (this.labeling === null) {
      ui.verdict.textContent = `The labelling panel is not available: ${this.error ?? "not set up"}`;
      ui.source.textContent = "";
      ui.leftCaption.textContent = ui.rightCaption.textContent = "";
      return;
    }
    if (q.session === null) {
      ui.source.textContent = "Press Play: the run asks about pairs of its agent's segments once its first rollout is done.";
    } else if (!q.shown) {
      ui.source.textContent = "No pairs waiting: the run asks more after its next rollouts, within its label budget.";
    } else {
      ui.source.textContent = "Segments of the agent's own episodes, queued by the run.";
    }
    const pair = q.shown ? this.labeling.pair() : null;
    ui.leftCaption.textContent = pair ? queuedCaption("Left", pair.left) : "";
    ui.rightCaption.textContent = pair ? queuedCaption("Right", pair.right) : "";
    const last = this.last;
    if (!last) {
      ui.verdict.textContent = q.shown ? "Which segment is better? Watch both, then choose." : "";
      return;
    }
    const parts = [`You answered ${SIDE_TEXT[last.choice]}.`];
    if (last.refused) parts.push(`The run did not take it: ${last.refused}.`);
    else if (last.ai) {
      const said = last.ai === "equal" ? "judged them equally good" : last.ai === "skip" ? "skipped the pair" : `preferred ${SIDE_TEXT[last.ai]}`;
      parts.push(`The AI labeler ${said}`);
      parts[parts.length - 1] +=
        typeof last.model === "number" ? `; the reward model gave the left ${percent(last.model, 1)}% before your label.` : "; the reward model had not trained yet.";
    }
    ui.verdict.textContent = parts.join(" ");
  }

  renderCompare() {
    const { ui, counts, last } = this;
    const asking = this.labeling !== null && last === null;
    for (const side of ["left", "right", "equal", "skip"]) ui.buttons[side].disabled = !asking;
    ui.buttons.next.disabled = this.labeling === null || last === null;
    this.root.dataset.state = this.labeling === null ? "error" : asking ? "asking" : "answered";
    if (last) this.root.dataset.ai = last.ai;
    else delete this.root.dataset.ai;

    ui.count.textContent = String(counts.answered);
    ui.agreement.textContent =
      counts.answered === 0
        ? "No pairs labelled yet."
        : `You agreed with the AI labeler on ${counts.agreements} of ${counts.answered} ${counts.answered === 1 ? "pair" : "pairs"} (${percent(counts.agreements, counts.answered)}%).`;

    if (this.labeling === null) {
      ui.verdict.textContent = `The labelling panel is not available: ${this.error ?? "not set up"}`;
      ui.source.textContent = "";
      ui.leftCaption.textContent = ui.rightCaption.textContent = "";
      return;
    }
    const pair = this.labeling.pair();
    ui.source.textContent =
      pair.source === "agent"
        ? "Segments from the agent's latest episodes."
        : "Segments from a random policy (the agent has not finished enough episodes yet).";
    ui.leftCaption.textContent = caption("Left", pair.source, pair.left);
    ui.rightCaption.textContent = caption("Right", pair.source, pair.right);
    if (!last) {
      ui.verdict.textContent = "Which segment is better? Watch both, then choose.";
      return;
    }
    const scores = `teacher return ${last.aiLeft.toFixed(3)} left, ${last.aiRight.toFixed(3)} right`;
    const said =
      last.ai === "equal"
        ? "The AI labeler judged them equally good"
        : `The AI labeler preferred ${SIDE_TEXT[last.ai]}`;
    ui.verdict.textContent = `${said} (${scores}): ${last.agreed ? "you agreed" : "you did not agree"}.`;
  }

  draw() {
    const { left, right } = this.ui;
    if (!this.labeling) return;
    try {
      for (const canvas of [left, right]) fitCanvas(canvas);
      this.labeling.draw(left, right);
      // What each canvas shows, in words, and where each segment is.
      const pair = this.labeling.pair();
      if (pair) {
        const words = this.labeling.describe();
        for (const [canvas, side, name] of [[left, pair.left, "Left"], [right, pair.right, "Right"]]) {
          canvas.setAttribute("aria-label", `${name} segment, step ${side.position} of ${side.len}: ${words[name.toLowerCase()]}`);
          canvas.dataset.position = String(side.position);
          canvas.dataset.len = String(side.len);
        }
      } else {
        for (const canvas of [left, right]) {
          canvas.setAttribute("aria-label", "No segment on show.");
          delete canvas.dataset.position;
          delete canvas.dataset.len;
        }
      }
    } catch (err) {
      this.fail(err);
      this.render();
    }
  }

  startAnimation() {
    if (this.anim.running) return;
    this.anim = { running: true, last: performance.now(), debt: 0 };
    requestAnimationFrame((now) => this.tick(now));
  }

  tick(now) {
    const a = this.anim;
    if (!this.onScreen || !this.labeling) {
      a.running = false;
      return;
    }
    a.debt += ((now - a.last) / 1000) * this.stepsPerSecond;
    a.last = now;
    // One frame of the segments per animation frame at most, so each state is drawn; after
    // a long pause (a hidden tab) the segments go on from where they were.
    const steps = Math.min(Math.floor(a.debt), 1);
    a.debt = Math.min(a.debt - steps, 1);
    if (steps > 0 && this.labeling.pair()) {
      try {
        this.labeling.step();
      } catch (err) {
        this.fail(err);
        this.render();
      }
      this.draw();
    }
    requestAnimationFrame((t) => this.tick(t));
  }
}

/** "Left: agent episode 12, steps 41–65 of 120" (steps counted from 1). */
function caption(name, source, side) {
  const who = source === "agent" ? `agent episode ${side.episode}` : `random episode ${side.episode}`;
  return `${name}: ${who}, steps ${side.start + 1}–${side.start + side.len} of ${side.episodeLen}`;
}

/** "Left: steps 41–65 of its episode" (steps counted from 1). */
function queuedCaption(name, side) {
  return `${name}: steps ${side.start + 1}–${side.start + side.len} of its episode`;
}
