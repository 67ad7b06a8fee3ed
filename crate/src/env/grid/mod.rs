//! MiniGrid-like grid worlds defined by ASCII maps.

use super::registry::Entry;

/// This family's registry lines.
pub fn entries() -> Vec<Entry> {
    vec![]
}
