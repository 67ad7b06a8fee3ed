//! The panel's model, natively: pairs, replay in sync, verdicts and counts.

use super::pair_source::{Origin, PairSource, Segment};
use super::session::{HOLD_FRAMES, QueuedSegment, Session};
use super::{EQUAL_TOLERANCE, LabelingError, MAX_EPISODES, Side};
use crate::random_policy::{RandomPolicy, push_action};
use rlaif::env::{self, Action, Env, Scene, registry};
use rlaif::experiment::EpisodeRecording;
use rlaif::feedback::{TeacherView, teacher};

/// Chooses an action (as a recording stores it) in the env's current state.
type Policy<'a> = dyn FnMut(&dyn Env, &[f32]) -> Vec<f32> + 'a;

/// One episode of `id` from `seed` under `policy`: its recording and every frame, the
/// reset's first, then one after each step.
fn record(id: &str, seed: u64, policy: &mut Policy<'_>) -> (EpisodeRecording, Vec<Scene>) {
    let mut env = env::make(id).unwrap_or_else(|e| panic!("{id}: {e}"));
    let spec = env.spec().clone();
    let mut obs = vec![0.0; spec.observation_space.flat_dim()];
    env.reset(Some(seed), &mut obs);
    let (mut actions, mut scenes) = (Vec::new(), vec![env.scene()]);
    loop {
        let a = policy(&*env, &obs);
        actions.extend_from_slice(&a);
        let action = match spec.action_space.n() {
            Some(_) => Action::Discrete(a[0] as usize),
            None => Action::Continuous(&a),
        };
        let step = env
            .step(action, &mut obs)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        scenes.push(env.scene());
        if step.terminated || step.truncated {
            break;
        }
    }
    let recording = EpisodeRecording {
        number: seed,
        seed,
        actions,
        episode_return: 0.0,
    };
    (recording, scenes)
}

/// Uniformly random legal actions (the page's random policy, seeded by `seed`).
fn random(seed: u64) -> impl FnMut(&dyn Env, &[f32]) -> Vec<f32> {
    let mut policy: Option<RandomPolicy> = None;
    move |env, _| {
        let policy = policy.get_or_insert_with(|| RandomPolicy::new(env, seed));
        let mut action = Vec::new();
        push_action(policy.act(env).expect("a legal action"), &mut action);
        action
    }
}

/// The default teacher's favourite action (discrete envs).
fn greedy(id: &str) -> impl FnMut(&dyn Env, &[f32]) -> Vec<f32> {
    let mut t = teacher::make(None, id).unwrap();
    move |env, obs| {
        let mut p = vec![0.0; env.spec().action_space.n().unwrap()];
        t.policy(TeacherView { env, obs }, &mut p);
        let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        vec![best as f32]
    }
}

/// The teacher's return over steps `start..start + len` of `recording`, summed here from
/// its values: `sum_t Phi(s_t+1) - Phi(s_t)` (the default score).
fn value_gain(id: &str, teacher: &str, r: &EpisodeRecording, start: usize, len: usize) -> f64 {
    let mut env = env::make(id).unwrap();
    let mut t = teacher::make(Some(teacher), id).unwrap();
    let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
    env.reset(Some(r.seed), &mut obs);
    let mut total = 0.0;
    for k in 0..start + len {
        let before = t.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        env.step(Action::Discrete(r.actions[k] as usize), &mut obs)
            .unwrap();
        let after = t.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        if k >= start {
            total += after - before;
        }
    }
    total
}

