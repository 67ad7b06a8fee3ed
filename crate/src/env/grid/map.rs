//! The ASCII map format (documented in `static/maps/README.md`): parsing and validation.
//!
//! Every error names the 1-based line and column of the file where it can be fixed, except
//! those about the map as a whole (no goal, no start), which name the map.

use super::cell::{Cell, Dir, START_CHARS, start_dir_from_char};
use super::reach::goal_reachable;

/// Why a map was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("line {line}, column {column}: unknown character {ch:?}")]
    UnknownCharacter {
        line: usize,
        column: usize,
        ch: char,
    },
    #[error(
        "line {line}, column {column}: row has {got} cells, expected {expected} as in the first row (line {first_line})"
    )]
    RaggedRow {
        line: usize,
        column: usize,
        got: usize,
        expected: usize,
        first_line: usize,
    },
    #[error("line {line}, column {column}: the border must be wall '#', found {ch:?}")]
    OpenBorder {
        line: usize,
        column: usize,
        ch: char,
    },
    #[error(
        "line {line}, column {column}: a second agent start (the first is at line {first_line}, column {first_column})"
    )]
    MultipleStarts {
        line: usize,
        column: usize,
        first_line: usize,
        first_column: usize,
    },
    #[error(
        "line {line}, column {column}: unknown header key '{key}' (known: name, max_steps, reward_threshold)"
    )]
    UnknownHeader {
        line: usize,
        column: usize,
        key: String,
    },
    #[error("line {line}, column {column}: header key '{key}' is given twice")]
    DuplicateHeader {
        line: usize,
        column: usize,
        key: String,
    },
    #[error("line {line}, column {column}: bad value for '{key}': {reason}")]
    BadHeaderValue {
        line: usize,
        column: usize,
        key: &'static str,
        reason: String,
    },
    #[error("line {line}, column 1: header lines must come before the grid")]
    HeaderAfterGrid { line: usize },
    #[error(
        "line {line}, column 1: grid rows must be contiguous (blank line at line {blank_line})"
    )]
    SplitGrid { line: usize, blank_line: usize },
    #[error("map '{name}' has no grid rows")]
    NoGrid { name: String },
    #[error("map '{name}' has no goal 'G'")]
    NoGoal { name: String },
    #[error("map '{name}' has no agent start ('>', 'v', '<' or '^')")]
    NoStart { name: String },
    #[error(
        "line {line}, column {column}: no goal of map '{name}' can be reached from this start (walls and lava block; a locked door needs a key picked up on the way)"
    )]
    GoalUnreachable {
        name: String,
        line: usize,
        column: usize,
    },
}

/// The name of a map without a `name:` header.
pub const DEFAULT_NAME: &str = "custom";

/// A validated map: its initial layout, the agent's start and the step limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    name: String,
    width: usize,
    height: usize,
    /// Row-major, `height * width`; the start cell holds `Floor`.
    cells: Vec<Cell>,
    start: (usize, usize),
    start_dir: Dir,
    max_steps: u32,
    reward_threshold: Option<f64>,
}

impl Map {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn width(&self) -> usize {
        self.width
    }
    pub fn height(&self) -> usize {
        self.height
    }
    /// The initial layout, row-major (`y * width + x`).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }
    /// The cell at `(x, y)`, `None` outside the map.
    pub fn cell(&self, x: usize, y: usize) -> Option<Cell> {
        (x < self.width && y < self.height).then(|| self.cells[y * self.width + x])
    }
    /// The agent's start `(x, y)`.
    pub fn start(&self) -> (usize, usize) {
        self.start
    }
    /// The agent's facing at the start: 0 right, 1 down, 2 left, 3 up.
    pub fn start_dir(&self) -> Dir {
        self.start_dir
    }
    /// Episode step limit (`max_steps:` header, else MiniGrid's default `4 * width * height`).
    pub fn max_steps(&self) -> u32 {
        self.max_steps
    }
    /// Mean return that counts as solving the map (`reward_threshold:` header), if any.
    pub fn reward_threshold(&self) -> Option<f64> {
        self.reward_threshold
    }
}

