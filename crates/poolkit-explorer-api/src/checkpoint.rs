//! Shapes and the seed's checkpoint: the output shape of any feature-map shape under the
//! current settings, with the formula and its numbers, and the checkpoint question
//! ("[14, 14, 32] through 2×2/s2 max pooling?") checked against the library.

use super::error::ApiError;
use super::settings::Settings;
use poolkit::teach::explain_output_shape;
use poolkit::{output_shape_in_format, PoolSpec, WindowSpec};
use serde::Deserialize;
use serde_json::{json, Value};

/// The seed's checkpoint question.
const CHECKPOINT_SHAPE: [usize; 3] = [14, 14, 32];
const CHECKPOINT_FORMAT: &str = "hwc";
/// Largest extent accepted on one axis of a shape question.
const MAX_EXTENT: usize = 1_000_000;

/// `{"shape": [14, 14, 32], "format": "hwc", "settings": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeRequest {
    pub shape: Vec<usize>,
    #[serde(default = "default_format")]
    pub format: String,
    #[serde(default)]
    pub settings: Settings,
}

fn default_format() -> String {
    CHECKPOINT_FORMAT.to_string()
}

/// `{"shape": "224, 224, 3", "format": "hwc", "layers": [{settings}, ...]}`: a chain of
/// pooling layers, each taking the previous one's output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainRequest {
    pub shape: String,
    #[serde(default = "default_format")]
    pub format: String,
    pub layers: Vec<Settings>,
}

/// Longest chain the calculator takes.
pub const MAX_LAYERS: usize = 16;

/// `{"answer": "7, 7, 32"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRequest {
    pub answer: String,
}

/// `POST /api/shape`: output shape and per-axis formulas.
pub fn shape(request: ShapeRequest) -> Result<Value, ApiError> {
    request.settings.validate()?;
    if let Some(&big) = request.shape.iter().find(|&&d| d > MAX_EXTENT) {
        return Err(ApiError::field(
            "shape",
            format!("shape extent {big}: extents here are at most {MAX_EXTENT}"),
        ));
    }
    let spec = request.settings.operator_spec();
    explained(&spec, &request.shape, &request.format)
}

