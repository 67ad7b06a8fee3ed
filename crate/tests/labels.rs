//! A person's labels in the preference mode: the query queue, answers, waiting for the first
//! round, labels files, and checkpoints that keep them.

use rlaif::backend::CpuBackend;
use rlaif::env::{Action, Env};
use rlaif::experiment::{CsvWriter, ExperimentConfig, Trainer};
use rlaif::feedback::labels_file::LabelsFile;
use rlaif::feedback::preference::{Answer, LabelOrigin, SegmentRef};

fn cpu() -> burn::tensor::Device {
    CpuBackend::NdArray.device()
}

/// A LavaCrossing preference run (short random episodes) of 4 envs x 64 steps a rollout,
/// its labels from `source`.
fn lava(source: &str, total: u64) -> ExperimentConfig {
    let mut c = ExperimentConfig::preset("Grid-LavaCrossing-v0").unwrap();
    c.total_steps = total;
    c.n_envs = 4;
    c.ppo.n_steps = 64;
    let fb = format!(
        r#"{{"mode": "preference", "lambda": 0.5, "preference": {{"label_budget": 40,
        "segment_len": 8, "labels_per_update": 6, "initial_labels": 5,
        "label_source": "{source}"}}}}"#
    );
    c.feedback = serde_json::from_str(&fb).unwrap();
    c
}

/// Replays `seg` in a fresh env and returns the sum of the env's rewards over the segment's
/// steps: what a person watching it can judge by.
fn seen_return(env_id: &str, seg: &SegmentRef) -> f64 {
    let mut env = rlaif::env::make(env_id).unwrap();
    let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
    env.reset(Some(seg.seed), &mut obs);
    let mut total = 0.0;
    for (t, &a) in seg.actions.iter().enumerate() {
        let step = env.step(Action::Discrete(a as usize), &mut obs).unwrap();
        if t >= seg.start {
            total += step.reward;
        }
        assert!(
            !(step.terminated || step.truncated) || t + 1 == seg.actions.len(),
            "a segment's episode ends only at its last step"
        );
    }
    assert_eq!(seg.actions.len(), seg.start + seg.len);
    total
}

/// Steps until the run waits for its first labels.
fn until_waiting(t: &mut Trainer) -> (u64, u64) {
    for _ in 0..100 {
        if let Some(w) = t.step_slice(64).unwrap().waiting_for_labels {
            return w;
        }
    }
    panic!("the run never waited for labels");
}

#[test]
fn the_run_waits_for_the_first_labels_and_answers_apply_in_order() {
    let c = lava("you", 2_048);
    let mut t = Trainer::new(c.clone(), &cpu()).unwrap();
    assert_eq!(until_waiting(&mut t), (0, 5));
    let steps = t.env_steps();
    assert_eq!(steps, 256, "one full rollout, then the run waits");
    // Waiting is not stepping.
    let report = t.step_slice(1_000).unwrap();
    assert_eq!((report.env_steps, report.updates), (0, 0));
    assert_eq!(report.waiting_for_labels, Some((0, 5)));

    let queue: Vec<_> = t.queue().unwrap().iter().cloned().collect();
    assert_eq!(queue.len(), 5);
    // Answers in an order of our own, judged from what the segments show.
    let mut given = Vec::new();
    for q in queue.iter().rev() {
        let (l, r) = (
            seen_return(&c.env_id, &q.left),
            seen_return(&c.env_id, &q.right),
        );
        let answer = if l > r {
            Answer::Left
        } else if r > l {
            Answer::Right
        } else {
            Answer::Equal
        };
        t.answer(q.id, answer).unwrap();
        given.push((q.left.clone(), q.right.clone(), answer));
    }
    assert_eq!(t.waiting_for_labels(), None);
    assert_eq!(t.labels_you(), 5);
    assert_eq!(t.labels_used(), 0, "no AI label is charged");
    let file = t.labels_file();
    let logged: Vec<_> = file
        .labels
        .iter()
        .map(|l| (l.left.clone(), l.right.clone(), l.answer))
        .collect();
    assert_eq!(
        logged, given,
        "the log keeps the answers in the order given"
    );
    assert!(file.labels.iter().all(|l| l.source == LabelOrigin::You));

    // The update that waited runs now, and the run goes on.
    let report = t.step_slice(64).unwrap();
    assert_eq!(report.updates, 1);
    assert!(t.env_steps() > steps);
}

