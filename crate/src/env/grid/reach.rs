//! Map validation's reachability check: can the agent get from its start to a goal?
//!
//! A breadth-first search over (position, key carried). Walls and lava block; a closed door
//! can be opened; a locked door opens only for an agent carrying a key; a key is picked up
//! by walking to it. The agent carries at most one key and MiniGrid's drop action is not
//! offered, so once it holds a key every other key blocks the way like a wall: the state
//! therefore records which key is carried, not just whether one is.

use std::collections::{HashSet, VecDeque};

use super::cell::Cell;

/// Whether any goal can be reached from `start` on the row-major `cells` of a map whose
/// border is wall (so every neighbour of an inner cell lies inside the map).
pub fn goal_reachable(cells: &[Cell], width: usize, start: (usize, usize)) -> bool {
    if width == 0 {
        return false;
    }
    // Key number `k` carried is stored as `k + 1`; 0 means empty-handed.
    let key_number =
        |i: usize| -> usize { cells[..i].iter().filter(|&&c| c == Cell::Key).count() + 1 };
    let start_index = start.1 * width + start.0;
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert((start_index, 0));
    queue.push_back((start_index, 0usize, 0usize));

    while let Some((i, carried, carried_at)) = queue.pop_front() {
        let (x, y) = (i % width, i / width);
        let neighbours = [
            (x + 1 < width).then(|| i + 1),
            (x > 0).then(|| i - 1),
            (i + width < cells.len()).then(|| i + width),
            (y > 0).then(|| i - width),
        ];
        for j in neighbours.into_iter().flatten() {
            let next = match cells[j] {
                Cell::Goal => return true,
                Cell::Wall | Cell::Lava => continue,
                Cell::Key if carried != 0 && j != carried_at => continue,
                Cell::Key if carried == 0 => (j, key_number(j), j),
                Cell::LockedDoor if carried == 0 => continue,
                _ => (j, carried, carried_at),
            };
            if seen.insert((next.0, next.1)) {
                queue.push_back(next);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells and start of a small map given as rows (start marked with 'S').
    fn layout(rows: &[&str]) -> (Vec<Cell>, usize, (usize, usize)) {
        let width = rows[0].len();
        let mut start = (0, 0);
        let mut cells = Vec::new();
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                if c == 'S' {
                    start = (x, y);
                    cells.push(Cell::Floor);
                } else {
                    cells.push(Cell::from_char(c).expect("test map character"));
                }
            }
        }
        (cells, width, start)
    }

    fn reachable(rows: &[&str]) -> bool {
        let (cells, width, start) = layout(rows);
        goal_reachable(&cells, width, start)
    }

    #[test]
    fn walls_and_lava_block() {
        assert!(reachable(&["#####", "#S.G#", "#####"]));
        assert!(!reachable(&["#####", "#S#G#", "#####"]));
        assert!(!reachable(&["#####", "#SLG#", "#####"]));
    }

    #[test]
    fn closed_doors_open_but_locked_ones_need_a_key_first() {
        assert!(reachable(&["#####", "#SdG#", "#####"]));
        assert!(!reachable(&["#####", "#SDG#", "#####"]));
        assert!(reachable(&["######", "#KSDG#", "######"]));
        // The key lies beyond the door it opens.
        assert!(!reachable(&["######", "#SDKG#", "######"]));
    }

    #[test]
    fn the_carried_key_frees_its_cell_but_a_second_key_blocks() {
        // The key's own cell becomes floor once it is picked up, so the agent walks through.
        assert!(reachable(&["######", "#SKDG#", "######"]));
        // With one key in hand a second cannot be picked up (there is no drop action).
        assert!(!reachable(&["######", "#SKKG#", "######"]));
        // A way around the second key works.
        assert!(reachable(&["######", "#SKKG#", "#...##", "######"]));
    }
}
