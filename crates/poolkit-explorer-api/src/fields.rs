//! The settings fields in the page's words: each field's label, its allowed range, and the
//! sentence that refuses a value, shared by the checks on parsed settings and by the
//! refusals of bodies that do not parse, so a learner reads the same sentence either way.

/// A per-axis setting: its key, its label on the page, and its inclusive range.
pub struct AxisField {
    pub key: &'static str,
    pub label: &'static str,
    pub range: (usize, usize),
}

/// The per-axis settings, in the form's order.
pub const AXIS_FIELDS: [AxisField; 5] = [
    axis("kernel", "Kernel size", (1, 16)),
    axis("stride", "Stride", (1, 16)),
    axis("dilation", "Dilation", (1, 8)),
    axis("pad_begin", "Padding before", (0, 8)),
    axis("pad_end", "Padding after", (0, 8)),
];

const fn axis(key: &'static str, label: &'static str, range: (usize, usize)) -> AxisField {
    AxisField { key, label, range }
}

/// Lp orders the page accepts: small p makes `Σ|x|^p` explode past f64, huge p is max.
pub const P_RANGE: (f64, f64) = (0.1, 100.0);

/// The axes' names, `[rows, columns]`.
pub const AXES: [&str; 2] = ["rows", "columns"];

/// The field called `key`.
pub fn axis_field(key: &str) -> Option<&'static AxisField> {
    AXIS_FIELDS.iter().find(|f| f.key == key)
}

/// "Stride (columns) is 0: type a whole number from 1 to 16." (`None`: the box is empty).
pub fn axis_refusal(field: &AxisField, axis: usize, given: Option<&str>) -> String {
    let (lo, hi) = field.range;
    let axis = AXES.get(axis).copied().unwrap_or("this axis");
    match given {
        None => format!(
            "{} ({axis}) is empty: type a whole number from {lo} to {hi}.",
            field.label
        ),
        Some(v) => format!(
            "{} ({axis}) is {v}: it must be a whole number from {lo} to {hi}.",
            field.label
        ),
    }
}

/// "p is empty: type a number from 0.1 to 100." (`None`: the box is empty).
pub fn p_refusal(given: Option<&str>) -> String {
    let (lo, hi) = P_RANGE;
    match given {
        None => format!("p is empty: type a number from {lo} to {hi}."),
        Some(v) => format!("p is {v}: it must be a number from {lo} to {hi}."),
    }
}

/// The page's sentence for a settings value at `path` (`settings.stride[0]`, `settings.p`)
/// that did not parse; `None` for paths outside the settings form.
pub fn refusal(path: &str, given: Option<String>) -> Option<String> {
    let rest = path.strip_prefix("settings.")?;
    if rest == "p" {
        return Some(p_refusal(given.as_deref()));
    }
    let (key, axis) = match rest.split_once('[') {
        Some((key, index)) => (key, index.trim_end_matches(']').parse().ok()?),
        None => (rest, usize::MAX),
    };
    if let Some(field) = axis_field(key) {
        if axis == usize::MAX {
            return Some(format!(
                "{} needs two whole numbers, one for rows and one for columns.",
                field.label
            ));
        }
        return Some(axis_refusal(field, axis, given.as_deref()));
    }
    match key {
        "operator" => Some(format!(
            "Operator {}: choose max, avg, lp, global_max or global_avg.",
            given.unwrap_or_else(|| "is empty".into())
        )),
        "padding" => Some(format!(
            "Padding mode {}: choose explicit, same_upper or same_lower.",
            given.unwrap_or_else(|| "is empty".into())
        )),
        _ => None,
    }
}