#[test]
fn answers_to_another_run_or_answered_twice_are_refused_and_change_nothing() {
    let mut old = Trainer::new(lava("you", 2_048), &cpu()).unwrap();
    until_waiting(&mut old);
    let old_id = old.queue().unwrap().iter().next().unwrap().id;

    // Reset: a new run of the same config and seed asks its own queries.
    let mut new = Trainer::new(lava("you", 2_048), &cpu()).unwrap();
    until_waiting(&mut new);
    let before: Vec<_> = new.queue().unwrap().iter().map(|q| q.id).collect();
    assert!(
        !before.contains(&old_id),
        "a new run never reuses a query id"
    );
    assert!(new.answer(old_id, Answer::Left).is_err());
    let after: Vec<_> = new.queue().unwrap().iter().map(|q| q.id).collect();
    assert_eq!(before, after);
    assert_eq!(new.labels_you(), 0);

    new.answer(before[0], Answer::Skip).unwrap();
    let err = new.answer(before[0], Answer::Left).unwrap_err().to_string();
    assert!(err.contains("not waiting"), "{err}");
    assert_eq!(new.labels_you(), 1);
}

#[test]
fn both_sources_label_with_the_ai_and_queue_the_same_pairs_for_a_person() {
    let mut t = Trainer::new(lava("both", 2_048), &cpu()).unwrap();
    let report = t.step_slice(256).unwrap();
    assert_eq!(
        report.waiting_for_labels, None,
        "the AI's labels do not wait"
    );
    assert_eq!(report.updates, 1);
    assert_eq!(t.labels_used(), 5);
    let ai: Vec<_> = t.labels_file().labels;
    let queued: Vec<_> = t.queue().unwrap().iter().cloned().collect();
    assert_eq!(ai.len(), queued.len());
    for (label, q) in ai.iter().zip(&queued) {
        assert_eq!((&label.left, &label.right), (&q.left, &q.right));
        assert_eq!(label.answer, q.ai);
        assert_eq!(label.source, LabelOrigin::Ai);
    }
    t.answer(queued[0].id, Answer::Right).unwrap();
    assert_eq!((t.labels_used(), t.labels_you()), (5, 1));
}

#[test]
fn a_checkpoint_keeps_the_queue_and_the_log() {
    let c = lava("you", 2_048);
    let mut t = Trainer::new(c.clone(), &cpu()).unwrap();
    until_waiting(&mut t);
    let ids: Vec<_> = t.queue().unwrap().iter().map(|q| q.id).collect();
    t.answer(ids[0], Answer::Left).unwrap();
    t.drain_metrics();
    let bytes = t.checkpoint().unwrap();
    let mut resumed = Trainer::resume(&bytes, &cpu(), Some(&c.env_id)).unwrap();
    let kept: Vec<_> = resumed.queue().unwrap().iter().map(|q| q.id).collect();
    assert_eq!(kept, ids[1..]);
    assert_eq!(resumed.waiting_for_labels(), Some((1, 5)));
    assert_eq!(resumed.labels_file(), t.labels_file());
    for &id in &ids[1..] {
        resumed.answer(id, Answer::Equal).unwrap();
        t.answer(id, Answer::Equal).unwrap();
    }
    let (mut a, mut b) = (String::new(), String::new());
    for (trainer, out) in [(&mut t, &mut a), (&mut resumed, &mut b)] {
        let mut csv = CsvWriter::new();
        while !trainer.is_finished() {
            trainer.step_slice(256).unwrap();
            csv.write(&trainer.drain_metrics(), out);
        }
    }
    assert_eq!(a, b, "the resumed run goes on as the uninterrupted one");
}