#[test]
fn bad_inputs_are_errors_that_say_what_is_wrong() {
    let unknown = Session::new("NoSuchEnv-v0", None, 25, 1).err().unwrap();
    assert!(matches!(unknown, LabelingError::Env(_)), "{unknown}");
    assert!(unknown.to_string().contains("NoSuchEnv-v0"));
    let teacher = Session::new("CartPole-v1", Some("oracle"), 25, 1)
        .err()
        .unwrap();
    assert!(matches!(teacher, LabelingError::Teacher(_)), "{teacher}");
    assert!(teacher.to_string().contains("lqr, inverted"));
    assert!(matches!(
        Session::new("CartPole-v1", None, 0, 1).err(),
        Some(LabelingError::ZeroSegment)
    ));
    assert!(matches!(Side::parse("up"), Err(LabelingError::BadChoice(c)) if c == "up"));

    let mut s = Session::new("CartPole-v1", None, 5, 1).unwrap();
    assert!(matches!(s.answer(Side::Left), Err(LabelingError::NoPair)));
    let (good, _) = record("CartPole-v1", 2, &mut random(2));
    let mut bad = Vec::new();
    let mut short = good.clone();
    short.actions.pop();
    bad.push((short, "went on"));
    let mut long = good.clone();
    long.actions.push(0.0);
    bad.push((long, "ended at step"));
    let mut illegal = good.clone();
    illegal.actions[0] = 7.0;
    bad.push((illegal, "outside Discrete(2)"));
    bad.push((
        EpisodeRecording {
            actions: vec![],
            ..good.clone()
        },
        "no actions",
    ));
    for (episode, why) in bad {
        let err = s.add_episode(episode).err().unwrap();
        assert!(matches!(err, LabelingError::BadEpisode { .. }), "{err}");
        assert!(err.to_string().contains(why), "{err}");
    }
    // Nothing bad was kept.
    assert_eq!(s.source().agent_episodes(), 0);
    s.add_episode(good).unwrap();
    assert_eq!(s.source().agent_episodes(), 1);

    s.next_pair().unwrap();
    s.answer(Side::Left).unwrap();
    assert!(matches!(s.answer(Side::Left), Err(LabelingError::Answered)));
    assert_eq!(
        s.counts().0,
        1,
        "a second answer to one pair is not counted"
    );
}

#[test]
fn segments_replay_the_recorded_frames_exactly_and_loop() {
    for id in registry::ids() {
        let episodes: Vec<_> = [11, 12]
            .iter()
            .map(|&seed| record(&id, seed, &mut random(seed)))
            .collect();
        let mut s = Session::new(&id, None, 4, 3).unwrap_or_else(|e| panic!("{id}: {e}"));
        for (recording, _) in &episodes {
            s.add_episode(recording.clone())
                .unwrap_or_else(|e| panic!("{id}: {e}"));
        }
        for _ in 0..3 {
            let pair = s
                .next_pair()
                .unwrap_or_else(|e| panic!("{id}: {e}"))
                .clone();
            assert_eq!(pair.origin, Origin::Agent, "{id}");
            assert!(
                pair.left.episode.recording.seed != pair.right.episode.recording.seed
                    || pair.left.start != pair.right.start,
                "{id}: the same segment twice"
            );
            let frames = |seg: &Segment| {
                let (_, scenes) = episodes
                    .iter()
                    .find(|(r, _)| r.seed == seg.episode.recording.seed)
                    .unwrap();
                scenes[seg.start..=seg.start + seg.len].to_vec()
            };
            let (left, right) = (frames(&pair.left), frames(&pair.right));
            // Two loops in sync: the longer segment sets the pace, the shorter holds its
            // last state, and both hold theirs a while before starting again together.
            let cycle = pair.left.len.max(pair.right.len) + HOLD_FRAMES + 1;
            for k in 0..2 * cycle {
                let c = k % cycle;
                let (l, r) = s.players();
                assert_eq!(
                    l.scene(),
                    left[c.min(pair.left.len)],
                    "{id}: left frame {k}"
                );
                assert_eq!(
                    r.scene(),
                    right[c.min(pair.right.len)],
                    "{id}: right frame {k}"
                );
                s.step().unwrap_or_else(|e| panic!("{id}: {e}"));
            }
        }
    }
}

