//! A checkpoint file taken apart and put back together with a valid checksum, as anyone
//! can: what the hostile-checkpoint tests and the fuzzing of the readers build their files
//! from. Each test binary uses part of it.
#![allow(dead_code)]

// Section tags, as `experiment::checkpoint` writes them.
pub const CONFIG: u32 = 1;
pub const MODEL: u32 = 2;
pub const OPTIM: u32 = 3;
pub const NORM: u32 = 4;
pub const COUNTERS: u32 = 6;
pub const ROLLOUT: u32 = 7;
pub const EPISODES: u32 = 8;
pub const FEEDBACK: u32 = 9;
pub const PREFERENCE: u32 = 10;

/// A checkpoint taken apart: its magic and version, and its sections in order.
#[derive(Clone)]
pub struct Checkpoint {
    pub head: Vec<u8>,
    pub sections: Vec<(u32, Vec<u8>)>,
}

impl Checkpoint {
    pub fn decode(bytes: &[u8]) -> Self {
        let body = &bytes[..bytes.len() - 8];
        let (head, mut rest) = body.split_at(12);
        let mut sections = Vec::new();
        while !rest.is_empty() {
            let tag = u32::from_le_bytes(rest[..4].try_into().unwrap());
            let len = u64::from_le_bytes(rest[4..12].try_into().unwrap()) as usize;
            sections.push((tag, rest[12..12 + len].to_vec()));
            rest = &rest[12 + len..];
        }
        Self {
            head: head.to_vec(),
            sections,
        }
    }

    /// The file, with a valid checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.head.clone();
        for (tag, body) in &self.sections {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
            out.extend_from_slice(body);
        }
        seal(out)
    }

    pub fn section(&mut self, tag: u32) -> &mut Vec<u8> {
        &mut self
            .sections
            .iter_mut()
            .find(|(t, _)| *t == tag)
            .expect("the section is in the checkpoint")
            .1
    }

    /// Leaves section `tag` out.
    pub fn remove(&mut self, tag: u32) {
        self.sections.retain(|(t, _)| *t != tag);
    }

    pub fn config(&mut self) -> serde_json::Value {
        serde_json::from_slice(self.section(CONFIG)).unwrap()
    }

    pub fn set_config(&mut self, config: &serde_json::Value) {
        *self.section(CONFIG) = serde_json::to_vec_pretty(config).unwrap();
    }
}

/// Appends the FNV-1a 64 checksum of `body`, as `experiment::checkpoint` does.
pub fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in &body {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    body.extend_from_slice(&h.to_le_bytes());
    body
}