/// Header values read so far.
#[derive(Default)]
struct Header {
    name: Option<String>,
    max_steps: Option<u32>,
    reward_threshold: Option<f64>,
}

/// The grid rows read so far.
#[derive(Default)]
struct Grid {
    width: usize,
    first_line: usize,
    /// File line of each row, for errors found after reading.
    row_lines: Vec<usize>,
    cells: Vec<Cell>,
    goals: usize,
    /// Start `(x, y)` and facing.
    start: Option<((usize, usize), Dir)>,
}

/// Parses and validates a map. See `static/maps/README.md` for the format.
pub fn parse_map(text: &str) -> Result<Map, MapError> {
    let mut header = Header::default();
    let mut grid = Grid::default();
    let mut blank_after_grid: Option<usize> = None;

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let row = raw.trim_end();
        let content = row.trim_start();
        if content.is_empty() {
            if !grid.row_lines.is_empty() && blank_after_grid.is_none() {
                blank_after_grid = Some(line);
            }
            continue;
        }
        if content.starts_with("//") {
            continue;
        }
        if content.contains(':') {
            if !grid.row_lines.is_empty() {
                return Err(MapError::HeaderAfterGrid { line });
            }
            let indent = row.chars().count() - content.chars().count();
            read_header(&mut header, content, line, indent)?;
            continue;
        }
        if let Some(blank_line) = blank_after_grid {
            return Err(MapError::SplitGrid { line, blank_line });
        }
        read_row(&mut grid, row, line)?;
    }

    let name = header.name.unwrap_or_else(|| DEFAULT_NAME.to_string());
    let height = grid.row_lines.len();
    if height == 0 {
        return Err(MapError::NoGrid { name });
    }
    let width = grid.width;
    check_border(&grid)?;
    let Some((start, start_dir)) = grid.start else {
        return Err(MapError::NoStart { name });
    };
    if grid.goals == 0 {
        return Err(MapError::NoGoal { name });
    }
    if !goal_reachable(&grid.cells, width, start) {
        return Err(MapError::GoalUnreachable {
            name,
            line: grid.row_lines[start.1],
            column: start.0 + 1,
        });
    }
    let default_steps = 4u64 * width as u64 * height as u64;
    let max_steps = header
        .max_steps
        .unwrap_or_else(|| u32::try_from(default_steps).unwrap_or(u32::MAX));
    Ok(Map {
        name,
        width,
        height,
        cells: grid.cells,
        start,
        start_dir,
        max_steps,
        reward_threshold: header.reward_threshold,
    })
}

/// Reads one `key: value` line. `indent` is the number of characters before the key.
fn read_header(
    header: &mut Header,
    content: &str,
    line: usize,
    indent: usize,
) -> Result<(), MapError> {
    let (key_part, value_part) = content.split_once(':').unwrap_or((content, ""));
    let key = key_part.trim_end();
    let key_column = indent + 1;
    let value = value_part.trim();
    // Column of the first character of the value (or just past the colon when it is empty).
    let value_column = {
        let after_colon = key_part.chars().count() + 1;
        let leading = value_part.chars().count() - value_part.trim_start().chars().count();
        indent + after_colon + leading + 1
    };
    let duplicate = |key: &str| MapError::DuplicateHeader {
        line,
        column: key_column,
        key: key.to_string(),
    };
    match key {
        "name" => {
            if header.name.is_some() {
                return Err(duplicate(key));
            }
            header.name = Some(parse_name(value, line, value_column)?);
        }
        "max_steps" => {
            if header.max_steps.is_some() {
                return Err(duplicate(key));
            }
            header.max_steps = Some(parse_max_steps(value, line, value_column)?);
        }
        "reward_threshold" => {
            if header.reward_threshold.is_some() {
                return Err(duplicate(key));
            }
            header.reward_threshold = Some(parse_threshold(value, line, value_column)?);
        }
        _ => {
            return Err(MapError::UnknownHeader {
                line,
                column: key_column,
                key: key.to_string(),
            });
        }
    }
    Ok(())
}

