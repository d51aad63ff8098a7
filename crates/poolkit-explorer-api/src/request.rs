//! The body most endpoints share: the grid, the settings, and the optional inputs of the
//! shift, gradient and convolution views.

use super::error::ApiError;
use super::grid::Grid;
use super::plain_words::check_geometry;
use super::settings::Settings;
use serde::Deserialize;

/// The direction the shift demo moves the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Left,
    #[default]
    Right,
}

impl Direction {
    /// `(rows, columns)` the content moves by.
    pub fn offset(self) -> (isize, isize) {
        match self {
            Direction::Up => (-1, 0),
            Direction::Down => (1, 0),
            Direction::Left => (0, -1),
            Direction::Right => (0, 1),
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Left => "left",
            Direction::Right => "right",
        }
    }
}

/// `{"grid": [[...]], "settings": {...}, "upstream": [[...]], "shift": "right", "shift_by": 1,
/// "weights": [[...]]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridRequest {
    pub grid: Vec<Vec<f64>>,
    #[serde(default)]
    pub settings: Settings,
    /// Upstream gradient, the pooled output's shape; all ones when absent.
    #[serde(default)]
    pub upstream: Option<Vec<Vec<f64>>>,
    /// Direction of the shift demo; right when absent.
    #[serde(default)]
    pub shift: Option<Direction>,
    /// Pixels the shift demo moves the input by (1 to 8); 1 when absent.
    #[serde(default)]
    pub shift_by: Option<usize>,
    /// 2×2 convolution weights; 0.25 each when absent.
    #[serde(default)]
    pub weights: Option<Vec<Vec<f64>>>,
}

impl GridRequest {
    /// The checked grid and settings.
    pub fn checked(&self) -> Result<(Grid, &Settings), ApiError> {
        let grid = Grid::from_rows(&self.grid, "grid")?;
        self.settings.validate()?;
        check_geometry(&self.settings, &grid)?;
        Ok((grid, &self.settings))
    }
}
