//! Output-shape arithmetic spelled out, per axis, with this input's numbers substituted.

use crate::error::Result;
use crate::geometry::{output_shape_in_format, AxisMode, Padding, PoolSpec, Region};

/// How one axis's output extent follows from its input extent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisExplanation {
    /// The axis letter from the format (`h`, `w`, `d`, ...).
    pub axis: char,
    /// Input extent.
    pub input: usize,
    /// Output extent.
    pub output: usize,
    /// The formula with numbers substituted, ending in `= output`.
    pub formula: String,
}

/// Explains every spatial axis of pooling `shape` (laid out as `format`, see
/// [`output_shape_in_format`]) with `spec`.
///
/// ```
/// use poolkit::{teach::explain_output_shape, PoolSpec, WindowSpec};
/// let spec = PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2]));
/// let axes = explain_output_shape(&spec, &[14, 14, 32], "hwc")?;
/// assert_eq!(axes[0].formula, "floor((14 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 7");
/// # Ok::<(), poolkit::Error>(())
/// ```
pub fn explain_output_shape(
    spec: &PoolSpec,
    shape: &[usize],
    format: &str,
) -> Result<Vec<AxisExplanation>> {
    let out = output_shape_in_format(spec, shape, format)?;
    let letters: Vec<char> = format.to_ascii_lowercase().chars().collect();
    let spatial: Vec<usize> = (0..shape.len())
        .filter(|&i| letters[i] != 'n' && letters[i] != 'c')
        .collect();
    let axes = crate::geometry::plan::resolve_axes(
        spec,
        &spatial.iter().map(|&i| shape[i]).collect::<Vec<_>>(),
    )?;
    Ok(spatial
        .iter()
        .zip(&axes)
        .map(|(&i, plan)| AxisExplanation {
            axis: letters[i],
            input: shape[i],
            output: out[i],
            formula: formula(spec, plan),
        })
        .collect())
}

fn formula(spec: &PoolSpec, plan: &crate::geometry::AxisPlan) -> String {
    let (input, output) = (plan.input, plan.output);
    let window = match &spec.region {
        Region::Window(w) => w,
        Region::Global => return format!("global: one window over all {input} = {output}"),
        Region::Adaptive { .. } => {
            return format!("adaptive: output size requested = {output} (window i covers [floor(i*{input}/{output}), ceil((i+1)*{input}/{output})))")
        }
    };
    let AxisMode::Window {
        kernel,
        stride,
        dilation,
        pad_begin,
        pad_end,
    } = plan.mode
    else {
        unreachable!("a window spec resolves to window axes")
    };
    match window.padding {
        Padding::SameUpper | Padding::SameLower => {
            let total = pad_begin + pad_end;
            format!(
                "ceil({input} / {stride}) = {output} (SAME: total pad max(({output}-1)*{stride} + {dilation}*({kernel}-1) + 1 - {input}, 0) = {total}, begin {pad_begin}, end {pad_end})"
            )
        }
        _ => {
            let body = format!(
                "({input} + {pad_begin} + {pad_end} - {dilation}*({kernel}-1) - 1) / {stride}"
            );
            if window.ceil_mode {
                // Signed: in ceil mode the window may be longer than the padded input.
                let numerator =
                    (input + pad_begin + pad_end) as i128 - (dilation * (kernel - 1)) as i128 - 1;
                let raw = (numerator + stride as i128 - 1).div_euclid(stride as i128) + 1;
                if raw != output as i128 {
                    format!(
                        "ceil({body}) + 1 = {raw}, minus 1 because window {raw} would start in the end padding = {output}"
                    )
                } else {
                    format!("ceil({body}) + 1 = {output}")
                }
            } else {
                format!("floor({body}) + 1 = {output}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::WindowSpec;

    #[test]
    fn ceil_mode_explains_the_dropped_window() {
        let spec = PoolSpec::max(
            WindowSpec::new(&[2])
                .strides(&[2])
                .padding(Padding::symmetric(&[1]))
                .ceil_mode(true),
        );
        let axes = explain_output_shape(&spec, &[5], "l").unwrap();
        assert_eq!(axes[0].output, 3);
        assert!(
            axes[0].formula.contains("= 4, minus 1"),
            "{}",
            axes[0].formula
        );
    }

    /// A ceil-mode window longer than the input (the numerator is negative) once panicked here.
    #[test]
    fn ceil_mode_window_longer_than_the_input() {
        let spec = PoolSpec::max(WindowSpec::new(&[4]).strides(&[3]).ceil_mode(true));
        let axes = explain_output_shape(&spec, &[3], "l").unwrap();
        assert_eq!(axes[0].output, 1);
        assert_eq!(
            axes[0].formula,
            "ceil((3 + 0 + 0 - 1*(4-1) - 1) / 3) + 1 = 1"
        );
    }

    #[test]
    fn same_padding_shows_total_pad() {
        let spec = PoolSpec::max(
            WindowSpec::new(&[3])
                .strides(&[2])
                .padding(Padding::SameUpper),
        );
        let axes = explain_output_shape(&spec, &[7], "w").unwrap();
        assert_eq!(axes[0].formula, "ceil(7 / 2) = 4 (SAME: total pad max((4-1)*2 + 1*(3-1) + 1 - 7, 0) = 2, begin 1, end 1)");
    }
}
