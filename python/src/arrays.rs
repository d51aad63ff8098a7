//! numpy arrays seen as poolkit tensors without a copy: an input becomes a strided
//! `TensorView` over the array's own memory, an output a contiguous `&mut [T]`.

use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use poolkit::TensorView;
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
pub fn expect(array: &Bound<'_, PyUntypedArray>, want: &str, what: &str) -> PyResult<()> {
    let got = dtype_name(array)?;
    if got != want {
        return Err(PyTypeError::new_err(format!(
            "{what} has dtype {got} but must be {want}"
        )));
    }
    Ok(())
}

/// Where an array's elements lie: the pointer of element [0, ...], and strides in elements.
pub struct Raw {
    pub data: *mut u8,
    /// The byte addresses `[start, end)` the array's elements span (empty for no elements).
    bytes: (usize, usize),
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    flags: i32,
}

/// Reads an array's layout, refusing strides that are not whole elements of `size` bytes.
pub fn raw(array: &Bound<'_, PyUntypedArray>, what: &str, size: usize) -> PyResult<Raw> {
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
pub fn apart(out: &Raw, what: &str, inputs: &[&Raw]) -> PyResult<()> {
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

/// The three arrays of a gradient routed through argmax indices: `grad_output` and the int64
/// `indices` as views, `grad_input` (of `grad_output`'s dtype) as the run it is written to.
///
/// # Safety
/// `grad_output` holds `T` (its dtype named `name`), the arrays outlive `'a`, and nothing else
/// touches `grad_input` meanwhile.
pub unsafe fn routed<'a, T>(
    grad_output: &Bound<'_, PyUntypedArray>,
    indices: &Bound<'_, PyUntypedArray>,
    grad_input: &Bound<'_, PyUntypedArray>,
    name: &str,
) -> PyResult<(TensorView<'a, T>, TensorView<'a, i64>, &'a mut [T])> {
    expect(indices, "int64", "indices")?;
    expect(grad_input, name, "grad_input")?;
    let size = size_of::<T>();
    let (dy, idx) = (
        raw(grad_output, "grad_output", size)?,
        raw(indices, "indices", 8)?,
    );
    let dx = raw(grad_input, "grad_input", size)?;
    apart(&dx, "grad_input", &[&dy, &idx])?;
    // SAFETY: the dtypes are checked above; the caller vouches for lifetime and exclusivity.
    unsafe {
        Ok((
            dy.view::<T>()?,
            idx.view::<i64>()?,
            dx.slice_mut::<T>("grad_input")?,
        ))
    }
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
