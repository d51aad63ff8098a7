//! numpy arrays seen as poolkit tensors without a copy: an input becomes a strided
//! `TensorView` over the array's own memory, an output a contiguous `&mut [T]`.
//! A binding hands over all of one call's arrays at once ([`pooled`], [`routed`],
//! [`routed_gradient`], [`with_indices`]), so every binding checks them alike and states its unsafe part once.

use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use poolkit::{Element, TensorView};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// numpy's flags for an array whose data is aligned for its type, and one that may be written.
const NPY_ARRAY_ALIGNED: i32 = 0x0100;
const NPY_ARRAY_WRITEABLE: i32 = 0x0400;
const NPY_ARRAY_C_CONTIGUOUS: i32 = 0x0001;

/// The element type of an array, named as numpy (and ml_dtypes) name it: read from the
/// descriptor's kind and size, which costs no Python call (numpy's `dtype.name` does).
pub fn dtype_name(array: &Bound<'_, PyUntypedArray>) -> PyResult<&'static str> {
    let descr = array.dtype();
    if descr.is_native_byteorder() == Some(false) {
        return Err(PyValueError::new_err(format!(
            "the array's dtype {descr} is not in this machine's byte order: convert it with \
             .astype(dtype.newbyteorder('='))"
        )));
    }
    let name = match (descr.kind(), descr.itemsize()) {
        (b'f', 4) => "float32",
        (b'f', 8) => "float64",
        (b'f', 2) => "float16",
        (b'u', 1) => "uint8",
        (b'i', 1) => "int8",
        (b'u', 2) => "uint16",
        (b'i', 8) => "int64",
        (b'V', 2) if descr.getattr("name")?.extract::<String>()? == "bfloat16" => "bfloat16",
        _ => {
            let name: String = descr.getattr("name")?.extract()?;
            return Err(PyTypeError::new_err(format!(
                "an array has dtype {name}: poolkit pools float32, float64, float16, bfloat16, \
                 uint8, int8 and uint16 (indices are int64)"
            )));
        }
    };
    Ok(name)
}

/// Refuses `array` unless its element type is `want` (an output or gradient has its input's
/// type; indices are int64).
fn expect(array: &Bound<'_, PyUntypedArray>, want: &str, what: &str) -> PyResult<()> {
    let got = dtype_name(array)?;
    if got != want {
        return Err(PyTypeError::new_err(format!(
            "{what} has dtype {got} but must be {want}"
        )));
    }
    Ok(())
}

/// Where an array's elements lie: the pointer of element [0, ...], and strides in elements.
struct Raw {
    pub data: *mut u8,
    /// The byte addresses `[start, end)` the array's elements span (empty for no elements).
    bytes: (usize, usize),
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    flags: i32,
}

/// Reads an array's layout, refusing strides that are not whole elements of `size` bytes.
fn raw(array: &Bound<'_, PyUntypedArray>, what: &str, size: usize) -> PyResult<Raw> {
    // SAFETY: `array` is a live numpy array; its object header is read, not written.
    let (data, flags) = unsafe {
        let ptr = array.as_array_ptr();
        ((*ptr).fields.data as *mut u8, (*ptr).fields.flags)
    };
    let itemsize = array.dtype().itemsize();
    if itemsize != size {
        return Err(PyTypeError::new_err(format!(
            "{what} has {itemsize}-byte elements where {size}-byte ones are needed: give it the \
             input's dtype"
        )));
    }
    let mut strides = Vec::with_capacity(array.ndim());
    for &bytes in array.strides() {
        if bytes % size as isize != 0 {
            return Err(PyValueError::new_err(format!(
                "{what} has a stride of {bytes} bytes, not a whole number of {size}-byte \
                 elements: pass a copy (numpy.ascontiguousarray)"
            )));
        }
        strides.push(bytes / size as isize);
    }
    if flags & NPY_ARRAY_ALIGNED == 0 {
        return Err(PyValueError::new_err(format!(
            "{what} is not aligned for its element type: pass a copy (numpy.ascontiguousarray)"
        )));
    }
    let shape = array.shape().to_vec();
    let (lo, hi) = reach(&shape, &strides);
    Ok(Raw {
        data,
        bytes: if shape.contains(&0) {
            (0, 0)
        } else {
            let base = data as isize;
            (
                (base + lo * size as isize) as usize,
                (base + (hi + 1) * size as isize) as usize,
            )
        },
        shape,
        strides,
        flags,
    })
}

/// The lowest and highest element offsets (from element [0, ...]) a view of `shape` and
/// `strides` addresses.
fn reach(shape: &[usize], strides: &[isize]) -> (isize, isize) {
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&d, &s) in shape.iter().zip(strides) {
        if d > 0 {
            let extent = (d as isize - 1) * s;
            if extent < 0 {
                lo += extent;
            } else {
                hi += extent;
            }
        }
    }
    (lo, hi)
}