/// `POST /api/chain`: each layer's output shape and formulas, the first layer reading the
/// given shape and each later one the shape before it.
pub fn chain(request: ChainRequest) -> Result<Value, ApiError> {
    let mut shape = parse_shape_field(&request.shape, "shape")?;
    if let Some(&big) = shape.iter().find(|&&d| d > MAX_EXTENT) {
        return Err(ApiError::field(
            "shape",
            format!("shape extent {big}: extents here are at most {MAX_EXTENT}"),
        ));
    }
    if request.layers.is_empty() || request.layers.len() > MAX_LAYERS {
        return Err(ApiError::field(
            "layers",
            format!(
                "{} layers: the calculator takes 1 to {MAX_LAYERS}",
                request.layers.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(request.layers.len());
    for (i, settings) in request.layers.iter().enumerate() {
        let in_layer = |e: ApiError| ApiError {
            field: Some(format!(
                "layers[{i}]{}",
                e.field.map(|f| format!(".{f}")).unwrap_or_default()
            )),
            message: format!("Layer {}: {}", i + 1, e.message),
            ..e
        };
        settings.validate().map_err(in_layer)?;
        let explained =
            explained(&settings.operator_spec(), &shape, &request.format).map_err(in_layer)?;
        shape =
            serde_json::from_value(explained["output"].clone()).expect("shapes are lists of sizes");
        out.push(explained);
    }
    Ok(
        json!({ "input": parse_shape_field(&request.shape, "shape")?, "format": request.format, "layers": out, "output": shape }),
    )
}

/// `POST /api/checkpoint`: is the answer the library's output shape?
pub fn checkpoint(request: CheckpointRequest) -> Result<Value, ApiError> {
    let answer = parse_shape(&request.answer)?;
    let spec = PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2]));
    let mut v = explained(&spec, &CHECKPOINT_SHAPE, CHECKPOINT_FORMAT)?;
    let expected = output_shape_in_format(&spec, &CHECKPOINT_SHAPE, CHECKPOINT_FORMAT)?;
    v["answer"] = json!(answer);
    v["correct"] = json!(answer == expected);
    v["hints"] = json!(hints(&answer, &expected));
    v["question"] = json!({ "shape": CHECKPOINT_SHAPE, "format": CHECKPOINT_FORMAT, "kernel": [2, 2], "stride": [2, 2] });
    Ok(v)
}

/// What a wrong answer missed, each in a sentence: the count of numbers, the halving of height
/// and width, the channels passing through.
fn hints(answer: &[usize], expected: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    if answer.len() != expected.len() {
        out.push(format!(
            "You gave {} number{}; the feature map has {}: height, width and channels.",
            answer.len(),
            if answer.len() == 1 { "" } else { "s" },
            expected.len()
        ));
        return out;
    }
    let [h, w, c] = CHECKPOINT_SHAPE;
    if answer[..2] != expected[..2] {
        out.push(format!(
            "A 2×2 window with stride 2 halves height and width: {h} → {}, {w} → {}.",
            expected[0], expected[1]
        ));
    }
    if answer[2] != expected[2] {
        out.push(format!(
            "Pooling works on each channel separately and has no weights to mix them: the {c} channels pass through as {}.",
            expected[2]
        ));
    }
    out
}

fn explained(spec: &PoolSpec, shape: &[usize], format: &str) -> Result<Value, ApiError> {
    let output = output_shape_in_format(spec, shape, format)?;
    let axes: Vec<Value> = explain_output_shape(spec, shape, format)?
        .into_iter()
        .map(|a| json!({ "axis": a.axis.to_string(), "input": a.input, "output": a.output, "formula": a.formula }))
        .collect();
    Ok(json!({ "input": shape, "format": format, "output": output, "axes": axes }))
}

/// Reads "7, 7, 32", "[7,7,32]", "(7, 7, 32)", "7×7×32" or "7 x 7 x 32" as a shape.
pub fn parse_shape(text: &str) -> Result<Vec<usize>, ApiError> {
    parse_shape_field(text, "answer")
}

/// [`parse_shape`], a refusal naming `field`.
fn parse_shape_field(text: &str, field: &str) -> Result<Vec<usize>, ApiError> {
    let refuse = || {
        ApiError::field(
            field,
            format!(
                "{field} {text:?} is not a shape: write whole numbers separated by commas, like [a, b, c]"
            ),
        )
    };
    let inner = text
        .trim()
        .trim_start_matches(['[', '(', '{'])
        .trim_end_matches([']', ')', '}']);
    let parts: Vec<&str> = inner
        .split([',', ';', 'x', 'X', '×', '*', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > 8 {
        return Err(refuse());
    }
    parts
        .iter()
        .map(|p| p.parse::<usize>().map_err(|_| refuse()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checkpoint's answer to `answer`.
    fn ask(answer: &str) -> Result<Value, ApiError> {
        checkpoint(CheckpointRequest {
            answer: answer.into(),
        })
    }

    #[test]
    fn the_seeds_checkpoint_is_7_7_32() {
        let v = ask("[7, 7, 32]").unwrap();
        assert_eq!(v["correct"], json!(true));
        assert_eq!(v["output"], json!([7, 7, 32]));
        assert_eq!(
            v["axes"][0]["formula"],
            json!("floor((14 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 7")
        );
        let wrong = ask("7x7x16").unwrap();
        assert_eq!(wrong["correct"], json!(false));
        assert_eq!(wrong["answer"], json!([7, 7, 16]));
        assert_eq!(
            wrong["hints"],
            json!(["Pooling works on each channel separately and has no weights to mix them: the 32 channels pass through as 32."])
        );
    }

    #[test]
    fn answers_in_any_brackets_are_read_and_hints_name_what_was_missed() {
        for written in ["(7, 7, 32)", "{7;7;32}", "7 * 7 * 32", " [7 7 32] "] {
            let v = ask(written).unwrap();
            assert_eq!(v["correct"], json!(true), "{written}");
            assert_eq!(v["hints"], json!([]));
        }
        let v = ask("14, 14, 32").unwrap();
        assert_eq!(
            v["hints"],
            json!(["A 2×2 window with stride 2 halves height and width: 14 → 7, 14 → 7."])
        );
        let v = ask("7, 7").unwrap();
        assert!(v["hints"][0]
            .as_str()
            .unwrap()
            .starts_with("You gave 2 numbers; the feature map has 3"));
    }

    #[test]
    fn answers_that_are_not_shapes_are_refused() {
        for bad in ["", "seven", "7, 7.5, 32", "-7,7,32"] {
            let e = ask(bad).unwrap_err();
            assert!(e.message.contains("is not a shape"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn shape_follows_the_settings() {
        let v = shape(ShapeRequest {
            shape: vec![1, 3, 224, 224],
            format: "nchw".into(),
            settings: Settings {
                kernel: vec![3, 3],
                pad_begin: vec![1, 1],
                pad_end: vec![1, 1],
                ..Settings::default()
            },
        })
        .unwrap();
        assert_eq!(v["output"], json!([1, 3, 112, 112]));
    }

    #[test]
    fn a_chain_of_layers_feeds_each_output_to_the_next() {
        let vgg_pool = Settings::default();
        let v = chain(ChainRequest {
            shape: "224, 224, 3".into(),
            format: "hwc".into(),
            layers: vec![vgg_pool; 5],
        })
        .unwrap();
        assert_eq!(v["output"], json!([7, 7, 3]));
        assert_eq!(v["layers"][0]["output"], json!([112, 112, 3]));
        assert_eq!(v["layers"][4]["input"], json!([14, 14, 3]));
        let too_far = chain(ChainRequest {
            shape: "4, 4, 3".into(),
            format: "hwc".into(),
            layers: vec![Settings::default(); 3],
        })
        .unwrap_err();
        assert_eq!(too_far.field.as_deref(), Some("layers[2]"));
        assert!(
            too_far.message.starts_with("Layer 3: "),
            "{}",
            too_far.message
        );
        let bad = chain(ChainRequest {
            shape: "4, 4, 3".into(),
            format: "hwc".into(),
            layers: vec![Settings {
                stride: vec![0, 2],
                ..Settings::default()
            }],
        })
        .unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("layers[0].settings.stride[0]"));
        // An empty box names the layer the same way.
        let body = br#"{"shape": "4, 4, 3", "layers": [{}, {"stride": [null, 2]}]}"#;
        let empty = crate::call("chain", body, &[]).unwrap_err();
        assert_eq!(empty.field.as_deref(), Some("layers[1].settings.stride[0]"));
        assert_eq!(
            empty.message,
            "Layer 2: Stride (rows) is empty: type a whole number from 1 to 16."
        );
    }
}
