//! The built-in grid maps through the public API: registry, optimal paths, time limit, and
//! random play.

use proptest::prelude::*;
use rlaif::env::grid::{
    self, BUILTIN_MAPS, FORWARD, GridWorld, N_ACTIONS, OBS_DIM, TURN_LEFT, shortest_path,
};
use rlaif::env::render::Tile;
use rlaif::env::{Action, Env, Scene, make};

/// Shortest path length and step limit of each built-in map, worked out by hand from the
/// map files (see their comments and `static/maps/README.md`).
const EXPECTED: &[(&str, usize, u32)] = &[
    ("Empty-8x8", 11, 256),
    ("FourRooms", 31, 100),
    ("DoorKey-8x8", 19, 640),
    ("LavaCrossing", 15, 324),
];

fn reset(env: &mut dyn Env) -> Vec<f32> {
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(Some(0), &mut obs);
    obs
}

#[test]
fn every_builtin_map_is_registered_under_its_header_name() {
    assert_eq!(BUILTIN_MAPS.len(), EXPECTED.len());
    let ids = rlaif::env::registry::ids();
    for &(name, text) in BUILTIN_MAPS {
        let map = grid::parse_map(text).expect("built-in map parses");
        assert_eq!(map.name(), name);
        let id = format!("Grid-{name}-v0");
        assert!(ids.contains(&id), "{id} not registered");
        let env = make(&id).expect("makes");
        assert_eq!(env.spec().id, id);
        assert_eq!(env.spec().max_episode_steps, Some(map.max_steps()));
    }
    for id in ["Grid-Empty-8x8-v0", "Grid-DoorKey-8x8-v0"] {
        assert!(ids.iter().any(|i| i == id), "{id}");
    }
}

#[test]
fn optimal_paths_reach_the_goal_with_minigrid_reward() {
    for &(name, length, max_steps) in EXPECTED {
        let text = BUILTIN_MAPS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .expect("map listed");
        let mut world = GridWorld::from_map_text(text).expect("parses");
        assert_eq!(world.map().max_steps(), max_steps, "{name}");
        let mut obs = reset(&mut world);
        let path = shortest_path(&world).expect("goal reachable");
        assert_eq!(path.len(), length, "{name}: {path:?}");

        // Replay through the registry, so the time limit is in place and must not interfere.
        let mut env = make(&format!("Grid-{name}-v0")).expect("makes");
        env.reset(Some(1), &mut obs);
        for (i, &a) in path.iter().enumerate() {
            let step = env.step(Action::Discrete(a), &mut obs).expect("valid");
            let last = i + 1 == path.len();
            assert_eq!(step.terminated, last, "{name} step {i}");
            assert!(!step.truncated);
            if last {
                let expected = 1.0 - 0.9 * length as f64 / f64::from(max_steps);
                assert!(
                    (step.reward - expected).abs() < 1e-12,
                    "{name}: {}",
                    step.reward
                );
            } else {
                assert_eq!(step.reward, 0.0);
            }
        }
    }
}

#[test]
fn time_limit_truncates_at_max_steps() {
    let mut env = make("Grid-Empty-8x8-v0").expect("makes");
    let mut obs = reset(env.as_mut());
    for t in 1..=256 {
        let step = env
            .step(Action::Discrete(TURN_LEFT), &mut obs)
            .expect("valid");
        assert!(!step.terminated);
        assert_eq!(step.truncated, t == 256, "step {t}");
    }
    // A fresh episode starts the count again.
    env.reset(None, &mut obs);
    let step = env
        .step(Action::Discrete(FORWARD), &mut obs)
        .expect("valid");
    assert!(!step.truncated);
}

#[test]
fn unknown_grid_id_is_an_error() {
    assert!(make("Grid-Nope-v0").is_err());
}

/// The tile the agent stands on, from the scene.
fn tile_under_agent(env: &dyn Env) -> Tile {
    match env.scene() {
        Scene::Grid {
            width,
            tiles,
            agent_x,
            agent_y,
            ..
        } => tiles[agent_y * width + agent_x],
        other => panic!("not a grid scene: {other:?}"),
    }
}

proptest! {
    #[test]
    fn random_play_is_safe_and_rewards_only_the_goal(
        map in 0..BUILTIN_MAPS.len(),
        actions in proptest::collection::vec(0..N_ACTIONS, 1..400),
    ) {
        let mut env = make(&format!("Grid-{}-v0", BUILTIN_MAPS[map].0)).expect("makes");
        let mut obs = reset(env.as_mut());
        for a in actions {
            let step = env.step(Action::Discrete(a), &mut obs).expect("valid action");
            let under = tile_under_agent(env.as_ref());
            let standable = matches!(
                under,
                Tile::Floor | Tile::Goal | Tile::Lava | Tile::Door { open: true, .. }
            );
            prop_assert!(standable, "agent on {under:?}");
            prop_assert!(obs.iter().all(|&v| v == 0.0 || v == 1.0));
            if step.terminated && under == Tile::Goal {
                prop_assert!(step.reward > 0.1 - 1e-12 && step.reward <= 1.0, "{}", step.reward);
            } else {
                prop_assert_eq!(step.reward, 0.0);
            }
            prop_assert_eq!(step.terminated, matches!(under, Tile::Goal | Tile::Lava));
            if step.terminated || step.truncated {
                env.reset(None, &mut obs);
            }
        }
    }
}