/// Refuses an output whose memory overlaps any input's: the library reads the inputs while
/// it writes the output.
fn apart(out: &Raw, what: &str, inputs: &[&Raw]) -> PyResult<()> {
    let (a0, a1) = out.bytes;
    for input in inputs {
        let (b0, b1) = input.bytes;
        if a0 < b1 && b0 < a1 {
            return Err(PyValueError::new_err(format!(
                "{what} shares memory with an input: give a separate array"
            )));
        }
    }
    Ok(())
}

impl Raw {
    /// A view of the array's elements as `T`.
    ///
    /// # Safety
    /// The array holds elements of type `T` and outlives `'a`; nothing writes to it meanwhile.
    pub unsafe fn view<'a, T>(&self) -> PyResult<TensorView<'a, T>> {
        let (lo, hi) = reach(&self.shape, &self.strides);
        let empty = self.shape.contains(&0);
        let len = if empty { 0 } else { (hi - lo + 1) as usize };
        // SAFETY: every element the view addresses lies in [lo, hi] elements from `data`,
        // inside the array's buffer; the caller vouches for the type and lifetime.
        let base = unsafe { (self.data as *const T).offset(if empty { 0 } else { lo }) };
        let data = unsafe { std::slice::from_raw_parts(base, len) };
        TensorView::with_strides(data, &self.shape, &self.strides, (-lo) as usize).map_err(err)
    }

    /// The array's elements as one contiguous, writable run of `T`.
    ///
    /// # Safety
    /// The array holds elements of type `T`, outlives `'a`, and nothing else reads or writes
    /// it meanwhile.
    pub unsafe fn slice_mut<'a, T>(&self, what: &str) -> PyResult<&'a mut [T]> {
        if self.flags & NPY_ARRAY_C_CONTIGUOUS == 0 || self.flags & NPY_ARRAY_WRITEABLE == 0 {
            return Err(PyValueError::new_err(format!(
                "{what} must be a writable, C-contiguous array"
            )));
        }
        let len = self.shape.iter().product();
        // SAFETY: a C-contiguous array of `len` elements of `T` starts at `data`.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.data as *mut T, len) })
    }
}

