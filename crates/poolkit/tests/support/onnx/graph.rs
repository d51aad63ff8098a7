//! Runs a conformance case's graph through poolkit. Pooling nodes map onto poolkit's specs
//! and plans with ONNX's defaults; the trivial shape nodes that exported graphs wrap them in
//! (Unsqueeze, Squeeze, Identity) are applied here, in the harness, never in the engine.

use super::layout::Value;
use super::model::{Graph, Node};
use super::tensor::{OnnxTensor, TensorData};
use poolkit::{
    max_pool_with_indices, max_unpool, pool, Element, IndexConvention, Layout, Padding, PoolPlan,
    PoolSpec, StorageOrder, TensorView, UnpoolPlan, UnpoolSpec, WindowSpec,
};
use std::collections::HashMap;

pub type RunResult<T> = Result<T, String>;

/// The operators that reduce by max (exact results) or only move values (unpooling).
pub const EXACT_OPS: [&str; 3] = ["MaxPool", "GlobalMaxPool", "MaxUnpool"];

/// Feeds `feeds` (in the order of the graph's non-initializer inputs) through `graph`,
/// pooling in `layout`, and returns the graph's outputs. Pooling outputs come back in
/// `layout`; everything else channels-first, as ONNX has it.
pub fn run_graph(graph: &Graph, feeds: Vec<OnnxTensor>, layout: Layout) -> RunResult<Vec<Value>> {
    let fed = graph.fed_inputs();
    if fed.len() != feeds.len() {
        return Err(format!(
            "graph takes {} inputs {fed:?} but the data set holds {}",
            fed.len(),
            feeds.len()
        ));
    }
    let mut env: HashMap<String, Value> = HashMap::new();
    for t in &graph.initializers {
        env.insert(t.name.clone(), Value::channels_first(t.clone()));
    }
    for (name, tensor) in fed.iter().zip(feeds) {
        env.insert(name.to_string(), Value::channels_first(tensor));
    }
    for node in &graph.nodes {
        let outputs = run_node(node, &env, layout)
            .map_err(|e| format!("{} node {:?}: {e}", node.op_type, node.outputs))?;
        for (i, value) in outputs.into_iter().enumerate() {
            if let (Some(name), Some(value)) = (node.output(i), value) {
                env.insert(name.to_string(), value);
            }
        }
    }
    graph
        .outputs
        .iter()
        .map(|name| {
            env.get(name)
                .cloned()
                .ok_or_else(|| format!("no node produces graph output {name:?}"))
        })
        .collect()
}

/// Runs one node; entry `i` of the result is output `i`, `None` where not requested.
fn run_node(
    node: &Node,
    env: &HashMap<String, Value>,
    layout: Layout,
) -> RunResult<Vec<Option<Value>>> {
    let input = |i: usize| -> RunResult<&Value> {
        let name = node
            .input(i)
            .ok_or_else(|| format!("input {i} is missing"))?;
        env.get(name)
            .ok_or_else(|| format!("input {name:?} is not computed yet"))
    };
    match node.op_type.as_str() {
        "MaxPool" | "AveragePool" | "LpPool" | "GlobalMaxPool" | "GlobalAveragePool"
        | "GlobalLpPool" => run_pool(node, &input(0)?.to_layout(layout), layout),
        "MaxUnpool" => {
            let output_shape = match node.input(2) {
                Some(_) => Some(input(2)?),
                None => None,
            };
            let x = input(0)?.to_layout(layout);
            let indices = input(1)?.to_layout(layout);
            Ok(vec![Some(run_unpool(
                node,
                &x,
                &indices,
                output_shape,
                layout,
            )?)])
        }
        "Unsqueeze" | "Squeeze" => {
            let axes = match node.input(1) {
                Some(_) => Some(int64s(input(1)?)?.to_vec()),
                None => node.ints("axes").map_err(|e| e.0)?,
            };
            let x = input(0)?.to_layout(Layout::ChannelsFirst);
            let dims = if node.op_type == "Unsqueeze" {
                unsqueeze(&x.dims, &axes.ok_or("Unsqueeze needs axes")?)?
            } else {
                squeeze(&x.dims, axes.as_deref())?
            };
            Ok(vec![Some(Value { dims, ..x })])
        }
        "Identity" => Ok(vec![Some(input(0)?.clone())]),
        other => Err(format!(
            "operator {other} is not one the pooling conformance harness runs"
        )),
    }
}

fn int64s(value: &Value) -> RunResult<&[i64]> {
    match &value.data {
        TensorData::I64(v) => Ok(v),
        other => Err(format!(
            "expected an int64 tensor, got {}",
            other.type_name()
        )),
    }
}

/// A non-negative list attribute, or `None` when absent.
fn sizes(node: &Node, name: &str) -> RunResult<Option<Vec<usize>>> {
    let Some(values) = node.ints(name).map_err(|e| e.0)? else {
        return Ok(None);
    };
    values
        .iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| format!("{name} {values:?}: entries must be >= 0"))
        })
        .collect::<RunResult<Vec<usize>>>()
        .map(Some)
}

