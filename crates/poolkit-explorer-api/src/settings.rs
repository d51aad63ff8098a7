//! The page's pooling settings, checked against the explorer's ranges and turned into the
//! library's specs. Every field is optional; a missing one takes the seed's value
//! (2×2 window, stride 2, no padding).

use super::error::ApiError;
use super::fields::{axis_refusal, p_refusal, AxisField, AXIS_FIELDS, P_RANGE};
use poolkit::{Padding, PoolSpec, WindowSpec};
use serde::{Deserialize, Serialize};

/// The operator whose own output (Lp) and gradient the page shows beside max and average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    #[default]
    Max,
    Avg,
    Lp,
    GlobalMax,
    GlobalAvg,
}

/// How the window's padding is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PaddingMode {
    /// `pad_begin` / `pad_end` per axis.
    #[default]
    Explicit,
    /// ONNX `SAME_UPPER`: output `ceil(in / stride)`, an odd pad's extra pixel at the end.
    SameUpper,
    /// ONNX `SAME_LOWER`: the extra pixel at the start.
    SameLower,
}

/// Every setting of the page; axes are `[rows, columns]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub operator: Operator,
    /// Order of Lp pooling.
    pub p: f64,
    pub kernel: Vec<usize>,
    pub stride: Vec<usize>,
    pub dilation: Vec<usize>,
    pub padding: PaddingMode,
    pub pad_begin: Vec<usize>,
    pub pad_end: Vec<usize>,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            operator: Operator::Max,
            p: 2.0,
            kernel: vec![2, 2],
            stride: vec![2, 2],
            dilation: vec![1, 1],
            padding: PaddingMode::Explicit,
            pad_begin: vec![0, 0],
            pad_end: vec![0, 0],
            ceil_mode: false,
            count_include_pad: false,
        }
    }
}

impl Settings {
    /// Checks every field against the explorer's ranges (the library checks the geometry).
    pub fn validate(&self) -> Result<(), ApiError> {
        for field in &AXIS_FIELDS {
            let values = match field.key {
                "kernel" => &self.kernel,
                "stride" => &self.stride,
                "dilation" => &self.dilation,
                "pad_begin" => &self.pad_begin,
                _ => &self.pad_end,
            };
            per_axis(field, values)?;
        }
        let (lo, hi) = P_RANGE;
        if !(self.p.is_finite() && (lo..=hi).contains(&self.p)) {
            return Err(ApiError::field(
                "settings.p",
                p_refusal(Some(&self.p.to_string())),
            ));
        }
        Ok(())
    }

    /// The sliding window these settings describe.
    pub fn window(&self) -> WindowSpec {
        let padding = match self.padding {
            PaddingMode::Explicit => Padding::Explicit {
                begin: self.pad_begin.clone(),
                end: self.pad_end.clone(),
            },
            PaddingMode::SameUpper => Padding::SameUpper,
            PaddingMode::SameLower => Padding::SameLower,
        };
        WindowSpec::new(&self.kernel)
            .strides(&self.stride)
            .dilations(&self.dilation)
            .padding(padding)
            .ceil_mode(self.ceil_mode)
    }

    /// Windowed max pooling.
    pub fn max_spec(&self) -> PoolSpec {
        PoolSpec::max(self.window())
    }

    /// Windowed average pooling, with this `count_include_pad`.
    pub fn avg_spec(&self) -> PoolSpec {
        PoolSpec::avg(self.window()).count_include_pad(self.count_include_pad)
    }

    /// Windowed Lp pooling of order `p`.
    pub fn lp_spec(&self) -> PoolSpec {
        PoolSpec::lp(self.window(), self.p)
    }

    /// The spec of the selected operator.
    pub fn operator_spec(&self) -> PoolSpec {
        match self.operator {
            Operator::Max => self.max_spec(),
            Operator::Avg => self.avg_spec(),
            Operator::Lp => self.lp_spec(),
            Operator::GlobalMax => PoolSpec::global_max(),
            Operator::GlobalAvg => PoolSpec::global_avg(),
        }
    }
}

fn per_axis(field: &AxisField, values: &[usize]) -> Result<(), ApiError> {
    if values.len() != 2 {
        return Err(ApiError::field(
            &format!("settings.{}", field.key),
            format!(
                "{} has {} entries: give two, one for rows and one for columns.",
                field.label,
                values.len()
            ),
        ));
    }
    let (lo, hi) = field.range;
    for (axis, &v) in values.iter().enumerate() {
        if !(lo..=hi).contains(&v) {
            return Err(ApiError::field(
                &format!("settings.{}[{axis}]", field.key),
                axis_refusal(field, axis, Some(&v.to_string())),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seeds_two_by_two_stride_two() {
        let s = Settings::default();
        s.validate().unwrap();
        assert_eq!(
            s.window(),
            WindowSpec::new(&[2, 2])
                .strides(&[2, 2])
                .dilations(&[1, 1])
                .padding(Padding::Explicit {
                    begin: vec![0, 0],
                    end: vec![0, 0]
                })
        );
    }

    #[test]
    fn out_of_range_fields_name_value_axis_and_range() {
        let s = Settings {
            stride: vec![2, 0],
            ..Settings::default()
        };
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("settings.stride[1]"));
        assert_eq!(
            e.message,
            "Stride (columns) is 0: it must be a whole number from 1 to 16."
        );
        let p = Settings {
            p: 0.0,
            ..Settings::default()
        };
        assert!(p.validate().unwrap_err().message.contains("p is 0:"));
        let three = Settings {
            kernel: vec![2, 2, 2],
            ..Settings::default()
        };
        assert!(three.validate().unwrap_err().message.contains("3 entries"));
    }
}
