//! The `rlaif` binary's contract: listings, replay output and exit status 2 on bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn rlaif(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rlaif"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rlaif binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts input");
    child.wait_with_output().expect("the rlaif binary finishes")
}

/// Fails the test with the command's stderr unless it exited successfully.
fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn envs_lists_every_registered_id_with_its_spaces() {
    let out = rlaif(&["envs"], "");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for id in rlaif::env::registry::ids() {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("`rlaif envs` does not list {id}"));
        assert!(
            line.contains("Discrete(") || line.contains("Box("),
            "{line}"
        );
    }
    let cartpole: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("CartPole-v1 "))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(cartpole.get(1), Some(&"Discrete(2)"), "{text}");
    assert_eq!(cartpole.last(), Some(&"475"), "{text}");
}

#[test]
fn envs_json_parses_and_carries_specs() {
    let out = rlaif(&["envs", "--json"], "");
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let cartpole = list
        .as_array()
        .and_then(|a| a.iter().find(|e| e["spec"]["id"] == "CartPole-v1"))
        .expect("CartPole-v1 listed");
    assert_eq!(cartpole["spec"]["max_episode_steps"], 500);
    assert_eq!(cartpole["spec"]["reward_threshold"], 475.0);
}

#[test]
fn replay_reads_stdin_and_prints_json_lines() {
    let input = r#"{"env_id": "CartPole-v1", "state": [0.0, 0.0, 0.0, 0.0], "actions": [1, 0, 1]}"#;
    let out = rlaif(&["replay", "-"], input);
    assert_ok(&out);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["t"], 0);
    assert_eq!(lines[3]["t"], 3);
    assert_eq!(lines[1]["action"], 1);
    assert_eq!(lines[1]["reward"], 1.0);
    // Pushing right accelerates the cart to the right.
    assert!(lines[1]["state"][1].as_f64().expect("x_dot") > 0.0);
}

fn assert_rejected(input: &str, needle: &str) {
    let out = rlaif(&["replay", "-"], input);
    assert_eq!(out.status.code(), Some(2), "input {input}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one-line message: {err}");
    assert!(
        err.contains(needle),
        "message {err:?} should mention {needle:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing printed on stdout for a rejected file"
    );
}

#[test]
fn replay_rejects_bad_input_with_status_2() {
    assert_rejected(
        r#"{"env_id": "NoSuchEnv-v0", "state": [0], "actions": []}"#,
        "NoSuchEnv-v0",
    );
    assert_rejected(
        r#"{"env_id": "CartPole-v1", "state": [0.0, 0.0], "actions": []}"#,
        "state",
    );
    assert_rejected(
        r#"{"env_id": "CartPole-v1", "state": [0.0, 0.0, 0.0, 0.0], "actions": [2]}"#,
        "action",
    );
    assert_rejected(
        r#"{"env_id": "Pendulum-v1", "state": [0.0, 0.0], "actions": [[3.5]]}"#,
        "action",
    );
    assert_rejected(r#"{"env_id": "CartPole-v1""#, "JSON");
    // JSON has no infinity: the step that reaches one is named, and nothing is printed.
    assert_rejected(
        r#"{"env_id": "CartPole-v1", "state": [0.0, 0.0, 0.5, 1e38], "actions": [1, 1]}"#,
        "step 1: obs[",
    );
}

#[test]
fn replay_of_a_missing_file_is_an_error_not_a_panic() {
    let out = rlaif(&["replay", "does-not-exist.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist.json"));
}

#[test]
fn bench_envs_reports_a_rate_for_each_requested_env() {
    let out = rlaif(
        &[
            "bench",
            "envs",
            "--env",
            "CartPole-v1",
            "--seconds",
            "0.05",
            "--json",
        ],
        "",
    );
    assert_ok(&out);
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.trim_ascii()).expect("one JSON line");
    assert_eq!(line["env_id"], "CartPole-v1");
    assert!(line["single_steps_per_s"].as_f64().expect("a number") > 0.0);
    assert!(line["vec_env_steps_per_s"].as_f64().expect("a number") > 0.0);
}