fn int_flag(node: &Node, name: &str) -> RunResult<bool> {
    Ok(node.int(name, 0).map_err(|e| e.0)? != 0)
}

/// The window of a MaxPool / AveragePool / LpPool node, with ONNX's defaults: strides 1
/// (not the kernel, unlike PyTorch), dilations 1, pads 0, `auto_pad` NOTSET.
fn window(node: &Node, rank: usize) -> RunResult<WindowSpec> {
    let kernel = sizes(node, "kernel_shape")?.ok_or("kernel_shape is required")?;
    let strides = sizes(node, "strides")?.unwrap_or_else(|| vec![1; rank]);
    let dilations = sizes(node, "dilations")?.unwrap_or_else(|| vec![1; rank]);
    let auto_pad = node.string("auto_pad").map_err(|e| e.0)?;
    let padding = match Padding::parse_auto_pad(auto_pad.as_deref().unwrap_or("NOTSET"))
        .map_err(|e| e.to_string())?
    {
        Some(auto) => auto,
        None => {
            let pads = sizes(node, "pads")?.unwrap_or_else(|| vec![0; 2 * rank]);
            Padding::onnx(&pads).map_err(|e| e.to_string())?
        }
    };
    Ok(WindowSpec::new(&kernel)
        .strides(&strides)
        .dilations(&dilations)
        .padding(padding)
        .ceil_mode(int_flag(node, "ceil_mode")?))
}

fn pool_spec(node: &Node, rank: usize) -> RunResult<PoolSpec> {
    // LpPool's p is an int attribute in ONNX, default 2.
    let p = || node.int("p", 2).map(|p| p as f64).map_err(|e| e.0);
    Ok(match node.op_type.as_str() {
        "MaxPool" => PoolSpec::max(window(node, rank)?),
        "AveragePool" => PoolSpec::avg(window(node, rank)?)
            .count_include_pad(int_flag(node, "count_include_pad")?),
        "LpPool" => PoolSpec::lp(window(node, rank)?, p()?),
        "GlobalMaxPool" => PoolSpec::global_max(),
        "GlobalAveragePool" => PoolSpec::global_avg(),
        "GlobalLpPool" => PoolSpec::global_lp(p()?),
        other => return Err(format!("{other} is not a pooling operator")),
    })
}

/// Runs `$body` with `$v` bound to the element vector and `$wrap` to its variant's
/// constructor, for every type poolkit pools; int64 is refused.
macro_rules! per_element_type {
    ($data:expr, |$v:ident, $wrap:ident| $body:expr) => {
        match $data {
            TensorData::F32($v) => {
                let $wrap = TensorData::F32;
                $body
            }
            TensorData::F64($v) => {
                let $wrap = TensorData::F64;
                $body
            }
            TensorData::F16($v) => {
                let $wrap = TensorData::F16;
                $body
            }
            TensorData::U8($v) => {
                let $wrap = TensorData::U8;
                $body
            }
            TensorData::I8($v) => {
                let $wrap = TensorData::I8;
                $body
            }
            TensorData::I64(_) => {
                return Err(
                    "int64 tensors are not poolable: poolkit pools float32, float64, \
                            float16, uint8 and int8"
                        .to_string(),
                )
            }
        }
    };
}

fn run_pool(node: &Node, x: &Value, layout: Layout) -> RunResult<Vec<Option<Value>>> {
    let rank = x
        .dims
        .len()
        .checked_sub(2)
        .ok_or("input has no spatial axes")?;
    let spec = pool_spec(node, rank)?;
    let plan = PoolPlan::new(&spec, &x.dims, layout).map_err(|e| e.to_string())?;
    let out_dims = plan.output_shape().to_vec();
    let value = |data| Value {
        dims: out_dims.clone(),
        data,
        layout,
    };
    if node.op_type == "MaxPool" && node.output(1).is_some() {
        let order = match node.int("storage_order", 0).map_err(|e| e.0)? {
            0 => StorageOrder::RowMajor,
            1 => StorageOrder::ColumnMajor,
            other => return Err(format!("storage_order {other}: must be 0 or 1")),
        };
        let convention = IndexConvention::Onnx(order);
        let (values, indices) = per_element_type!(&x.data, |v, wrap| {
            let (values, indices) = max_with_indices(&plan, v, &x.dims, convention)?;
            (wrap(values), indices)
        });
        return Ok(vec![
            Some(value(values)),
            Some(value(TensorData::I64(indices))),
        ]);
    }
    let pooled = per_element_type!(&x.data, |v, wrap| wrap(pool_elements(&plan, v, &x.dims)?));
    Ok(vec![Some(value(pooled))])
}

fn pool_elements<T: Element>(plan: &PoolPlan, data: &[T], dims: &[usize]) -> RunResult<Vec<T>> {
    let view = TensorView::new(data, dims).map_err(|e| e.to_string())?;
    Ok(pool(plan, &view).map_err(|e| e.to_string())?.into_vec())
}

