//! A training session: the run the page configured and, optionally, a baseline racing it with
//! the same config and seed but no feedback, and (preference mode, labels from a person) a
//! run labelled by the AI alone. Each advances one PPO update per [`Session::step`],
//! interleaved, so their curves grow side by side. A config with `seeds` above 1 trains the
//! run and its baseline on further seeds in step with them, for the band around their mean.

use crate::protocol::object;
use burn::tensor::Device;
use rlaif::experiment::trainer::MEAN_WINDOW;
use rlaif::experiment::{ExperimentConfig, Metric, Spread, Trainer};
use rlaif::feedback::labels_file::LabelsFile;
use rlaif::feedback::preference::{Answer, AnswerReport, SegmentRef};
use rlaif::feedback::{FeedbackConfig, FeedbackMode, LabelSource};
use wasm_bindgen::JsValue;

/// Episodes averaged for the "first episodes" mean the page compares against.
const FIRST_EPISODES: usize = 20;

/// One trainer and what the page is sent about it.
struct Run {
    trainer: Trainer,
    first: Vec<f64>,
    /// AI returns of the most recent episodes (feedback runs), newest last.
    recent_ai: std::collections::VecDeque<f64>,
    /// Number of the last episode recording sent to the page.
    sent_episode: u64,
    /// The newest query sent to the page (ids only grow).
    sent_query: u64,
}

impl Run {
    /// A fresh run; a `demo:` teacher is learned from `demos` (a demonstrations file's text).
    fn new(config: ExperimentConfig, demos: Option<&str>, device: &Device) -> Result<Self, String> {
        let trainer = Trainer::with_demonstrations(config, device, demos.map(str::as_bytes))
            .map_err(|e| e.to_string())?;
        Ok(Self::from_trainer(trainer))
    }

    fn from_trainer(mut trainer: Trainer) -> Self {
        trainer.set_clock(|| js_sys::Date::now() / 1000.0);
        Self {
            trainer,
            first: Vec::with_capacity(FIRST_EPISODES),
            recent_ai: std::collections::VecDeque::with_capacity(MEAN_WINDOW + 1),
            sent_episode: 0,
            sent_query: 0,
        }
    }

    fn finished(&self) -> bool {
        self.trainer.is_finished()
    }

