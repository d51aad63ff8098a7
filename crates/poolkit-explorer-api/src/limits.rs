//! The `limits` endpoint: every range the page's fields take, gathered from the modules that
//! enforce them, so that the form's hints (`min`, `max`, the layer choices) state the same
//! rules the answers check.

use serde_json::{json, Map, Value};

/// `{"axes": {"kernel": [1, 16], ...}, "p": [0.1, 100], "grid_side", "layers", "shift_by",
/// "chain_layers"}`.
pub fn limits() -> Value {
    let axes: Map<String, Value> = crate::fields::AXIS_FIELDS
        .iter()
        .map(|f| (f.key.to_string(), json!([f.range.0, f.range.1])))
        .collect();
    let (p_lo, p_hi) = crate::fields::P_RANGE;
    json!({
        "axes": axes,
        "p": [p_lo, p_hi],
        "grid_side": [crate::grid::MIN_SIDE, crate::grid::MAX_SIDE],
        "layers": [crate::images::LAYERS.0, crate::images::LAYERS.1],
        "shift_by": [1, crate::shift::MAX_SHIFT],
        "chain_layers": [1, crate::checkpoint::MAX_LAYERS],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_rules_the_answers_check() {
        let v = limits();
        assert_eq!(v["axes"]["stride"], json!([1, 16]));
        assert_eq!(v["axes"]["pad_end"], json!([0, 8]));
        assert_eq!(v["grid_side"], json!([2, 16]));
        assert_eq!(v["layers"], json!([1, 4]));
    }
}