fn max_with_indices<T: Element>(
    plan: &PoolPlan,
    data: &[T],
    dims: &[usize],
    convention: IndexConvention,
) -> RunResult<(Vec<T>, Vec<i64>)> {
    let view = TensorView::new(data, dims).map_err(|e| e.to_string())?;
    let (values, indices) =
        max_pool_with_indices(plan, &view, convention).map_err(|e| e.to_string())?;
    Ok((values.into_vec(), indices.into_vec()))
}

/// ONNX MaxUnpool: strides default to 1, pads to 0; `output_shape` is a full NCHW shape.
/// Indices come from an ONNX MaxPool, flat over the whole tensor in row-major order.
fn run_unpool(
    node: &Node,
    x: &Value,
    indices: &Value,
    output_shape: Option<&Value>,
    layout: Layout,
) -> RunResult<Value> {
    let rank = x
        .dims
        .len()
        .checked_sub(2)
        .ok_or("input has no spatial axes")?;
    let kernel = sizes(node, "kernel_shape")?.ok_or("kernel_shape is required")?;
    let strides = sizes(node, "strides")?.unwrap_or_else(|| vec![1; rank]);
    let pads = sizes(node, "pads")?.unwrap_or_else(|| vec![0; 2 * rank]);
    let mut spec = UnpoolSpec::new(&kernel)
        .strides(&strides)
        .padding(Padding::onnx(&pads).map_err(|e| e.to_string())?);
    if let Some(shape) = output_shape {
        let shape = int64s(shape)?;
        let (batch, channels, _) = layout.split_shape(&x.dims);
        if shape.len() != rank + 2 || shape[0] != batch as i64 || shape[1] != channels as i64 {
            return Err(format!(
                "output_shape {shape:?} must be [N={batch}, C={channels}, one extent per spatial axis]"
            ));
        }
        let spatial = shape[2..]
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("output_shape {shape:?} is negative")))
            .collect::<RunResult<Vec<usize>>>()?;
        spec = spec.output_size(&spatial);
    }
    let plan = UnpoolPlan::new(&spec, &x.dims, layout).map_err(|e| e.to_string())?;
    let index_view = TensorView::new(int64s(indices)?, &indices.dims).map_err(|e| e.to_string())?;
    let convention = IndexConvention::Onnx(StorageOrder::RowMajor);
    let data = per_element_type!(&x.data, |v, wrap| {
        let view = TensorView::new(&v[..], &x.dims).map_err(|e| e.to_string())?;
        let out = max_unpool(&plan, &view, &index_view, convention).map_err(|e| e.to_string())?;
        wrap(out.into_vec())
    });
    Ok(Value {
        dims: plan.output_shape().to_vec(),
        data,
        layout,
    })
}

fn normalize_axes(axes: &[i64], rank: usize) -> RunResult<Vec<usize>> {
    let mut out: Vec<usize> = axes
        .iter()
        .map(|&a| {
            let a = if a < 0 { a + rank as i64 } else { a };
            usize::try_from(a)
                .ok()
                .filter(|&a| a < rank)
                .ok_or_else(|| format!("axes {axes:?}: each axis must lie in [-{rank}, {rank})"))
        })
        .collect::<RunResult<_>>()?;
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("axes {axes:?} name an axis twice"));
    }
    Ok(out)
}

pub fn unsqueeze(dims: &[usize], axes: &[i64]) -> RunResult<Vec<usize>> {
    let rank = dims.len() + axes.len();
    let axes = normalize_axes(axes, rank)?;
    let mut rest = dims.iter();
    Ok((0..rank)
        .map(|i| {
            if axes.contains(&i) {
                1
            } else {
                *rest.next().expect("rank counts every kept axis")
            }
        })
        .collect())
}

pub fn squeeze(dims: &[usize], axes: Option<&[i64]>) -> RunResult<Vec<usize>> {
    let axes = match axes {
        Some(axes) => normalize_axes(axes, dims.len())?,
        None => (0..dims.len()).filter(|&i| dims[i] == 1).collect(),
    };
    if let Some(&a) = axes.iter().find(|&&a| dims[a] != 1) {
        return Err(format!(
            "cannot squeeze axis {a} of extent {} in {dims:?}",
            dims[a]
        ));
    }
    Ok(dims
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsqueeze_and_squeeze_follow_onnx_axes() {
        assert_eq!(unsqueeze(&[1, 3, 5], &[2]).unwrap(), vec![1, 3, 1, 5]);
        assert_eq!(unsqueeze(&[3], &[0, -1]).unwrap(), vec![1, 3, 1]);
        assert!(unsqueeze(&[3], &[5]).is_err());
        assert_eq!(squeeze(&[1, 3, 1, 5], Some(&[2])).unwrap(), vec![1, 3, 5]);
        assert_eq!(squeeze(&[1, 3, 1, 5], None).unwrap(), vec![3, 5]);
        assert!(squeeze(&[1, 3, 1, 5], Some(&[1])).is_err());
        assert!(squeeze(&[1, 1], Some(&[0, -2])).is_err());
    }
}
