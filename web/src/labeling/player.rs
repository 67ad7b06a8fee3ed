//! One segment replayed on a loop, for the panel to draw.

use super::LabelingError;
use super::pair_source::{Segment, action_shape};
use rlaif::env::{self, Env, Scene};

/// Plays one segment: the episode replayed from its seed to the segment's start (not
/// shown), then the segment step by step, holding its last state until restarted (the
/// session restarts both players together, so a pair loops in sync).
pub struct SegmentPlayer {
    env: Box<dyn Env>,
    obs: Vec<f32>,
    segment: Option<Segment>,
    /// Steps of the segment played; 0 shows its first state.
    t: usize,
}

impl SegmentPlayer {
    pub fn new(env_id: &str) -> Result<Self, LabelingError> {
        let env = env::make(env_id)?;
        Ok(Self {
            obs: vec![0.0; env.spec().observation_space.flat_dim()],
            env,
            segment: None,
            t: 0,
        })
    }

    /// Shows `segment`'s first state.
    pub fn load(&mut self, segment: Segment) -> Result<(), LabelingError> {
        self.segment = Some(segment);
        self.restart()
    }

    /// Steps of the segment played so far, 0 at its first state.
    pub fn position(&self) -> usize {
        self.t
    }

    /// Whether the segment's last state is on show (or there is no segment).
    pub fn at_end(&self) -> bool {
        self.segment.as_ref().is_none_or(|s| self.t >= s.len)
    }

    /// Back to the segment's first state.
    pub fn restart(&mut self) -> Result<(), LabelingError> {
        self.t = 0;
        let Some(segment) = &self.segment else {
            return Ok(());
        };
        let (discrete, width) = action_shape(&*self.env);
        let recording = &segment.episode.recording;
        self.env.reset(Some(recording.seed), &mut self.obs);
        for t in 0..segment.start {
            if let Some(a) = recording.action(t, discrete, width) {
                self.env.step(a, &mut self.obs)?;
            }
        }
        Ok(())
    }

    /// One step of the segment; at its last state, nothing.
    pub fn advance(&mut self) -> Result<(), LabelingError> {
        let Some(segment) = &self.segment else {
            return Ok(());
        };
        if self.t >= segment.len {
            return Ok(());
        }
        let (discrete, width) = action_shape(&*self.env);
        if let Some(a) = segment
            .episode
            .recording
            .action(segment.start + self.t, discrete, width)
        {
            self.env.step(a, &mut self.obs)?;
        }
        self.t += 1;
        Ok(())
    }

    pub fn scene(&self) -> Scene {
        self.env.scene()
    }
}