/// A map name becomes part of an environment id, so it is kept to id-safe characters.
fn parse_name(value: &str, line: usize, column: usize) -> Result<String, MapError> {
    let bad = |column: usize, reason: String| MapError::BadHeaderValue {
        line,
        column,
        key: "name",
        reason,
    };
    if value.is_empty() {
        return Err(bad(column, "the name is empty".into()));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if let Some((i, c)) = value.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        return Err(bad(
            column + i,
            format!("character {c:?} is not allowed (use letters, digits, '-', '_' or '.')"),
        ));
    }
    Ok(value.to_string())
}

/// Grid rewards lie in (0.1, 1], so a threshold outside (0, 1] could never mean "solved".
fn parse_threshold(value: &str, line: usize, column: usize) -> Result<f64, MapError> {
    match value.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 1.0 => Ok(t),
        _ => Err(MapError::BadHeaderValue {
            line,
            column,
            key: "reward_threshold",
            reason: format!("expected a number in (0, 1], found '{value}'"),
        }),
    }
}

fn parse_max_steps(value: &str, line: usize, column: usize) -> Result<u32, MapError> {
    let bad = |reason: String| MapError::BadHeaderValue {
        line,
        column,
        key: "max_steps",
        reason,
    };
    match value.parse::<u32>() {
        Ok(0) => Err(bad("must be at least 1".into())),
        Ok(n) => Ok(n),
        Err(_) => Err(bad(format!(
            "expected a whole number of steps from 1 to {}, found '{value}'",
            u32::MAX
        ))),
    }
}

/// Reads one grid row (trailing whitespace already removed).
fn read_row(grid: &mut Grid, row: &str, line: usize) -> Result<(), MapError> {
    let y = grid.row_lines.len();
    let mut width = 0;
    for (x, ch) in row.chars().enumerate() {
        let column = x + 1;
        let cell = if let Some(dir) = start_dir_from_char(ch) {
            if let Some(((fx, fy), _)) = grid.start {
                return Err(MapError::MultipleStarts {
                    line,
                    column,
                    first_line: grid.row_lines.get(fy).copied().unwrap_or(line),
                    first_column: fx + 1,
                });
            }
            grid.start = Some(((x, y), dir));
            Cell::Floor
        } else {
            Cell::from_char(ch).ok_or(MapError::UnknownCharacter { line, column, ch })?
        };
        if y > 0 && x >= grid.width {
            return Err(ragged(grid, line, row.chars().count()));
        }
        if cell == Cell::Goal {
            grid.goals += 1;
        }
        grid.cells.push(cell);
        width += 1;
    }
    if y == 0 {
        grid.width = width;
        grid.first_line = line;
    } else if width != grid.width {
        return Err(ragged(grid, line, width));
    }
    grid.row_lines.push(line);
    Ok(())
}

fn ragged(grid: &Grid, line: usize, got: usize) -> MapError {
    MapError::RaggedRow {
        line,
        // The first cell past the expected width, or just past the short row's end.
        column: got.min(grid.width) + 1,
        got,
        expected: grid.width,
        first_line: grid.first_line,
    }
}

/// The outermost rows and columns must be wall, so the agent can never leave the map.
fn check_border(grid: &Grid) -> Result<(), MapError> {
    let (width, height) = (grid.width, grid.row_lines.len());
    for (y, &line) in grid.row_lines.iter().enumerate() {
        for x in 0..width {
            let on_border = y == 0 || y + 1 == height || x == 0 || x + 1 == width;
            let cell = grid.cells[y * width + x];
            let is_start = grid.start.is_some_and(|(pos, _)| pos == (x, y));
            if on_border && (cell != Cell::Wall || is_start) {
                return Err(MapError::OpenBorder {
                    line,
                    column: x + 1,
                    ch: match grid.start {
                        Some((_, dir)) if is_start => START_CHARS[usize::from(dir)],
                        _ => cell_char(cell),
                    },
                });
            }
        }
    }
    Ok(())
}