#[test]
fn bench_rejects_a_measurement_time_outside_its_range_with_status_2() {
    for (what, seconds) in [
        ("envs", "1e20"),
        ("envs", "inf"),
        ("envs", "NaN"),
        ("envs", "0"),
        ("envs", "-1"),
        ("envs", "3601"),
        ("update", "1e20"),
    ] {
        let flag = format!("--seconds={seconds}");
        let only = if what == "envs" {
            ["--env", "CartPole-v1"]
        } else {
            ["--backend", "ndarray"]
        };
        let out = rlaif(&["bench", what, only[0], only[1], &flag], "");
        assert_eq!(out.status.code(), Some(2), "bench {what} {flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("rlaif: --seconds ")
                && err.contains("above 0, at most 3600")
                && !err.contains("panicked"),
            "bench {what} {flag}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = rlaif(
        &[
            "bench",
            "envs",
            "--env",
            "CartPole-v1",
            "--num-envs",
            "100000",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--num-envs 100000") && err.contains("1 to 4096"),
        "{err}"
    );
}

#[test]
fn bench_update_rejects_hidden_and_batch_sizes_outside_their_range_with_status_2() {
    for (flag, value, range) in [
        ("--hidden", "0", "1 to 1024"),
        ("--hidden", "1025", "1 to 1024"),
        ("--hidden", "1099511627776", "1 to 1024"),
        ("--batch", "0", "1 to 1048576"),
        ("--batch", "1048577", "1 to 1048576"),
    ] {
        let out = rlaif(
            &["bench", "update", "--backend", "ndarray", flag, value],
            "",
        );
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim_end(),
            format!("rlaif: {flag} {value} is outside the allowed range ({range})"),
            "{flag} {value}"
        );
        assert!(out.stdout.is_empty(), "nothing is measured: {flag} {value}");
    }
}

#[test]
fn train_json_prints_the_summary_and_bad_presets_exit_2() {
    let dir = std::env::temp_dir().join(format!("rlaif-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("m.csv");
    let out = rlaif(
        &[
            "train",
            "--env",
            "Grid-Empty-8x8-v0",
            "--steps",
            "2048",
            "--seed",
            "4",
            "--json",
            "--csv",
            csv.to_str().unwrap(),
        ],
        "",
    );
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "env_id",
        "seed",
        "backend",
        "env_steps",
        "episodes",
        "wall_seconds",
        "final_mean_return",
        "solved",
        "solved_at_step",
        "solved_at_seconds",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["env_id"], "Grid-Empty-8x8-v0");
    assert_eq!(v["seed"], 4);
    assert_eq!(v["env_steps"], 2048);
    // A run without feedback has no weight to report.
    assert_eq!(v["feedback"], "none");
    assert!(
        v["lambda"].is_null() && v["lambda_schedule"].is_null(),
        "{v}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("kind,env_steps"));
    assert!(text.lines().any(|l| l.starts_with("update,")));

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"env_id\": 3}").unwrap();
    let out = rlaif(
        &[
            "train",
            "--env",
            "CartPole-v1",
            "--preset",
            bad.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad experiment config JSON"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_steps_outside_its_range_is_an_error_also_when_resuming() {
    let ckpt = scratch("steps-zero.rlaif");
    let ckpt_arg = ckpt.to_str().expect("utf-8 path");
    let first = rlaif(
        &[
            "train",
            "--env",
            "CartPole-v1",
            "--steps",
            "512",
            "--checkpoint",
            ckpt_arg,
            "--json",
        ],
        "",
    );
    assert_ok(&first);
    for (resume, steps) in [(true, "0"), (false, "0"), (true, "1000000000001")] {
        let mut args = vec!["train", "--env", "CartPole-v1", "--steps", steps, "--json"];
        if resume {
            args.extend(["--resume", ckpt_arg]);
        }
        let out = rlaif(&args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim_end(),
            format!(
                "rlaif: --steps must be 1 to 1000000000000 (the run's total env steps, also \
                 with --resume), got {steps}"
            ),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A fresh path under the test target's scratch folder.
fn scratch(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn demos_check_summarises_a_valid_file_and_rejects_a_bad_one() {
    use rlaif::feedback::demos::{DemoAction, record};
    let demos = record("CartPole-v1", 2, 4, &mut |_| DemoAction::Discrete(1)).expect("records");
    let path = scratch("demos-check-valid.json");
    std::fs::write(&path, demos.to_json()).expect("writes");
    let out = rlaif(&["demos", "check", path.to_str().expect("utf-8 path")], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_ok(&out);
    let expected = format!(
        "valid demonstrations for CartPole-v1; 2 episodes, {} steps, mean return {:.2}",
        demos.steps(),
        demos.mean_return()
    );
    assert!(text.contains(&expected), "{text}");

    let bad = scratch("demos-check-bad.json");
    std::fs::write(
        &bad,
        demos.to_json().replace("\"version\":1", "\"version\":9"),
    )
    .expect("writes");
    let out = rlaif(&["demos", "check", bad.to_str().expect("utf-8 path")], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported demonstrations version 9"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn demos_record_reports_bad_requests_with_status_2() {
    let out_path = scratch("demos-record-none.json");
    let out_arg = out_path.to_str().expect("utf-8 path");
    for (args, needle) in [
        (
            vec!["--env", "CartPole-v1", "--teacher", "no-such-teacher"],
            "unknown teacher \"no-such-teacher\" for CartPole-v1",
        ),
        (vec!["--env", "Nope-v0"], "unknown environment id 'Nope-v0'"),
        (
            vec!["--env", "CartPole-v1", "--episodes", "0"],
            "--episodes must be at least 1",
        ),
    ] {
        let mut all = vec!["demos", "record", "--out", out_arg];
        if !args.contains(&"--episodes") {
            all.extend(["--episodes", "2"]);
        }
        all.extend(args);
        let out = rlaif(&all, "");
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{all:?}: {err}");
    }
    assert!(!out_path.exists());
}

#[test]
fn train_with_feedback_reports_it_and_bad_feedback_flags_exit_2() {
    // A short preference run with `extra` flags; its JSON summary.
    let preference_run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "train",
            "--env",
            "Grid-Empty-8x8-v0",
            "--steps",
            "2048",
            "--feedback",
            "preference",
            "--labels-per-update",
            "10",
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = rlaif(&args, "");
        assert_ok(&out);
        let summary: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert!(
            summary["labels_used"].as_u64().is_some_and(|n| n >= 10),
            "{summary}"
        );
        summary
    };
    let summary = preference_run(&["--lambda", "0.5"]);
    assert_eq!(summary["feedback"], "preference");
    assert_eq!(summary["teacher"], "shortest-path");
    assert_eq!(summary["lambda"], 0.5);
    // The preset's reward model, unless a flag says otherwise.
    assert_eq!(summary["reward_model"], "potential");
    let summary = preference_run(&["--reward-model", "step"]);
    assert_eq!(summary["reward_model"], "step");
    let summary = preference_run(&["--reward-model", "potential"]);
    assert_eq!(summary["reward_model"], "potential");
    // Its episodes are reported after their rollout, with the AI return.
    assert!(
        summary["final_mean_ai_return"]
            .as_f64()
            .is_some_and(f64::is_finite),
        "{summary}"
    );
    // The reward model's training knobs are accepted; the first update asks initial_labels.
    let summary = preference_run(&[
        "--reward-model",
        "potential",
        "--initial-labels",
        "30",
        "--min-gradient-steps",
        "5",
        "--label-noise",
        "0.1",
        "--smoothness",
        "1",
        "--reward-lr",
        "1e-3",
        "--reward-epochs",
        "2",
        "--ensemble",
        "2",
        "--query-selection",
        "disagreement",
    ]);
    assert_eq!(summary["labels_used"], 30 + 10, "{summary}");
    // A built-in lesson by id: the reward-hacking lesson's per-step model, frozen at 50.
    let out = rlaif(
        &[
            "train",
            "--env",
            "Grid-Empty-8x8-v0",
            "--lesson",
            "empty-reward-hacking",
            "--steps",
            "3072",
            "--json",
        ],
        "",
    );
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(summary["reward_model"], "step", "{summary}");
    assert_eq!(summary["labels_used"], 50, "{summary}");
    assert_eq!(summary["reward_model_frozen"], true, "{summary}");
    // Frozen after 15 labels: the first update asks 15 (of its 20), then none are asked.
    let summary = preference_run(&["--freeze-after", "15"]);
    assert_eq!(summary["labels_used"], 15, "{summary}");
    assert_eq!(summary["reward_model_frozen"], true, "{summary}");
    let summary = preference_run(&["--freeze-after", "never"]);
    assert_eq!(summary["reward_model_frozen"], false, "{summary}");
    for (flags, needle) in [
        (&["--feedback", "telepathy"][..], "unknown feedback mode"),
        (&["--feedback", "direct", "--lambda", "1.5"][..], "lambda"),
        (
            &["--feedback", "direct", "--teacher", "oracle"][..],
            "unknown teacher",
        ),
        (
            &["--feedback", "direct", "--lambda-schedule", "cosine"][..],
            "lambda schedule",
        ),
        (
            &["--feedback", "preference", "--labeler-mistake", "2"][..],
            "mistake",
        ),
        (
            &["--feedback", "preference", "--reward-model", "phi"][..],
            "reward model",
        ),
        (
            &["--feedback", "preference", "--label-noise", "0.5"][..],
            "label noise",
        ),
        (
            &[
                "--feedback",
                "preference",
                "--query-selection",
                "disagreement",
            ][..],
            "ensemble",
        ),
        (
            &["--feedback", "preference", "--query-selection", "loudest"][..],
            "query selection",
        ),
        (
            &["--feedback", "preference", "--freeze-after", "0"][..],
            "never",
        ),
        (
            &["--lesson", "empty-reward-hacking"][..],
            "not of CartPole-v1",
        ),
        (&["--lesson", "no-such-lesson"][..], "unknown lesson"),
    ] {
        let mut args = vec!["train", "--env", "CartPole-v1", "--steps", "64"];
        args.extend_from_slice(flags);
        let out = rlaif(&args, "");
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{flags:?}: {err}");
    }
}

#[test]
fn a_lesson_on_your_demonstrations_asks_for_a_demonstrations_file() {
    let args = [
        "train",
        "--env",
        "Grid-DoorKey-8x8-v0",
        "--lesson",
        "doorkey-your-demonstrations",
        "--steps",
        "64",
    ];
    let out = rlaif(&args, "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("learns from your demonstrations") && err.contains("--teacher demo:FILE"),
        "{err}"
    );
}

#[test]
fn sweep_writes_a_summary_table_and_plot_per_lambda() {
    let dir = scratch("sweep");
    let out = rlaif(
        &[
            "sweep",
            "--env",
            "CartPole-v1",
            "--feedback",
            "shaping",
            "--lambda",
            "0,0.5",
            "--seeds",
            "1,2",
            "--steps",
            "1024",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_ok(&out);
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 4, "{summary}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.lines().any(|l| l.starts_with("| 0 | 1024 |")),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("| 0.5 | ")), "{table}");
    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("lambda 0.5"));
    assert!(dir.join("run-lambda0.5-seed2.csv").exists());
    let bad = rlaif(
        &[
            "sweep",
            "--env",
            "CartPole-v1",
            "--feedback",
            "shaping",
            "--lambda",
            "0,2",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("lambda 2 is outside [0, 1]"));
}

#[test]
fn a_run_taught_by_demonstrations_checkpoints_and_resumes_learning_its_teacher_again() {
    use rlaif::feedback::demos::{DemoAction, record};
    // Alternating pushes keep the pole up for a while: a teacher with an opinion.
    let mut k = 0;
    let demos = record("CartPole-v1", 2, 4, &mut |_| {
        k += 1;
        DemoAction::Discrete(k % 2)
    })
    .expect("records");
    let demos_path = scratch("resume-demos.json");
    std::fs::write(&demos_path, demos.to_json()).expect("writes");
    let teacher = format!("demo:{}", demos_path.to_str().expect("utf-8 path"));
    let ckpt = scratch("resume-demos.rlaif");
    let ckpt_arg = ckpt.to_str().expect("utf-8 path");
    let first = rlaif(
        &[
            "train",
            "--env",
            "CartPole-v1",
            "--feedback",
            "advice",
            "--teacher",
            &teacher,
            "--lambda",
            "0.5",
            "--steps",
            "1024",
            "--checkpoint",
            ckpt_arg,
            "--json",
        ],
        "",
    );
    assert_ok(&first);
    let resume = [
        "train",
        "--env",
        "CartPole-v1",
        "--resume",
        ckpt_arg,
        "--steps",
        "2048",
        "--json",
    ];
    let resumed = rlaif(&resume, "");
    assert_ok(&resumed);
    let summary: serde_json::Value =
        serde_json::from_slice(&resumed.stdout).expect("a JSON summary");
    assert_eq!(summary["env_steps"], 2048);
    assert_eq!(summary["feedback"], "advice");

    // Without its demonstrations file the run cannot go on, and says why.
    std::fs::remove_file(&demos_path).expect("removes");
    let orphan = rlaif(&resume, "");
    assert_eq!(orphan.status.code(), Some(2));
    let err = String::from_utf8_lossy(&orphan.stderr);
    assert!(
        err.contains("cannot read") && err.contains("resume-demos.json"),
        "{err}"
    );
}

#[test]
fn a_simulated_person_answers_a_you_run_and_twice_with_one_seed_gives_the_same_run() {
    let run_from = |source: &str, extra: &[&str]| -> Output {
        let mut args = vec![
            "train",
            "--env",
            "Grid-Empty-8x8-v0",
            "--steps",
            "3072",
            "--feedback",
            "preference",
            "--labels-from",
            source,
            "--json",
        ];
        args.extend_from_slice(extra);
        rlaif(&args, "")
    };
    let run = |extra: &[&str]| run_from("you", extra);
    let summary = |out: &Output| -> serde_json::Value {
        assert_ok(out);
        serde_json::from_slice(&out.stdout).expect("one JSON object")
    };
    let a = summary(&run(&["--person"]));
    // The preset asks 20 before the first update and 10 at each of the next two.
    assert_eq!(a["labels_you"], 40, "{a}");
    assert_eq!(a["labels_used"], 0, "no AI label in you mode: {a}");
    let mut b = summary(&run(&["--person"]));
    let mut a = a;
    for s in [&mut a, &mut b] {
        s.as_object_mut().unwrap().remove("wall_seconds");
        s.as_object_mut().unwrap().remove("solved_at_seconds");
    }
    assert_eq!(a, b, "one seed, one run");
    let noisy = summary(&run(&["--person", "mistake=0.5"]));
    assert_eq!(noisy["labels_you"], 40);

    // Nobody to answer, a bad knob, or a person where no one is asked: exit 2, saying why.
    for (source, extra, needle) in [
        ("you", &[][..], "waits for your first labels"),
        (
            "you",
            &["--person", "wisdom=1"][..],
            "unknown person setting",
        ),
        ("ai", &["--person"][..], "--labels-from you"),
    ] {
        let out = run_from(source, extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}

/// Every file the CLI reads is refused once it passes its cap, while it is read: a config over
/// 1 MiB, demonstrations over 64 MiB (a sparse file: nothing that large is written to disk),
/// a run file that is not one, and replay input over 64 MiB on standard input.
#[test]
fn files_over_their_size_cap_are_refused_with_status_2() {
    let config = scratch("too-large-config.json");
    std::fs::write(&config, vec![b' '; (1 << 20) + 1]).unwrap();
    let out = rlaif(
        &[
            "train",
            "--env",
            "CartPole-v1",
            "--preset",
            config.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is larger than 1 MiB"), "{err}");

    let demos = scratch("too-large-demos.json");
    let file = std::fs::File::create(&demos).unwrap();
    file.set_len((64 << 20) + 1).unwrap();
    let out = rlaif(&["demos", "check", demos.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is larger than 64 MiB"), "{err}");

    let out = rlaif(&["replay", "-"], &" ".repeat((64 << 20) + 1));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("standard input is larger than 64 MiB"),
        "{err}"
    );
}