#[test]
fn a_checkpoint_between_rollouts_resumes() {
    // The page exports after an update, when the last rollout's records are spent.
    for source in ["ai", "you"] {
        let c = lava(source, 2_048);
        let mut t = Trainer::new(c.clone(), &cpu()).unwrap();
        if source == "you" {
            until_waiting(&mut t);
            let ids: Vec<_> = t.queue().unwrap().iter().map(|q| q.id).collect();
            for id in ids {
                t.answer(id, Answer::Left).unwrap();
            }
        }
        while t.env_steps() < 4 * 64 {
            t.step_slice(64).unwrap();
        }
        // The full rollout's update, and no step of the next rollout.
        t.step_slice(0).unwrap();
        assert_eq!((t.updates(), t.env_steps()), (1, 4 * 64), "{source}");
        let bytes = t.checkpoint().unwrap();
        let mut resumed = Trainer::resume(&bytes, &cpu(), Some(&c.env_id)).unwrap();
        assert_eq!(resumed.env_steps(), t.env_steps());
        resumed.step_slice(64).unwrap();
    }
}

#[test]
fn a_labels_file_round_trips_and_trains_a_run_the_same_way_twice() {
    // An AI-labelled run writes its labels...
    let mut source = Trainer::new(lava("ai", 1_024), &cpu()).unwrap();
    source.run().unwrap();
    let file = source.labels_file();
    assert!(file.labels.len() >= 5);
    let text = file.to_json();
    let parsed = LabelsFile::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed, file);

    // ...which trains a run that takes its labels from "you" only: the file's labels are
    // the first round, so the run never waits.
    let run = || {
        let mut t = Trainer::new(lava("you", 1_024), &cpu()).unwrap();
        assert_eq!(t.import_labels(&parsed).unwrap(), parsed.labels.len());
        let mut out = String::new();
        let mut csv = CsvWriter::new();
        while !t.is_finished() {
            let report = t.step_slice(256).unwrap();
            assert_eq!(report.waiting_for_labels, None);
            csv.write(&t.drain_metrics(), &mut out);
        }
        (out, t.labels_file())
    };
    let (first, labels) = run();
    let (second, _) = run();
    assert_eq!(first, second, "same file and seed, same metrics");
    assert_eq!(labels.labels[..parsed.labels.len()], parsed.labels[..]);
}

#[test]
fn bad_labels_files_are_refused_and_change_nothing() {
    let mut source = Trainer::new(lava("ai", 512), &cpu()).unwrap();
    source.run().unwrap();
    let good = source.labels_file();
    let mut t = Trainer::new(lava("you", 1_024), &cpu()).unwrap();

    let expect_err = |t: &mut Trainer, file: &LabelsFile, needle: &str| {
        let before = t.labels_file();
        let err = t.import_labels(file).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} not in {err:?}");
        assert_eq!(t.labels_file(), before, "a refused file changes nothing");
        assert_eq!(t.labels_you(), 0);
    };
    let mut other_env = good.clone();
    other_env.env_id = "Grid-Empty-8x8-v0".into();
    expect_err(&mut t, &other_env, "Grid-Empty-8x8-v0");

    // The last label's actions do not reach its end: refused, and the labels before it
    // are not kept either.
    let mut short = good.clone();
    short.labels.last_mut().unwrap().left.actions.pop();
    expect_err(&mut t, &short, "action floats");

    let mut wrong_action = good.clone();
    wrong_action.labels[0].right.actions[0] = 99.0;
    expect_err(&mut t, &wrong_action, "not one of the env's");

    for (text, needle) in [
        ("{", "not valid"),
        (
            r#"{"format": "other", "version": 1, "env_id": "x", "labels": []}"#,
            "format",
        ),
        (
            r#"{"format": "rlaif-labels", "version": 9, "env_id": "x", "labels": []}"#,
            "version",
        ),
    ] {
        let err = LabelsFile::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} not in {err:?}");
    }
    let mut unequal = good.clone();
    unequal.labels[0].left.len += 1;
    let err = LabelsFile::parse(unequal.to_json().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("label 0"), "{err}");
}

#[test]
fn without_labels_a_you_run_stops_with_a_message_instead_of_waiting_forever() {
    let mut t = Trainer::new(lava("you", 1_024), &cpu()).unwrap();
    let err = t.run().unwrap_err().to_string();
    assert!(err.contains("0 of 5"), "{err}");
}
