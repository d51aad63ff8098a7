//! ONNX `ModelProto` → `GraphProto` → `NodeProto`: the parts a conformance case needs —
//! each node's operator, wiring and attributes, the graph's inputs, outputs and initializers.

use super::tensor::{decode_tensor, OnnxTensor};
use super::wire::{decode_error, fields, DecodeError, DecodeResult};

/// An attribute's value. Kinds the pooling cases never use are kept as `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Int(i64),
    Float(f32),
    Ints(Vec<i64>),
    Floats(Vec<f32>),
    String(String),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub op_type: String,
    /// Input names; an empty name is an omitted optional input.
    pub inputs: Vec<String>,
    /// Output names; an empty name is an omitted optional output.
    pub outputs: Vec<String>,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// In topological order, as the ONNX spec requires.
    pub nodes: Vec<Node>,
    /// Names of the graph inputs, initializers included (older IR versions list them).
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub initializers: Vec<OnnxTensor>,
}

impl Graph {
    /// The inputs a caller must feed: graph inputs that no initializer provides.
    pub fn fed_inputs(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .filter(|name| !self.initializers.iter().any(|t| &t.name == *name))
            .map(String::as_str)
            .collect()
    }
}

impl Node {
    pub fn attribute(&self, name: &str) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }

    /// An `INT` attribute, or `default` when absent.
    pub fn int(&self, name: &str, default: i64) -> DecodeResult<i64> {
        match self.attribute(name) {
            None => Ok(default),
            Some(AttrValue::Int(v)) => Ok(*v),
            Some(other) => decode_error(format!(
                "{} attribute {name} is {other:?}, expected an int",
                self.op_type
            )),
        }
    }

    /// An `INTS` attribute, if present.
    pub fn ints(&self, name: &str) -> DecodeResult<Option<Vec<i64>>> {
        match self.attribute(name) {
            None => Ok(None),
            Some(AttrValue::Ints(v)) => Ok(Some(v.clone())),
            Some(other) => decode_error(format!(
                "{} attribute {name} is {other:?}, expected a list of ints",
                self.op_type
            )),
        }
    }

    /// A `STRING` attribute, if present.
    pub fn string(&self, name: &str) -> DecodeResult<Option<String>> {
        match self.attribute(name) {
            None => Ok(None),
            Some(AttrValue::String(v)) => Ok(Some(v.clone())),
            Some(other) => decode_error(format!(
                "{} attribute {name} is {other:?}, expected a string",
                self.op_type
            )),
        }
    }

    /// Input `i` if present and not omitted.
    pub fn input(&self, i: usize) -> Option<&str> {
        self.inputs
            .get(i)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }

    /// Output `i` if present and not omitted.
    pub fn output(&self, i: usize) -> Option<&str> {
        self.outputs
            .get(i)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }
}

/// Decodes a serialized `ModelProto` into its graph.
pub fn decode_model(bytes: &[u8]) -> DecodeResult<Graph> {
    let mut graph = None;
    for field in fields(bytes)? {
        if field.number == 7 {
            graph = Some(decode_graph(field.bytes()?)?);
        }
    }
    graph.ok_or_else(|| DecodeError("model has no graph (field 7)".into()))
}

fn decode_graph(bytes: &[u8]) -> DecodeResult<Graph> {
    let mut graph = Graph {
        nodes: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        initializers: Vec::new(),
    };
    for field in fields(bytes)? {
        match field.number {
            1 => graph.nodes.push(decode_node(field.bytes()?)?),
            5 => graph.initializers.push(decode_tensor(field.bytes()?)?),
            11 => graph.inputs.push(value_info_name(field.bytes()?)?),
            12 => graph.outputs.push(value_info_name(field.bytes()?)?),
            _ => {}
        }
    }
    Ok(graph)
}

fn value_info_name(bytes: &[u8]) -> DecodeResult<String> {
    for field in fields(bytes)? {
        if field.number == 1 {
            return field.string();
        }
    }
    decode_error("ValueInfoProto has no name")
}

