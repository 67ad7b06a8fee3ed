// What the page is doing, with one owner. Every change goes through `PageMode.go`, which
// refuses a transition the page cannot make, so that no mix of flags (playing while a person
// plays, replaying a discarded run's episodes) can arise. Pure, tested under Node.
//
//   idle       no run: the canvas shows the random policy
//   training   Play: the run trains until paused or finished; the canvas replays its episodes
//   stepping   Step: one update, then paused (Play meanwhile turns it into training)
//   paused     a run is kept and nothing trains (also a finished run)
//   human      a person plays the env with the keyboard; a kept run waits
//   importing  a run file is being read into the trainer; the run controls wait

export const MODES = ["idle", "training", "stepping", "paused", "human", "importing"];

/** The modes each mode may go to. Going to the mode one is in is always allowed. */
export const TRANSITIONS = {
  idle: ["training", "stepping", "human", "importing"],
  training: ["paused", "stepping", "idle", "importing"],
  stepping: ["paused", "training", "human", "idle", "importing"],
  paused: ["training", "stepping", "human", "importing", "idle"],
  human: ["idle", "paused", "training", "stepping", "importing"],
  importing: ["paused", "idle"],
};

export class PageMode {
  /** `onChange(to, from)` runs after every change of mode (not for a change to the same mode). */
  constructor(onChange = () => {}) {
    this.current = "idle";
    this.onChange = onChange;
  }

  is(...modes) {
    return modes.includes(this.current);
  }

  /** Whether the page may go from its mode to `to`. */
  can(to) {
    return to === this.current || (TRANSITIONS[this.current]?.includes(to) ?? false);
  }

  /** Goes to `to`; a transition the page cannot make throws (a bug in the page, not the user's). */
  go(to) {
    if (!MODES.includes(to)) throw new Error(`unknown page mode ${JSON.stringify(to)}`);
    const from = this.current;
    if (from === to) return;
    if (!this.can(to)) throw new Error(`the page cannot go from ${from} to ${to}`);
    this.current = to;
    this.onChange(to, from);
  }

  /** Whether the canvas takes the run's new episodes: only while it trains for you to watch. */
  get replays() {
    return this.is("training", "stepping");
  }

  /** Whether the canvas animates on its own clock (training: the replays play at the set speed). */
  get animates() {
    return this.current === "training";
  }
}
