//! Gymnasium's classic-control environments, bit-faithful to Gymnasium 1.x.

use super::registry::Entry;

/// This family's registry lines.
pub fn entries() -> Vec<Entry> {
    vec![]
}
