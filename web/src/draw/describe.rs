//! A scene in words: the accessible description of a canvas, so that what the page draws can
//! be read by a screen reader (and by a script acting as a person).

use rlaif::env::{Scene, render::Tile};

/// One line saying what `scene` shows.
pub fn describe(scene: &Scene) -> String {
    match scene {
        Scene::CartPole { x, theta, .. } => format!(
            "cart at {x:+.2}, pole {:.1}° from upright",
            theta.to_degrees()
        ),
        Scene::MountainCar {
            position,
            goal_position,
            ..
        } => format!("car at {position:+.3}, flag at {goal_position:+.3}"),
        Scene::Acrobot { theta1, theta2, .. } => format!(
            "links at {:.0}° and {:.0}°",
            theta1.to_degrees(),
            theta2.to_degrees()
        ),
        Scene::Pendulum { theta, .. } => {
            format!("pendulum {:.0}° from upright", theta.to_degrees())
        }
        Scene::Grid {
            width,
            tiles,
            agent_x,
            agent_y,
            agent_dir,
            carrying_key,
            ..
        } => {
            let facing = ["right", "down", "left", "up"]
                .get(usize::from(*agent_dir))
                .copied()
                .unwrap_or("somewhere");
            let mut parts = vec![format!("agent at ({agent_x}, {agent_y}) facing {facing}")];
            if *carrying_key {
                parts.push("carrying the key".into());
            }
            let at = |i: usize| (i % width.max(&1), i / width.max(&1));
            for (i, tile) in tiles.iter().enumerate() {
                let (x, y) = at(i);
                match tile {
                    Tile::Goal => parts.push(format!("goal at ({x}, {y})")),
                    Tile::Key => parts.push(format!("key at ({x}, {y})")),
                    Tile::Door { open, locked } => {
                        let state = if *open {
                            "open"
                        } else if *locked {
                            "locked"
                        } else {
                            "closed"
                        };
                        parts.push(format!("{state} door at ({x}, {y})"));
                    }
                    Tile::Floor | Tile::Wall | Tile::Lava => {}
                }
            }
            parts.join("; ")
        }
        Scene::Board {
            cells,
            learner,
            last_move,
            outcome,
            ..
        } => {
            let count = |p: u8| cells.iter().filter(|&&c| c == p).count();
            let mut text = format!(
                "{} pieces of the agent (player {learner}), {} of its opponent",
                count(*learner),
                count(3 - learner)
            );
            if let Some(m) = last_move {
                text.push_str(&format!("; last move at cell {m}"));
            }
            match outcome {
                Some(0) => text.push_str("; a draw"),
                Some(p) if p == learner => text.push_str("; the agent won"),
                Some(_) => text.push_str("; the agent lost"),
                None => {}
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rlaif::env::{self, Action, registry};

    #[test]
    fn every_env_is_described_and_a_grid_names_the_agent_and_goal() {
        for id in registry::ids() {
            let mut env = env::make(&id).unwrap();
            let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
            env.reset(Some(1), &mut obs);
            assert!(!describe(&env.scene()).is_empty(), "{id}");
        }
        let mut env = env::make("Grid-Empty-8x8-v0").unwrap();
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        env.reset(Some(1), &mut obs);
        let Scene::Grid {
            agent_x, agent_y, ..
        } = env.scene()
        else {
            panic!("a grid world draws a grid");
        };
        let before = describe(&env.scene());
        assert!(before.starts_with(&format!("agent at ({agent_x}, {agent_y}) facing")));
        assert!(before.contains("goal at ("), "{before}");
        // Forward (MiniGrid's action 2) moves the agent or turns nothing: the words follow.
        env.step(Action::Discrete(2), &mut obs).unwrap();
        let Scene::Grid {
            agent_x: x2,
            agent_y: y2,
            ..
        } = env.scene()
        else {
            unreachable!()
        };
        assert!(describe(&env.scene()).starts_with(&format!("agent at ({x2}, {y2})")));
    }
}