fn decode_node(bytes: &[u8]) -> DecodeResult<Node> {
    let mut node = Node {
        op_type: String::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        attributes: Vec::new(),
    };
    for field in fields(bytes)? {
        match field.number {
            1 => node.inputs.push(field.string()?),
            2 => node.outputs.push(field.string()?),
            4 => node.op_type = field.string()?,
            5 => node.attributes.push(decode_attribute(field.bytes()?)?),
            _ => {}
        }
    }
    if node.op_type.is_empty() {
        return decode_error(format!(
            "node with outputs {:?} has no op_type",
            node.outputs
        ));
    }
    Ok(node)
}

// AttributeProto.AttributeType values (onnx.proto).
const TYPE_FLOAT: u64 = 1;
const TYPE_INT: u64 = 2;
const TYPE_STRING: u64 = 3;
const TYPE_FLOATS: u64 = 6;
const TYPE_INTS: u64 = 7;

fn decode_attribute(bytes: &[u8]) -> DecodeResult<Attribute> {
    let mut name = String::new();
    let mut declared_type = None;
    let (mut f, mut i, mut s) = (None, None, None);
    let (mut floats, mut ints) = (Vec::new(), Vec::new());
    for field in fields(bytes)? {
        match field.number {
            1 => name = field.string()?,
            20 => declared_type = Some(field.varint()?),
            2 => f = Some(field.float()?),
            3 => i = Some(field.int64()?),
            4 => s = Some(field.string()?),
            7 => field.push_floats(&mut floats)?,
            8 => field.push_varints(&mut ints)?,
            _ => {}
        }
    }
    let ints: Vec<i64> = ints.into_iter().map(|v| v as i64).collect();
    // Writers before IR version 2 leave `type` out; then the field that is set says it.
    let value = match declared_type {
        Some(TYPE_FLOAT) => AttrValue::Float(f.unwrap_or(0.0)),
        Some(TYPE_INT) => AttrValue::Int(i.unwrap_or(0)),
        Some(TYPE_STRING) => AttrValue::String(s.unwrap_or_default()),
        Some(TYPE_FLOATS) => AttrValue::Floats(floats),
        Some(TYPE_INTS) => AttrValue::Ints(ints),
        Some(_) => AttrValue::Other,
        None if !ints.is_empty() => AttrValue::Ints(ints),
        None if !floats.is_empty() => AttrValue::Floats(floats),
        None => match (i, f, s) {
            (Some(v), _, _) => AttrValue::Int(v),
            (_, Some(v), _) => AttrValue::Float(v),
            (_, _, Some(v)) => AttrValue::String(v),
            _ => AttrValue::Other,
        },
    };
    if name.is_empty() {
        return decode_error(format!("attribute {value:?} has no name"));
    }
    Ok(Attribute { name, value })
}

#[cfg(test)]
mod tests {
    use super::super::wire::encode::*;
    use super::*;

    fn attribute(build: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut a = Vec::new();
        build(&mut a);
        a
    }

    fn named(name: &str, attr_type: Option<u64>, out: &mut Vec<u8>) {
        bytes_field(1, name.as_bytes(), out);
        if let Some(t) = attr_type {
            varint_field(20, t, out);
        }
    }