#[test]
fn every_env_gives_random_policy_pairs_before_the_agent_has_episodes() {
    for id in registry::ids() {
        let mut s = Session::new(&id, None, 25, 1).unwrap_or_else(|e| panic!("{id}: {e}"));
        for _ in 0..3 {
            let p = s.next_pair().unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(p.origin, Origin::RandomPolicy, "{id}");
            let key = |g: &Segment| (g.episode.recording.number, g.start);
            assert_ne!(key(&p.left), key(&p.right), "{id}: the same segment twice");
            for g in [&p.left, &p.right] {
                assert!(g.len >= 1 && g.len <= 25 && g.start + g.len <= g.episode.steps());
            }
            let (l, r) = (p.left.scores().iter().sum(), p.right.scores().iter().sum());
            assert_eq!((p.ai_left, p.ai_right), (l, r), "{id}");
            let expected = match l - r {
                d if d.abs() < EQUAL_TOLERANCE => Side::Equal,
                d if d > 0.0 => Side::Left,
                _ => Side::Right,
            };
            assert_eq!(p.ai, expected, "{id}: {l} vs {r}");
        }
    }
}

#[test]
fn the_ai_prefers_the_segment_with_more_teacher_progress() {
    let id = "Grid-Empty-8x8-v0";
    let (toward, _) = record(id, 5, &mut greedy(id));
    let (wander, _) = record(id, 5, &mut random(5));
    let gain_toward = value_gain(id, "shortest-path", &toward, 0, toward.actions.len());
    let gain_wander = value_gain(id, "shortest-path", &wander, 0, wander.actions.len());
    // The premise: the teacher's path reaches the goal, the random walk does not.
    assert!(
        gain_toward > 0.5 && gain_wander < gain_toward,
        "{gain_toward} {gain_wander}"
    );

    for (teacher, sign) in [("shortest-path", 1.0), ("inverted", -1.0)] {
        // Segments longer than both episodes: each is one whole segment, so the only pair.
        let mut s = Session::new(id, Some(teacher), 1000, 1).unwrap();
        s.add_episode(toward.clone()).unwrap();
        s.add_episode(wander.clone()).unwrap();
        for _ in 0..4 {
            let pair = s.next_pair().unwrap().clone();
            let left_is_toward = pair.left.episode.recording == toward;
            let (gl, gr) = if left_is_toward {
                (gain_toward, gain_wander)
            } else {
                (gain_wander, gain_toward)
            };
            assert!(
                (pair.ai_left - sign * gl).abs() < 1e-5,
                "{teacher}: {pair:?}"
            );
            assert!(
                (pair.ai_right - sign * gr).abs() < 1e-5,
                "{teacher}: {pair:?}"
            );
            let better_is_left = left_is_toward == (sign > 0.0);
            let expected = if better_is_left {
                Side::Left
            } else {
                Side::Right
            };
            assert_eq!(pair.ai, expected, "{teacher}");
        }
    }

    // Short segments in the middle of episodes: the verdict follows the summed scores.
    let mut s = Session::new(id, None, 3, 9).unwrap();
    s.add_episode(toward.clone()).unwrap();
    s.add_episode(wander.clone()).unwrap();
    for _ in 0..20 {
        let pair = s.next_pair().unwrap().clone();
        let gain = |seg: &Segment| {
            value_gain(
                id,
                "shortest-path",
                &seg.episode.recording,
                seg.start,
                seg.len,
            )
        };
        let (gl, gr) = (gain(&pair.left), gain(&pair.right));
        let expected = if (gl - gr).abs() < 1e-5 {
            Side::Equal
        } else if gl > gr {
            Side::Left
        } else {
            Side::Right
        };
        assert_eq!(pair.ai, expected, "{gl} vs {gr}: {pair:?}");
    }
}

#[test]
fn answers_count_agreements_and_skips_count_nothing() {
    let mut s = Session::new("Grid-DoorKey-8x8-v0", None, 6, 2).unwrap();
    assert_eq!(s.source().origin(), Origin::RandomPolicy);
    let other = |side| match side {
        Side::Left => Side::Right,
        _ => Side::Left,
    };
    let mut expected = (0, 0);
    for k in 0..12 {
        let ai = s.next_pair().unwrap().ai;
        match k % 3 {
            0 => {
                let a = s.answer(ai).unwrap();
                assert!(a.agreed && a.ai == ai);
                expected = (expected.0 + 1, expected.1 + 1);
            }
            1 => {
                let a = s.answer(other(ai)).unwrap();
                assert!(!a.agreed && a.ai == ai);
                expected.0 += 1;
            }
            // Skipped: the next pair comes without an answer.
            _ => {}
        }
        assert_eq!(s.counts(), expected);
    }
    assert_eq!(expected, (8, 4));

    // The same segment on both sides is equally good.
    let pair = s.next_pair().unwrap().clone();
    let mut source = PairSource::new("Grid-DoorKey-8x8-v0", None, 6, 2).unwrap();
    let same = source.judge(pair.left.clone(), pair.left.clone(), Origin::RandomPolicy);
    assert_eq!(same.ai, Side::Equal);
}