/// The map character of a cell as parsed (open doors never come from a map).
fn cell_char(cell: Cell) -> char {
    match cell {
        Cell::Floor => '.',
        Cell::Wall => '#',
        Cell::Goal => 'G',
        Cell::Lava => 'L',
        Cell::Key => 'K',
        Cell::LockedDoor => 'D',
        Cell::ClosedDoor | Cell::OpenDoor => 'd',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = "#####\n#>.G#\n#####\n";

    fn err(text: &str) -> MapError {
        parse_map(text).expect_err("the map should be rejected")
    }

    #[test]
    fn parses_header_grid_and_start() {
        let map = parse_map(
            "// a comment\nname: Tiny\n  max_steps : 12 \n\n#####\n#.vG#\n#K.d#\n#####\n\n// end\n",
        )
        .expect("valid map");
        assert_eq!(map.name(), "Tiny");
        assert_eq!(map.max_steps(), 12);
        assert_eq!((map.width(), map.height()), (5, 4));
        assert_eq!(map.start(), (2, 1));
        assert_eq!(map.start_dir(), 1);
        assert_eq!(map.cell(2, 1), Some(Cell::Floor));
        assert_eq!(map.cell(3, 1), Some(Cell::Goal));
        assert_eq!(map.cell(1, 2), Some(Cell::Key));
        assert_eq!(map.cell(3, 2), Some(Cell::ClosedDoor));
        assert_eq!(map.cell(5, 0), None);
    }

    #[test]
    fn defaults_name_and_max_steps_like_minigrid() {
        let map = parse_map("#####\r\n#<.G#\r\n#####\r\n").expect("valid map");
        assert_eq!(map.name(), DEFAULT_NAME);
        assert_eq!(map.max_steps(), 4 * 5 * 3);
        assert_eq!(map.start_dir(), 2);
        assert_eq!(map.reward_threshold(), None);
    }

    #[test]
    fn reads_and_checks_the_reward_threshold() {
        let map = parse_map("reward_threshold: 0.85\n#####\n#>.G#\n#####\n").expect("valid map");
        assert_eq!(map.reward_threshold(), Some(0.85));
        for bad in ["1.5", "0", "-0.2", "high", "NaN"] {
            let text = format!("reward_threshold: {bad}\n#####\n#>.G#\n#####\n");
            let message = parse_map(&text).expect_err(bad).to_string();
            assert!(
                message.starts_with("line 1, column 19: bad value for 'reward_threshold'"),
                "{message}"
            );
        }
    }

    #[test]
    fn unknown_character_names_line_and_column() {
        let e = err("name: x\n#####\n#>.G#\n#.x.#\n#####\n");
        assert_eq!(
            e,
            MapError::UnknownCharacter {
                line: 4,
                column: 3,
                ch: 'x'
            }
        );
        assert_eq!(e.to_string(), "line 4, column 3: unknown character 'x'");
        // Indenting a row is an error at its first column.
        assert!(matches!(
            err("#####\n #>.G#\n#####\n"),
            MapError::UnknownCharacter {
                line: 2,
                column: 1,
                ch: ' '
            }
        ));
    }

    #[test]
    fn ragged_rows_point_past_the_expected_width_or_at_the_short_end() {
        assert_eq!(
            err("#####\n#>.G##\n#####\n"),
            MapError::RaggedRow {
                line: 2,
                column: 6,
                got: 6,
                expected: 5,
                first_line: 1
            }
        );
        assert_eq!(
            err("\n#####\n#>.G#\n####\n"),
            MapError::RaggedRow {
                line: 4,
                column: 5,
                got: 4,
                expected: 5,
                first_line: 2
            }
        );
    }

    #[test]
    fn border_must_be_wall() {
        assert_eq!(
            err("#####\n#>.G.\n#####\n"),
            MapError::OpenBorder {
                line: 2,
                column: 5,
                ch: '.'
            }
        );
        assert_eq!(
            err("#####\n^..G#\n#####\n"),
            MapError::OpenBorder {
                line: 2,
                column: 1,
                ch: '^'
            }
        );
        let e = err("##G##\n#>..#\n#####\n");
        assert_eq!(
            e.to_string(),
            "line 1, column 3: the border must be wall '#', found 'G'"
        );
    }

    #[test]
    fn second_start_names_both() {
        let e = err("######\n#>.G.#\n#..<.#\n######\n");
        assert_eq!(
            e,
            MapError::MultipleStarts {
                line: 3,
                column: 4,
                first_line: 2,
                first_column: 2
            }
        );
    }

    #[test]
    fn missing_start_goal_or_grid_name_the_map() {
        assert_eq!(
            err("name: Foo\n#####\n#..G#\n#####\n").to_string(),
            "map 'Foo' has no agent start ('>', 'v', '<' or '^')"
        );
        assert_eq!(
            err("#####\n#>..#\n#####\n").to_string(),
            "map 'custom' has no goal 'G'"
        );
        assert_eq!(
            err("name: Bar\n// only a comment\n"),
            MapError::NoGrid { name: "Bar".into() }
        );
    }

    #[test]
    fn unreachable_goal_points_at_the_start() {
        let e = err("name: Walled\n######\n#.>#G#\n######\n");
        assert_eq!(
            e,
            MapError::GoalUnreachable {
                name: "Walled".into(),
                line: 3,
                column: 3
            }
        );
        // Lava blocks, and a locked door with no key before it blocks.
        assert!(matches!(
            err("######\n#>LG.#\n######\n"),
            MapError::GoalUnreachable { .. }
        ));
        assert!(matches!(
            err("######\n#>DKG#\n######\n"),
            MapError::GoalUnreachable { .. }
        ));
        assert!(parse_map("######\n#K>DG#\n######\n").is_ok());
    }

    #[test]
    fn header_errors_point_at_key_or_value() {
        assert_eq!(
            err("size: 5\n#####\n#>.G#\n#####\n"),
            MapError::UnknownHeader {
                line: 1,
                column: 1,
                key: "size".into()
            }
        );
        assert_eq!(
            err("name: A\n  name: B\n#####\n#>.G#\n#####\n"),
            MapError::DuplicateHeader {
                line: 2,
                column: 3,
                key: "name".into()
            }
        );
        let zero = err("max_steps: 0\n#####\n#>.G#\n#####\n");
        assert_eq!(
            zero.to_string(),
            "line 1, column 12: bad value for 'max_steps': must be at least 1"
        );
        assert!(matches!(
            err("max_steps:  ten\n#####\n#>.G#\n#####\n"),
            MapError::BadHeaderValue {
                line: 1,
                column: 13,
                key: "max_steps",
                ..
            }
        ));
        assert!(matches!(
            err("max_steps: -3\n#####\n#>.G#\n#####\n"),
            MapError::BadHeaderValue {
                line: 1,
                column: 12,
                ..
            }
        ));
        // The offending character of a name, not just the value's start.
        assert!(matches!(
            err("name: My Map\n#####\n#>.G#\n#####\n"),
            MapError::BadHeaderValue {
                line: 1,
                column: 9,
                key: "name",
                ..
            }
        ));
        assert!(matches!(
            err("name:\n#####\n#>.G#\n#####\n"),
            MapError::BadHeaderValue {
                line: 1,
                key: "name",
                ..
            }
        ));
    }

    #[test]
    fn grid_must_be_one_block_after_the_header() {
        assert_eq!(
            err(&format!("{ROOM}name: late\n")),
            MapError::HeaderAfterGrid { line: 4 }
        );
        assert_eq!(
            err("#####\n#>.G#\n\n#####\n"),
            MapError::SplitGrid {
                line: 4,
                blank_line: 3
            }
        );
        assert_eq!(
            err("#####\n#>.G#\n\n#####\n").to_string(),
            "line 4, column 1: grid rows must be contiguous (blank line at line 3)"
        );
    }
}
