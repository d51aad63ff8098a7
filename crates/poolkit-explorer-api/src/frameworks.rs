//! "Frameworks disagree here": for the page's settings and grid, where PyTorch and ONNX
//! would not give the same answer (or would not run at all), each a sentence naming both and
//! what this page shows. Every note restates a row of docs/semantics.md, where the tests that
//! hold it are named.

use super::grid::Grid;
use super::settings::{Operator, PaddingMode, Settings};
use serde_json::{json, Value};

/// The notes for these settings on this grid; empty where both frameworks agree.
pub fn differences(settings: &Settings, grid: &Grid) -> Value {
    let mut notes = Vec::new();
    let mut note = |topic: &str, pytorch: String, onnx: String| {
        notes.push(json!({ "topic": topic, "pytorch": pytorch, "onnx": onnx }));
    };
    let explicit = settings.padding == PaddingMode::Explicit;
    let padded = !explicit
        || settings
            .pad_begin
            .iter()
            .chain(&settings.pad_end)
            .any(|&p| p > 0);
    if !explicit {
        note(
            "SAME padding",
            "PyTorch's pooling has no SAME padding: pad the input yourself (F.pad), then pool."
                .into(),
            "ONNX's auto_pad SAME_UPPER / SAME_LOWER computes the padding, as this page does."
                .into(),
        );
    }
    for (axis, name) in ["rows", "columns"].iter().enumerate() {
        let k = settings.kernel[axis];
        let widest = settings.pad_begin[axis].max(settings.pad_end[axis]);
        if explicit && 2 * widest > k {
            note(
                "padding wider than half the window",
                format!("PyTorch refuses padding {widest} with kernel {k} on the {name}: it allows at most half the kernel."),
                format!("ONNX Runtime accepts padding smaller than the kernel ({widest} < {k}); the ONNX spec allows any padding."),
            );
        }
    }
    // The average panel is always on the page: its notes do not wait for the operator menu.
    if padded && !settings.count_include_pad {
        note(
            "average pooling's default divisor",
            "PyTorch's avg_pool2d counts padding in the divisor unless told not to (count_include_pad=True by default).".into(),
            "ONNX's AveragePool leaves padding out by default (count_include_pad=0), as this page does now.".into(),
        );
    } else if padded {
        note(
            "average pooling's default divisor",
            "PyTorch's avg_pool2d counts padding by default, as this page does now.".into(),
            "ONNX's AveragePool counts it only with count_include_pad=1.".into(),
        );
    }
    if settings.dilation.iter().any(|&d| d > 1) {
        note(
            "dilated average pooling",
            "PyTorch's avg_pool2d has no dilation argument.".into(),
            "ONNX's AveragePool takes dilations (opset 19 and later).".into(),
        );
    }
    if settings.operator == Operator::Lp {
        if padded {
            note(
                "Lp pooling with padding",
                "PyTorch's lp_pool2d has no padding argument.".into(),
                "ONNX's LpPool pads; padding adds nothing to the power sum.".into(),
            );
        }
        let even = settings.p.fract() == 0.0 && (settings.p as i64) % 2 == 0;
        if !even && grid.values.iter().any(|&v| v < 0.0) {
            note(
                "Lp pooling of negative values",
                format!("PyTorch's lp_pool2d raises x to the power p = {} without |x|: negative inputs give other values, or NaN.", settings.p),
                "ONNX Runtime uses |x|, as this page does.".into(),
            );
        }
        if settings.ceil_mode {
            note(
                "a partial Lp window",
                "PyTorch scales a partial ceil-mode window as if the whole window were there (its mean times the full kernel size).".into(),
                "ONNX Runtime sums only the elements the window reads, as this page does.".into(),
            );
        }
    }
    Value::Array(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;

    fn topics(change: impl FnOnce(&mut Settings)) -> Vec<String> {
        let mut s = Settings::default();
        change(&mut s);
        differences(&s, &seed_grid())
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["topic"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_seeds_settings_agree_everywhere() {
        assert!(topics(|_| {}).is_empty());
        assert!(topics(|s| s.operator = Operator::Avg).is_empty());
    }

    #[test]
    fn each_documented_difference_shows_for_its_settings() {
        assert_eq!(
            topics(|s| s.padding = PaddingMode::SameUpper),
            ["SAME padding", "average pooling's default divisor"]
        );
        assert_eq!(
            topics(|s| {
                s.kernel = vec![3, 3];
                s.pad_begin = vec![2, 0];
            }),
            [
                "padding wider than half the window",
                "average pooling's default divisor"
            ]
        );
        assert_eq!(
            topics(|s| {
                s.operator = Operator::Avg;
                s.pad_begin = vec![1, 1];
            }),
            ["average pooling's default divisor"]
        );
        assert_eq!(
            topics(|s| {
                s.operator = Operator::Avg;
                s.dilation = vec![2, 1];
            }),
            ["dilated average pooling"]
        );
        assert_eq!(
            topics(|s| {
                s.operator = Operator::Lp;
                s.ceil_mode = true;
            }),
            ["a partial Lp window"]
        );
    }

    #[test]
    fn negative_values_matter_to_lp_only_for_odd_or_fractional_p() {
        let grid = Grid::from_flat(2, 2, vec![-1.0, 2.0, 3.0, 4.0]);
        let mut s = Settings {
            operator: Operator::Lp,
            p: 2.0,
            ..Settings::default()
        };
        assert_eq!(differences(&s, &grid), json!([]));
        s.p = 3.0;
        assert_eq!(
            differences(&s, &grid)[0]["topic"],
            "Lp pooling of negative values"
        );
    }
}
