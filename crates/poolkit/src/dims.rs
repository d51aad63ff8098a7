//! Short lists of extents or strides kept inline: a tensor's shape and strides cost no
//! allocation up to rank 6 (every pooling tensor), so a small pooling call allocates its
//! output and nothing else.

use std::fmt;
use std::ops::Deref;

/// Ranks up to this are stored inline.
const INLINE: usize = 6;

/// A shape or a list of strides.
#[derive(Clone)]
pub(crate) enum Dims<T> {
    Inline(u8, [T; INLINE]),
    Heap(Vec<T>),
}

impl<T: Copy + Default> Dims<T> {
    pub(crate) fn from_slice(items: &[T]) -> Self {
        if items.len() <= INLINE {
            let mut inline = [T::default(); INLINE];
            inline[..items.len()].copy_from_slice(items);
            Dims::Inline(items.len() as u8, inline)
        } else {
            Dims::Heap(items.to_vec())
        }
    }
}

impl Dims<isize> {
    /// Row-major strides (in elements) of a contiguous tensor of `shape`.
    pub(crate) fn contiguous(shape: &[usize]) -> Self {
        let mut strides = if shape.len() <= INLINE {
            Dims::Inline(shape.len() as u8, [0; INLINE])
        } else {
            Dims::Heap(vec![0; shape.len()])
        };
        let slots: &mut [isize] = match &mut strides {
            Dims::Inline(len, items) => &mut items[..*len as usize],
            Dims::Heap(items) => items,
        };
        let mut acc = 1isize;
        for (s, &d) in slots.iter_mut().zip(shape).rev() {
            *s = acc;
            acc = acc.saturating_mul(d as isize);
        }
        strides
    }
}

impl<T> Deref for Dims<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Dims::Inline(len, items) => &items[..*len as usize],
            Dims::Heap(items) => items,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Dims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Dims<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_dims_read_back_and_compare_as_slices() {
        let cases: [(Vec<usize>, Vec<isize>); 4] = [
            (vec![], vec![]),
            (vec![3], vec![1]),
            (vec![1, 2, 6, 6], vec![72, 36, 6, 1]),
            (
                vec![2, 3, 4, 5, 6, 7, 8],
                vec![20160, 6720, 1680, 336, 56, 8, 1],
            ),
        ];
        for (shape, strides) in cases {
            let dims = Dims::from_slice(&shape);
            assert_eq!(&*dims, &shape[..]);
            assert_eq!(format!("{dims:?}"), format!("{shape:?}"));
            assert_eq!(dims, Dims::from_slice(&shape));
            assert_eq!(&*Dims::contiguous(&shape), &strides[..]);
        }
        assert_ne!(Dims::from_slice(&[1, 2]), Dims::from_slice(&[1, 2, 1]));
    }
}