/// An array a binding passes on, and the name its refusals give it.
pub type Named<'b, 'py> = (&'b Bound<'py, PyUntypedArray>, &'static str);

/// What an array of a call holds: the pooled element type, or int64 argmax indices.
#[derive(Clone, Copy)]
enum Holds {
    Values,
    Indices,
}

/// Reads the layouts of one call's arrays, `inputs` of them read and the rest written,
/// checking them in the one order every binding refuses in: each array's dtype (`T`'s, or
/// int64 for indices), then each layout, then each output apart from the inputs and from
/// the outputs after it. The returned layouts are those of arrays that hold what `arrays`
/// says, so they may be seen as `T` or `i64` accordingly.
fn checked<T: Element>(arrays: &[(Named<'_, '_>, Holds)], inputs: usize) -> PyResult<Vec<Raw>> {
    let element = |holds| match holds {
        Holds::Values => (T::DTYPE.numpy_name(), size_of::<T>()),
        Holds::Indices => ("int64", size_of::<i64>()),
    };
    for &((array, what), holds) in arrays {
        expect(array, element(holds).0, what)?;
    }
    let raws = arrays
        .iter()
        .map(|&((array, what), holds)| raw(array, what, element(holds).1))
        .collect::<PyResult<Vec<_>>>()?;
    let (read, written) = raws.split_at(inputs);
    for (k, out) in written.iter().enumerate() {
        let others: Vec<&Raw> = read.iter().chain(&written[k + 1..]).collect();
        apart(out, arrays[inputs + k].0 .1, &others)?;
    }
    Ok(raws)
}

/// The arrays of a call that reads `N` arrays of `T` and writes one: the inputs as views,
/// the output as the run it is written to.
///
/// # Safety
/// The arrays outlive `'a`, and nothing else writes the inputs, or reads or writes the
/// output, meanwhile: the Python layer makes each output for its call, and (as with numpy)
/// no other thread may write an input while a call reads it.
pub unsafe fn pooled<'a, T: Element, const N: usize>(
    inputs: [Named<'_, '_>; N],
    out: Named<'_, '_>,
) -> PyResult<([TensorView<'a, T>; N], &'a mut [T])> {
    let arrays: Vec<_> = inputs
        .iter()
        .chain([&out])
        .map(|&named| (named, Holds::Values))
        .collect();
    let raws = checked::<T>(&arrays, N)?;
    // SAFETY: `checked` found every array to hold `T`, and each output apart from the rest;
    // the caller vouches for the lifetime and that nothing else touches them meanwhile.
    unsafe {
        let views = raws[..N]
            .iter()
            .map(|r| r.view::<T>())
            .collect::<PyResult<Vec<_>>>()?;
        Ok((whole(views), raws[N].slice_mut::<T>(out.1)?))
    }
}

/// The arrays of a call that reads `values` of `T` and their int64 `indices` and writes one
/// array of `T` (unpooling, and a max gradient routed through argmax indices).
///
/// # Safety
/// As for [`pooled`].
pub unsafe fn routed<'a, T: Element>(
    values: Named<'_, '_>,
    indices: &Bound<'_, PyUntypedArray>,
    out: Named<'_, '_>,
) -> PyResult<(TensorView<'a, T>, TensorView<'a, i64>, &'a mut [T])> {
    let arrays = [
        (values, Holds::Values),
        ((indices, "indices"), Holds::Indices),
        (out, Holds::Values),
    ];
    let raws = checked::<T>(&arrays, 2)?;
    // SAFETY: as in `pooled`; `indices` holds int64.
    unsafe {
        Ok((
            raws[0].view::<T>()?,
            raws[1].view::<i64>()?,
            raws[2].slice_mut::<T>(out.1)?,
        ))
    }
}

/// [`routed`] for a gradient: `grad_output` and `indices` read, `grad_input` written.
///
/// # Safety
/// As for [`pooled`].
pub unsafe fn routed_gradient<'a, T: Element>(
    grad_output: &Bound<'_, PyUntypedArray>,
    indices: &Bound<'_, PyUntypedArray>,
    grad_input: &Bound<'_, PyUntypedArray>,
) -> PyResult<(TensorView<'a, T>, TensorView<'a, i64>, &'a mut [T])> {
    // SAFETY: the caller's promise, passed on.
    unsafe {
        routed(
            (grad_output, "grad_output"),
            indices,
            (grad_input, "grad_input"),
        )
    }
}

/// The arrays of max pooling with indices: `x` (of `T`) as a view, `out` (of `T`) and the
/// int64 `indices` as the runs they are written to.
///
/// # Safety
/// As for [`pooled`].
pub unsafe fn with_indices<'a, T: Element>(
    x: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    indices: &Bound<'_, PyUntypedArray>,
) -> PyResult<(TensorView<'a, T>, &'a mut [T], &'a mut [i64])> {
    let arrays = [
        ((x, "input"), Holds::Values),
        ((out, "out"), Holds::Values),
        ((indices, "indices"), Holds::Indices),
    ];
    let raws = checked::<T>(&arrays, 1)?;
    // SAFETY: as in `pooled`; `indices` holds int64.
    unsafe {
        Ok((
            raws[0].view::<T>()?,
            raws[1].slice_mut::<T>("out")?,
            raws[2].slice_mut::<i64>("indices")?,
        ))
    }
}

/// `N` items, collected into a `Vec` from `N`, as an array.
fn whole<T, const N: usize>(items: Vec<T>) -> [T; N] {
    items
        .try_into()
        .unwrap_or_else(|v: Vec<T>| unreachable!("{} items where {N} were made", v.len()))
}

/// A poolkit refusal as the ValueError Python code expects, with the same message.
pub fn err(e: poolkit::Error) -> PyErr {
    PyValueError::new_err(e.message().to_string())
}

/// The refusal of an element type the library does not pool.
pub fn unsupported(name: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} has dtype {name}: poolkit pools float32, float64, float16, bfloat16, uint8, int8 \
         and uint16"
    ))
}