#[test]
fn pairs_are_deterministic_and_come_from_the_latest_agent_episodes() {
    let id = "CartPole-v1";
    let pairs = |s: &mut Session| {
        (0..10)
            .map(|_| {
                let p = s.next_pair().unwrap();
                let key = |g: &Segment| (g.episode.recording.seed, g.start, g.len);
                (key(&p.left), key(&p.right), p.ai)
            })
            .collect::<Vec<_>>()
    };
    let mut a = Session::new(id, None, 10, 4).unwrap();
    let mut b = Session::new(id, None, 10, 4).unwrap();
    assert_eq!(pairs(&mut a), pairs(&mut b));
    assert_eq!(a.pair().unwrap().origin, Origin::RandomPolicy);
    let mut c = Session::new(id, None, 10, 5).unwrap();
    assert_ne!(pairs(&mut a), pairs(&mut c));

    for seed in 100..100 + MAX_EPISODES as u64 + 4 {
        a.add_episode(record(id, seed, &mut random(seed)).0)
            .unwrap();
    }
    assert_eq!(a.source().agent_episodes(), MAX_EPISODES);
    // Only the newest 16 (seeds 104..120) are drawn from.
    for (left, right, _) in pairs(&mut a) {
        assert!(
            left.0 >= 104 && right.0 >= 104,
            "an old episode: {left:?} {right:?}"
        );
    }
    assert_eq!(a.pair().unwrap().origin, Origin::Agent);
    // A discarded run's episodes are forgotten: the random policy's pairs come back.
    a.forget_agent();
    assert_eq!(a.source().agent_episodes(), 0);
    assert_eq!(a.next_pair().unwrap().origin, Origin::RandomPolicy);
}

#[test]
fn a_queued_pair_replays_its_segments_and_bad_ones_are_refused() {
    for id in registry::ids() {
        let (a, scenes_a) = record(&id, 21, &mut random(21));
        let (b, scenes_b) = record(&id, 22, &mut random(22));
        let width = a.actions.len() / (scenes_a.len() - 1);
        let steps = |r: &EpisodeRecording| r.actions.len() / width;
        // A segment ending mid-episode (when the episode is long enough) and a whole one.
        let (sa, la) = if steps(&a) > 3 {
            (1, steps(&a) - 2)
        } else {
            (0, steps(&a))
        };
        let queued = |r: &EpisodeRecording, start: usize, len: usize| QueuedSegment {
            seed: r.seed,
            start,
            len,
            actions: r.actions[..(start + len) * width].to_vec(),
        };
        let mut s = Session::new(&id, None, 25, 1).unwrap();
        s.show_queued(queued(&a, sa, la), queued(&b, 0, steps(&b)))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(s.pair().unwrap().origin, Origin::Queue);
        for k in 0..=la {
            assert_eq!(
                s.players().0.scene(),
                scenes_a[sa + k],
                "{id}: left frame {k}"
            );
            if k < steps(&b) {
                assert_eq!(s.players().1.scene(), scenes_b[k], "{id}: right frame {k}");
            }
            s.step().unwrap();
        }
        assert!(matches!(s.answer(Side::Left), Err(LabelingError::Queued)));

        // Too few actions, and an episode that ends before its segment does.
        let mut short = queued(&a, sa, la);
        short.actions.pop();
        let mut long = queued(&b, 0, steps(&b));
        long.len += 1;
        long.actions.extend(std::iter::repeat_n(0.0, width));
        for bad in [short, long] {
            let err = s.show_queued(bad, queued(&b, 0, 1)).err().unwrap();
            assert!(matches!(err, LabelingError::BadQueued(_)), "{id}: {err}");
        }
        // The pair on show stays.
        assert_eq!(s.pair().unwrap().origin, Origin::Queue);
    }
}
