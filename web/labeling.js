// The labelling panel: two segments of the agent's episodes (a random policy's until it has
// finished some) play side by side on a loop; you say which is better, and then the panel
// shows what the AI labeler said of the same pair and how often you two agree. Your labels
// are only compared with the AI's: they train nothing. Everything is set as text.

import { fitCanvas } from "./canvas.js";

/** Frames of each segment shown per second: slow enough to compare two at once. */
const STEPS_PER_SECOND = 10;

const DEMO_TEACHER =
  "the teacher learned from your demonstrations is trained when a run starts, so the panel " +
  "cannot ask it; choose a built-in teacher to compare your labels with";

const percent = (part, whole) => Math.round((100 * part) / whole);
const SIDE_TEXT = { left: "the left segment", right: "the right segment" };

export class LabelingPanel {
  /**
   * `bindings` is the wasm module (`window.wasmBindings`); `root` the panel's section, whose
   * parts are found by their data-testid.
   */
  constructor(bindings, root) {
    this.B = bindings;
    this.root = root;
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
    this.anim = { running: false, last: 0, debt: 0 };
    // Software canvases, as the page's own (an accelerated one would wait on WebGPU training).
    for (const canvas of [this.ui.left, this.ui.right]) canvas.getContext("2d", { willReadFrequently: true });
    for (const side of ["left", "right", "equal"]) {
      this.ui.buttons[side].addEventListener("click", () => this.answer(side));
    }
    this.ui.buttons.skip.addEventListener("click", () => this.next());
    this.ui.buttons.next.addEventListener("click", () => this.next());
    // Animate only while the panel is on screen.
    this.onScreen = false;
    new IntersectionObserver((entries) => {
      this.onScreen = entries.some((e) => e.isIntersecting);
      if (this.onScreen) this.startAnimation();
    }).observe(root);
  }

  /**
   * Starts afresh for this env, teacher ("" for the env's default) and seed; the same three
   * again change nothing. The page's `demo` teacher (learned from your demonstrations) is
   * trained by the trainer when a run starts: the panel has no copy of it, and says so.
   */
  configure(envId, teacher, seed) {
    const key = JSON.stringify([envId, teacher, seed]);
    if (key === this.key) return;
    this.key = key;
    this.labeling?.free();
    this.labeling = null;
    this.last = null;
    this.counts = { answered: 0, agreements: 0 };
    this.error = null;
    try {
      if (teacher === "demo") throw new Error(DEMO_TEACHER);
      this.labeling = new this.B.Labeling(envId, teacher, this.B.Labeling.defaultSegmentLen(), seed);
      this.labeling.nextPair();
    } catch (err) {
      this.fail(err);
    }
    this.render();
    this.draw();
    if (this.onScreen) this.startAnimation();
  }

  /** Forgets the agent's episodes (its run was discarded); the pair on show stays. */
  forgetAgent() {
    this.labeling?.forgetAgent();
  }

  /** The agent's finished episode `{ seed, actions, number }` (a worker metrics message's `episode`). */
  addEpisode(episode) {
    if (!this.labeling) return;
    try {
      this.labeling.addEpisode(episode.seed, episode.actions, episode.number);
    } catch (err) {
      // An episode that does not replay here is left out; the panel says why.
      this.ui.source.textContent = `An agent episode was left out: ${err?.message ?? err}`;
    }
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
    if (!this.labeling) return;
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
    if (!this.labeling) return;
    try {
      for (const canvas of [this.ui.left, this.ui.right]) fitCanvas(canvas);
      this.labeling.draw(this.ui.left, this.ui.right);
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
    a.debt += ((now - a.last) / 1000) * STEPS_PER_SECOND;
    a.last = now;
    // After a long pause (a hidden tab) the segments go on from where they were.
    const steps = Math.min(Math.floor(a.debt), 2);
    a.debt = Math.min(a.debt - steps, 1);
    if (steps > 0) {
      try {
        for (let i = 0; i < steps; i += 1) this.labeling.step();
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
