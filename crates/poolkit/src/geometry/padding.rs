//! How a window's padding is given: explicit begin/end amounts, or ONNX `auto_pad`.

use crate::error::{bail, Result};

/// Padding of the spatial axes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Padding {
    /// Explicit amounts per axis. Empty vectors mean zero padding on every axis.
    Explicit { begin: Vec<usize>, end: Vec<usize> },
    /// ONNX `SAME_UPPER`: output `ceil(in / stride)`, an odd total pad puts the extra pixel at the end.
    SameUpper,
    /// ONNX `SAME_LOWER`: as `SameUpper`, with the extra pixel at the start.
    SameLower,
    /// ONNX `VALID`: no padding.
    Valid,
}

impl Default for Padding {
    fn default() -> Self {
        Padding::zero()
    }
}

impl Padding {
    /// No padding on any axis.
    pub fn zero() -> Self {
        Padding::Explicit {
            begin: Vec::new(),
            end: Vec::new(),
        }
    }

    /// The same amount before and after on each axis (PyTorch's `padding`).
    pub fn symmetric(pads: &[usize]) -> Self {
        Padding::Explicit {
            begin: pads.to_vec(),
            end: pads.to_vec(),
        }
    }

    /// ONNX order: `[b1, b2, ..., e1, e2, ...]`; its length must be even.
    pub fn onnx(pads: &[usize]) -> Result<Self> {
        if !pads.len().is_multiple_of(2) {
            bail!(
                InvalidParameter,
                "pads {:?} have {} entries: ONNX pads list every axis's begin then every axis's end, \
                 so their count must be even",
                pads,
                pads.len()
            );
        }
        let half = pads.len() / 2;
        Ok(Padding::Explicit {
            begin: pads[..half].to_vec(),
            end: pads[half..].to_vec(),
        })
    }

    /// Parses an ONNX `auto_pad` name (`NOTSET` gives `None`); case and `-`/`_` are ignored.
    pub fn parse_auto_pad(name: &str) -> Result<Option<Self>> {
        let norm = name.to_ascii_uppercase().replace('-', "_");
        Ok(Some(match norm.as_str() {
            "SAME_UPPER" => Padding::SameUpper,
            "SAME_LOWER" => Padding::SameLower,
            "VALID" => Padding::Valid,
            "NOTSET" | "" => return Ok(None),
            _ => bail!(
                InvalidParameter,
                "auto_pad {name:?} is not one of SAME_UPPER, SAME_LOWER, VALID, NOTSET"
            ),
        }))
    }
}