    /// A model holding one MaxPool node with every attribute kind, inside a graph with an
    /// initializer, two inputs and two outputs.
    fn model_bytes() -> Vec<u8> {
        let mut node = Vec::new();
        bytes_field(1, b"x", &mut node);
        bytes_field(2, b"y", &mut node);
        bytes_field(2, b"", &mut node);
        bytes_field(3, b"pool0", &mut node);
        bytes_field(4, b"MaxPool", &mut node);
        let kernel = attribute(|a| {
            named("kernel_shape", Some(TYPE_INTS), a);
            packed_varints(8, &[3, 3], a);
        });
        let pads = attribute(|a| {
            // Unpacked, as old writers emit repeated ints.
            named("pads", Some(TYPE_INTS), a);
            for v in [1u64, 0, 1, 0] {
                varint_field(8, v, a);
            }
        });
        let ceil = attribute(|a| {
            named("ceil_mode", Some(TYPE_INT), a);
            varint_field(3, 1, a);
        });
        let auto_pad = attribute(|a| {
            named("auto_pad", Some(TYPE_STRING), a);
            bytes_field(4, b"SAME_UPPER", a);
        });
        let scale = attribute(|a| {
            named("spatial_scale", Some(TYPE_FLOAT), a);
            fixed32_field(2, 0.5f32.to_bits(), a);
        });
        let floats = attribute(|a| {
            named("scales", Some(TYPE_FLOATS), a);
            let run: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
            bytes_field(7, &run, a);
        });
        let untyped = attribute(|a| {
            named("strides", None, a);
            packed_varints(8, &[2, 1], a);
        });
        let untyped_int = attribute(|a| {
            named("storage_order", None, a);
            varint_field(3, 1, a);
        });
        for a in [
            kernel,
            pads,
            ceil,
            auto_pad,
            scale,
            floats,
            untyped,
            untyped_int,
        ] {
            bytes_field(5, &a, &mut node);
        }

        let mut init = Vec::new();
        packed_varints(1, &[1], &mut init);
        varint_field(2, 7, &mut init);
        packed_varints(7, &[4], &mut init);
        bytes_field(8, b"shape", &mut init);

        let value_info = |name: &[u8]| {
            let mut v = Vec::new();
            bytes_field(1, name, &mut v);
            bytes_field(2, b"\x0a\x00", &mut v); // a type we skip
            v
        };
        let mut graph = Vec::new();
        bytes_field(1, &node, &mut graph);
        bytes_field(2, b"g", &mut graph);
        bytes_field(5, &init, &mut graph);
        bytes_field(11, &value_info(b"x"), &mut graph);
        bytes_field(11, &value_info(b"shape"), &mut graph);
        bytes_field(12, &value_info(b"y"), &mut graph);

        let mut model = Vec::new();
        varint_field(1, 8, &mut model);
        bytes_field(2, b"test", &mut model);
        bytes_field(7, &graph, &mut model);
        model
    }

    #[test]
    fn reads_nodes_attributes_and_graph_io() {
        let graph = decode_model(&model_bytes()).unwrap();
        assert_eq!(graph.inputs, vec!["x", "shape"]);
        assert_eq!(graph.fed_inputs(), vec!["x"]);
        assert_eq!(graph.outputs, vec!["y"]);
        assert_eq!(graph.initializers[0].dims, vec![1]);
        let node = &graph.nodes[0];
        assert_eq!(node.op_type, "MaxPool");
        assert_eq!(node.input(0), Some("x"));
        assert_eq!((node.output(0), node.output(1)), (Some("y"), None));
        assert_eq!(node.ints("kernel_shape").unwrap(), Some(vec![3, 3]));
        assert_eq!(node.ints("pads").unwrap(), Some(vec![1, 0, 1, 0]));
        assert_eq!(node.int("ceil_mode", 0).unwrap(), 1);
        assert_eq!(node.int("count_include_pad", 0).unwrap(), 0);
        assert_eq!(
            node.string("auto_pad").unwrap().as_deref(),
            Some("SAME_UPPER")
        );
        assert_eq!(
            node.attribute("spatial_scale"),
            Some(&AttrValue::Float(0.5))
        );
        assert_eq!(
            node.attribute("scales"),
            Some(&AttrValue::Floats(vec![1.0, 2.0]))
        );
        assert_eq!(node.ints("strides").unwrap(), Some(vec![2, 1]));
        assert_eq!(node.int("storage_order", 0).unwrap(), 1);
        assert!(node.int("kernel_shape", 0).is_err());
    }

    #[test]
    fn a_model_without_graph_or_op_type_is_refused() {
        let mut model = Vec::new();
        varint_field(1, 8, &mut model);
        assert!(decode_model(&model).unwrap_err().0.contains("no graph"));

        let mut node = Vec::new();
        bytes_field(2, b"y", &mut node);
        let mut graph = Vec::new();
        bytes_field(1, &node, &mut graph);
        let mut model = Vec::new();
        bytes_field(7, &graph, &mut model);
        assert!(decode_model(&model).unwrap_err().0.contains("no op_type"));
    }
}
