//! `rlaif envs`: every registered environment with its spaces.

use rlaif::env::registry;

pub fn run(json: bool) -> Result<(), String> {
    let mut specs = Vec::new();
    for entry in registry::entries() {
        let env = (entry.make)(&Default::default()).map_err(|e| e.to_string())?;
        specs.push((entry.family, env.spec().clone()));
    }
    if json {
        let list: Vec<_> = specs
            .iter()
            .map(|(family, spec)| serde_json::json!({"family": family, "spec": spec}))
            .collect();
        let text = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    let id_width = specs
        .iter()
        .map(|(_, s)| s.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    println!(
        "{:<id_width$}  {:<16}  {:<42}  {:<9}  threshold",
        "id", "action space", "observation space", "max steps"
    );
    for (_, spec) in &specs {
        let limit = spec.max_episode_steps.map_or("-".into(), |n| n.to_string());
        let threshold = spec.reward_threshold.map_or("-".into(), |t| t.to_string());
        println!(
            "{:<id_width$}  {:<16}  {:<42}  {:<9}  {threshold}",
            spec.id,
            spec.action_space.describe(),
            spec.observation_space.describe(),
            limit
        );
    }
    Ok(())
}
