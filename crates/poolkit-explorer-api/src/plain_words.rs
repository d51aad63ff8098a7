//! A geometry the library refuses, told in the page's words: which setting to change, and
//! why, in a sentence for a learner, with the setting's field so that the page can show the
//! sentence beside it. The library's own message stays in the answer as `detail`.

use super::error::ApiError;
use super::fields::{axis_field, AXES};
use super::grid::Grid;
use super::settings::{PaddingMode, Settings};
use poolkit::{GeometryRule, Layout, PoolPlan};

/// Plans the settings' window on the grid; a refusal comes back in the page's words.
pub fn check_geometry(settings: &Settings, grid: &Grid) -> Result<(), ApiError> {
    match PoolPlan::new(
        &settings.max_spec(),
        &grid.tensor_shape(),
        Layout::ChannelsFirst,
    ) {
        Ok(_) => Ok(()),
        Err(e) => Err(explain(settings, grid, &e)),
    }
}

fn explain(settings: &Settings, grid: &Grid, e: &poolkit::Error) -> ApiError {
    let detail = e.message();
    let plain = |field: String, sentence: String| ApiError {
        status: 400,
        message: sentence,
        field: Some(field),
        detail: Some(format!("{detail}.")),
    };
    let Some((axis, rule)) = e.geometry().filter(|&(axis, _)| axis < 2) else {
        return ApiError::bad_request(format!("These settings give no output: {detail}."));
    };
    let name = AXES[axis];
    let (kernel, dilation) = (settings.kernel[axis], settings.dilation[axis]);
    let span = (kernel - 1) * dilation + 1;
    let explicit = settings.padding == PaddingMode::Explicit;
    let (pb, pe) = (settings.pad_begin[axis], settings.pad_end[axis]);
    let input = if axis == 0 { grid.rows } else { grid.cols };
    let field = |key: &str| format!("settings.{key}[{axis}]");
    let label = |key: &'static str| axis_field(key).map_or(key, |f| f.label);
    match rule {
        GeometryRule::NoWindowFits => {
            let padded = input + if explicit { pb + pe } else { 0 };
            let key = if dilation > 1 { "dilation" } else { "kernel" };
            plain(
                field(key),
                format!(
                    "On the {name}, the window spans {span} cells but the grid with its padding has only \
                     {padded}: no window fits, so there is no output. Make the {} smaller, or add padding.",
                    label(key).to_lowercase()
                ),
            )
        }
        GeometryRule::WindowInPadding { before } if explicit => {
            let (key, pad, side) = if before {
                ("pad_begin", pb, "first")
            } else {
                ("pad_end", pe, "last")
            };
            plain(
                field(key),
                format!(
                    "On the {name}, padding {pad} is as wide as the window ({span} cells) or wider, so the \
                     {side} window would cover only padding and see no input. Make the padding smaller \
                     than the window."
                ),
            )
        }
        GeometryRule::NoTapInside => {
            plain(
                field("dilation"),
                format!(
                    "On the {name}, dilation {dilation} spreads the window's taps so far apart that one \
                     window lands with every tap outside the grid. Make the dilation smaller."
                ),
            )
        }
        _ => ApiError::bad_request(format!("These settings give no output: {detail}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;

    fn refusal(change: impl FnOnce(&mut Settings)) -> ApiError {
        let mut settings = Settings::default();
        change(&mut settings);
        check_geometry(&settings, &seed_grid()).unwrap_err()
    }

    #[test]
    fn padding_as_wide_as_the_window_is_explained_at_the_padding_field() {
        let e = refusal(|s| s.pad_begin = vec![2, 0]);
        assert_eq!(e.field.as_deref(), Some("settings.pad_begin[0]"));
        assert!(
            e.message
                .starts_with("On the rows, padding 2 is as wide as the window (2 cells)"),
            "{}",
            e.message
        );
        let e = refusal(|s| {
            s.pad_end = vec![0, 3];
            s.ceil_mode = true;
        });
        assert_eq!(
            e.field.as_deref(),
            Some("settings.pad_end[1]"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_window_larger_than_the_grid_is_explained_at_the_kernel_field() {
        let e = refusal(|s| s.kernel = vec![2, 7]);
        assert_eq!(e.field.as_deref(), Some("settings.kernel[1]"));
        assert!(e.message.starts_with(
            "On the columns, the window spans 7 cells but the grid with its padding has only 6: no window fits"
        ), "{}", e.message);
        let e = refusal(|s| s.dilation = vec![6, 1]);
        assert_eq!(
            e.field.as_deref(),
            Some("settings.dilation[0]"),
            "{}",
            e.message
        );
    }
}