    /// One rollout and PPO update; returns the update's metrics object for the page.
    async fn step(&mut self) -> Result<JsValue, String> {
        let slice = self.trainer.config().batch_size() as u64;
        self.trainer
            .step_slice_async(slice)
            .await
            .map_err(|e| e.to_string())?;
        // Points of the curve: (env steps, mean return of the last 20 episodes) per update.
        let mut curve = Vec::new();
        // Feedback runs: (env steps, value) pairs like `curve`.
        let (mut ai_curve, mut labeler, mut model) = (Vec::new(), Vec::new(), Vec::new());
        for metric in self.trainer.drain_metrics() {
            match metric {
                Metric::Episode(e) => {
                    if self.first.len() < FIRST_EPISODES {
                        self.first.push(e.episode_return);
                    }
                    if let Some(ai) = e.ai_return {
                        self.recent_ai.push_back(ai);
                        if self.recent_ai.len() > MEAN_WINDOW {
                            self.recent_ai.pop_front();
                        }
                    }
                }
                Metric::Update(u) => {
                    let x = u.env_steps as f64;
                    if u.mean_return.is_finite() {
                        curve.extend([x, u.mean_return]);
                    }
                    if !self.recent_ai.is_empty() {
                        let n = self.recent_ai.len() as f64;
                        ai_curve.extend([x, self.recent_ai.iter().sum::<f64>() / n]);
                    }
                    if let Some(f) = u.feedback {
                        if let Some(a) = f.preference.labeler_accuracy {
                            labeler.extend([x, a]);
                        }
                        if let Some(a) = f.preference.reward_model_accuracy {
                            model.extend([x, a]);
                        }
                    }
                }
            }
        }
        let preference = self.trainer.config().feedback.mode == FeedbackMode::Preference;
        // The latest finished episode, once, for the page to replay on its canvas.
        let episode = match self.trainer.last_episode() {
            Some(rec) if rec.number != self.sent_episode => {
                self.sent_episode = rec.number;
                object(&[
                    ("number", (rec.number as f64).into()),
                    ("seed", js_sys::BigInt::from(rec.seed).into()),
                    (
                        "actions",
                        js_sys::Float32Array::from(&rec.actions[..]).into(),
                    ),
                    ("episodeReturn", rec.episode_return.into()),
                ])
                .into()
            }
            _ => JsValue::UNDEFINED,
        };
        let first = (self.first.len() == FIRST_EPISODES)
            .then(|| self.first.iter().sum::<f64>() / FIRST_EPISODES as f64);
        let message = object(&[
            ("envSteps", (self.trainer.env_steps() as f64).into()),
            ("episodes", (self.trainer.episodes() as f64).into()),
            ("updates", (self.trainer.updates() as f64).into()),
            ("meanReturn", self.trainer.mean_return().into()),
            ("firstMeanReturn", first.into()),
            ("curve", js_sys::Float64Array::from(&curve[..]).into()),
            ("episode", episode),
            ("aiCurve", js_sys::Float64Array::from(&ai_curve[..]).into()),
            (
                "labelsUsed",
                if preference {
                    (self.trainer.labels_used() as f64).into()
                } else {
                    JsValue::UNDEFINED
                },
            ),
            (
                "labelerAccuracy",
                js_sys::Float64Array::from(&labeler[..]).into(),
            ),
            (
                "rewardModelAccuracy",
                js_sys::Float64Array::from(&model[..]).into(),
            ),
            ("threshold", self.trainer.reward_threshold().into()),
            (
                "solvedAt",
                self.trainer.solved_at().map(|s| s as f64).into(),
            ),
        ]);
        if preference {
            let agreement = self.trainer.label_agreement().unwrap_or_default();
            let _ =
                js_sys::Reflect::set(&message, &"aiVsModel".into(), &pair(agreement.ai_vs_model));
            let _ = js_sys::Reflect::set(
                &message,
                &"frozen".into(),
                &self.trainer.reward_model_frozen().into(),
            );
        }
        self.add_person_fields(&message);
        Ok(message.into())
    }

    /// With labels from a person: the queries asked since the last message, the ids still
    /// waiting, whether the run waits for its first labels, and the agreement so far.
    fn add_person_fields(&mut self, message: &js_sys::Object) {
        let Some(queue) = self.trainer.queue() else {
            return;
        };
        let queries = js_sys::Array::new();
        let mut ids = Vec::with_capacity(queue.len());
        let sent = self.sent_query;
        for q in queue.iter() {
            ids.push(q.id as f64);
            self.sent_query = self.sent_query.max(q.id);
            if q.id > sent {
                queries.push(&object(&[
                    ("id", (q.id as f64).into()),
                    ("askedAt", (q.asked_at as f64).into()),
                    ("left", segment(&q.left)),
                    ("right", segment(&q.right)),
                ]));
            }
        }
        let waiting = match self.trainer.waiting_for_labels() {
            Some((given, needed)) => object(&[
                ("given", (given as f64).into()),
                ("needed", (needed as f64).into()),
            ])
            .into(),
            None => JsValue::UNDEFINED,
        };
        let agreement = self.trainer.label_agreement().unwrap_or_default();
        let fields: [(&str, JsValue); 6] = [
            ("labelsYou", (self.trainer.labels_you() as f64).into()),
            ("queries", queries.into()),
            ("queueIds", js_sys::Float64Array::from(&ids[..]).into()),
            ("waiting", waiting),
            ("youVsAi", pair(agreement.you_vs_ai)),
            ("youVsModel", pair(agreement.you_vs_model)),
        ];
        for (key, value) in fields {
            // Setting a property on a plain object cannot fail.
            let _ = js_sys::Reflect::set(message, &key.into(), &value);
        }
    }
}

