//! Test support for the ONNX conformance suite: a dependency-free reader of the protobuf
//! files the official backend test cases ship (`model.onnx`, `input_N.pb`, `output_N.pb`),
//! and a small graph runner that maps their nodes onto poolkit.

pub mod graph;
pub mod layout;
pub mod model;
pub mod tensor;
pub mod wire;