/// `[agreed, compared]` counts for the page.
fn pair((agreed, of): (u64, u64)) -> JsValue {
    js_sys::Float64Array::from(&[agreed as f64, of as f64][..]).into()
}

/// A queried segment for the page to replay: `{ seed, start, len, actions }`.
fn segment(s: &SegmentRef) -> JsValue {
    object(&[
        ("seed", js_sys::BigInt::from(s.seed).into()),
        ("start", (s.start as f64).into()),
        ("len", (s.len as f64).into()),
        ("actions", js_sys::Float32Array::from(&s.actions[..]).into()),
    ])
    .into()
}

/// A lane's further seeds (`seed + 1`, ...), each taking one update whenever the lane does.
/// Only their mean returns reach the page, as the band around the lane's mean.
#[derive(Default)]
struct FurtherSeeds {
    trainers: Vec<Trainer>,
}

impl FurtherSeeds {
    /// `count` runs of `config` on the seeds after its own.
    fn new(
        config: &ExperimentConfig,
        count: u32,
        demos: Option<&str>,
        device: &Device,
    ) -> Result<Self, String> {
        let trainers = (1..=u64::from(count))
            .map(|k| {
                let mut c = config.clone();
                c.seed = c.seed.wrapping_add(k);
                Trainer::with_demonstrations(c, device, demos.map(str::as_bytes))
                    .map_err(|e| format!("seed {}: {e}", config.seed.wrapping_add(k)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { trainers })
    }

    /// One update of each (those not finished); their metrics are dropped (the page gets
    /// their mean returns only).
    async fn step(&mut self) -> Result<(), String> {
        for t in self.trainers.iter_mut().filter(|t| !t.is_finished()) {
            let slice = t.config().batch_size() as u64;
            t.step_slice_async(slice).await.map_err(|e| e.to_string())?;
            t.drain_metrics();
        }
        Ok(())
    }

    fn env_steps(&self) -> u64 {
        self.trainers.iter().map(Trainer::env_steps).sum()
    }

    /// `[env steps, mean, min, max]` of the lane's mean returns (the lane's own first), once
    /// every seed has one; empty before, and for a lane of one seed.
    fn band(&self, lane: &Trainer) -> Vec<f64> {
        if self.trainers.is_empty() {
            return Vec::new();
        }
        // `None` until a seed has finished an episode.
        let returns: Option<Vec<f64>> = std::iter::once(lane)
            .chain(&self.trainers)
            .map(Trainer::mean_return)
            .collect();
        match returns.as_deref().and_then(Spread::of) {
            Some(s) => vec![lane.env_steps() as f64, s.mean, s.min, s.max],
            None => Vec::new(),
        }
    }
}

/// Sets `key` on a lane's metrics object (a plain object: cannot fail).
fn set_field(lane: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(lane, &key.into(), value);
}

pub struct Session {
    run: Run,
    baseline: Option<Run>,
    /// The same preference run labelled by the AI alone, racing a person's.
    ai_race: Option<Run>,
    /// The run's and the baseline's further seeds (config `seeds`), for their bands.
    run_seeds: FurtherSeeds,
    baseline_seeds: FurtherSeeds,
    /// Wall clock (ms) and total env steps at the previous step, for steps/s.
    last: Option<(f64, u64)>,
}

impl Session {
    /// Parses and checks `json` and builds the trainers (a `demo:` teacher learned from
    /// `demos` first); a bad config or bad demonstrations are a readable message.
    pub fn new(
        json: &str,
        demos: Option<&str>,
        baseline: bool,
        race_ai: bool,
        device: &Device,
    ) -> Result<Self, String> {
        let config = ExperimentConfig::from_json(json).map_err(|e| e.to_string())?;
        let further = config.seeds - 1;
        let fb = &config.feedback;
        if further > 0
            && fb.mode == FeedbackMode::Preference
            && fb.preference.label_source.asks_person()
        {
            return Err(format!(
                "{} seeds side by side cannot all wait for your labels: train one seed with \
                 your labels, or several with the AI's",
                config.seeds
            ));
        }
        let (baseline, baseline_seeds) = if baseline {
            let mut plain = config.clone();
            plain.feedback = FeedbackConfig::default();
            let seeds = FurtherSeeds::new(&plain, further, None, device)?;
            (Some(Run::new(plain, None, device)?), seeds)
        } else {
            (None, FurtherSeeds::default())
        };
        let fb = &config.feedback;
        let ai_race = if race_ai
            && fb.mode == FeedbackMode::Preference
            && fb.preference.label_source != LabelSource::Ai
        {
            let mut ai = config.clone();
            ai.feedback.preference.label_source = LabelSource::Ai;
            Some(Run::new(ai, demos, device)?)
        } else {
            None
        };
        Ok(Self {
            run_seeds: FurtherSeeds::new(&config, further, demos, device)?,
            run: Run::new(config, demos, device)?,
            baseline,
            ai_race,
            baseline_seeds,
            last: None,
        })
    }

    /// A session continuing the run in checkpoint `bytes`, and its racing baseline from
    /// `baseline` when it comes too (a run moved off a failed GPU); an imported file has none,
    /// since a new one would start from step 0 while the run is far ahead. The message says
    /// what is wrong with a bad file.
    pub fn import(
        bytes: &[u8],
        baseline: Option<&[u8]>,
        demos: Option<&str>,
        device: &Device,
    ) -> Result<Self, String> {
        let demos = demos.map(str::as_bytes);
        let trainer = Trainer::resume_with_demonstrations(bytes, device, None, demos)
            .map_err(|e| e.to_string())?;
        let baseline = match baseline {
            Some(b) => {
                let t =
                    Trainer::resume(b, device, None).map_err(|e| format!("the baseline: {e}"))?;
                Some(Run::from_trainer(t))
            }
            None => None,
        };
        // A race of labels starts with its run, and so do further seeds: an imported run
        // continues alone.
        Ok(Self {
            run: Run::from_trainer(trainer),
            baseline,
            ai_race: None,
            run_seeds: FurtherSeeds::default(),
            baseline_seeds: FurtherSeeds::default(),
            last: None,
        })
    }

    /// The main run's checkpoint bytes.
    pub fn export(&self) -> Result<Vec<u8>, String> {
        self.run.trainer.checkpoint().map_err(|e| e.to_string())
    }

    /// The racing baseline's checkpoint bytes, if there is one.
    pub fn baseline_export(&self) -> Result<Option<Vec<u8>>, String> {
        self.baseline
            .as_ref()
            .map(|b| b.trainer.checkpoint().map_err(|e| e.to_string()))
            .transpose()
    }

    /// The main run as a snapshot (any device, without the Adam state), so the page can move
    /// it to the CPU if this device fails later.
    pub async fn snapshot(&self) -> Result<Vec<u8>, String> {
        self.run
            .trainer
            .snapshot_async()
            .await
            .map_err(|e| e.to_string())
    }

    /// The racing baseline as a snapshot, if there is one.
    pub async fn baseline_snapshot(&self) -> Result<Option<Vec<u8>>, String> {
        match &self.baseline {
            Some(b) => b
                .trainer
                .snapshot_async()
                .await
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }

    /// The `imported` message: the run's config and totals.
    pub fn imported_message(&self) -> js_sys::Object {
        let t = &self.run.trainer;
        object(&[
            ("type", "imported".into()),
            ("config", t.config().to_json().into()),
            ("envSteps", (t.env_steps() as f64).into()),
            ("episodes", (t.episodes() as f64).into()),
            ("updates", (t.updates() as f64).into()),
            ("meanReturn", t.mean_return().into()),
        ])
    }

    /// The main run's env id, to name an exported file.
    pub fn env_id(&self) -> &str {
        &self.run.trainer.config().env_id
    }

    /// The main run's env steps so far.
    pub fn env_steps(&self) -> u64 {
        self.run.trainer.env_steps()
    }

    /// The main run is done (the baseline only matters while it races).
    pub fn finished(&self) -> bool {
        self.run.finished()
    }

    /// Whether the main run waits for a person's first labels.
    pub fn waiting(&self) -> bool {
        self.run.trainer.waiting_for_labels().is_some()
    }

    /// The main run's updates so far.
    pub fn updates(&self) -> u64 {
        self.run.trainer.updates()
    }

    /// A person's answer to query `id`, applied to the reward model's labels at once.
    pub fn answer(&mut self, id: u64, answer: Answer) -> Result<AnswerReport, String> {
        self.run
            .trainer
            .answer(id, answer)
            .map_err(|e| e.to_string())
    }

    /// The `queue` message: the queue fields of `metrics`, after answers were applied.
    pub fn queue_message(&mut self, session: u32) -> js_sys::Object {
        let message = object(&[("type", "queue".into()), ("session", session.into())]);
        self.run.add_person_fields(&message);
        message
    }

    /// The main run's labels so far, as a labels file's JSON text.
    pub fn labels_json(&self) -> String {
        self.run.trainer.labels_file().to_json()
    }

    /// Adds the labels of a labels file (its JSON text) to the main run: all, or none.
    pub fn import_labels(&mut self, json: &str) -> Result<usize, String> {
        let file = LabelsFile::parse(json.as_bytes()).map_err(|e| e.to_string())?;
        self.run
            .trainer
            .import_labels(&file)
            .map_err(|e| e.to_string())
    }

    /// One update of the run and one of each racing run (unless it already finished);
    /// returns the `metrics` message. While the run waits for a person's first labels it
    /// takes no step, and neither do the others, so the race stays even.
    pub async fn step(&mut self, session: u32) -> Result<js_sys::Object, String> {
        let run = self.run.step().await?;
        self.run_seeds.step().await?;
        let band = self.run_seeds.band(&self.run.trainer);
        set_field(&run, "band", &js_sys::Float64Array::from(&band[..]).into());
        let waiting = self.waiting();
        let mut racing = [JsValue::UNDEFINED, JsValue::UNDEFINED];
        for (slot, lane) in racing
            .iter_mut()
            .zip([&mut self.baseline, &mut self.ai_race])
        {
            if let Some(r) = lane
                && !r.finished()
                && !waiting
            {
                *slot = r.step().await?;
            }
        }
        let [baseline, ai_race] = racing;
        if let Some(b) = &self.baseline
            && !baseline.is_undefined()
        {
            self.baseline_seeds.step().await?;
            let band = self.baseline_seeds.band(&b.trainer);
            set_field(
                &baseline,
                "band",
                &js_sys::Float64Array::from(&band[..]).into(),
            );
        }
        let steps = self.run_seeds.env_steps()
            + self.baseline_seeds.env_steps()
            + self.run.trainer.env_steps()
            + [&self.baseline, &self.ai_race]
                .into_iter()
                .flatten()
                .map(|r| r.trainer.env_steps())
                .sum::<u64>();
        let now = js_sys::Date::now();
        let steps_per_second = self
            .last
            .and_then(|(t, s)| (now > t).then(|| (steps - s) as f64 / ((now - t) / 1000.0)));
        self.last = Some((now, steps));
        Ok(object(&[
            ("type", "metrics".into()),
            ("session", session.into()),
            ("run", run),
            ("baseline", baseline),
            ("aiRace", ai_race),
            ("stepsPerSecond", steps_per_second.into()),
        ]))
    }
}
