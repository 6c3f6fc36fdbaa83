//! [`NdArray`]: an n-dimensional image whose element type is known only at run time.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use sha2::{Digest, Sha256};

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};

/// Calls `$body` with `$a` bound to the typed array inside an [`NdArray`] or [`NdView`].
#[macro_export]
macro_rules! dispatch {
    ($ty:ident, $value:expr, $a:ident => $body:expr) => {
        match $value {
            $ty::Bool($a) => $body,
            $ty::U8($a) => $body,
            $ty::U16($a) => $body,
            $ty::U32($a) => $body,
            $ty::U64($a) => $body,
            $ty::I8($a) => $body,
            $ty::I16($a) => $body,
            $ty::I32($a) => $body,
            $ty::I64($a) => $body,
            $ty::F32($a) => $body,
            $ty::F64($a) => $body,
            // The enums are non-exhaustive: outside this crate a wildcard is required.
            #[allow(unreachable_patterns)]
            _ => unreachable!("imageio-core added a dtype that dispatch! does not know"),
        }
    };
}

/// An owned n-dimensional image with a run-time dtype: a thin enum over [`ndarray::ArrayD`].
///
/// Conversions to and from `ArrayD<T>` move the buffer and never copy:
///
/// ```
/// use imageio_core::{NdArray, DType};
/// use ndarray::ArrayD;
/// let a = ArrayD::<u16>::zeros(vec![4, 5, 3]);
/// let img = NdArray::from(a);
/// assert_eq!(img.shape(), &[4, 5, 3]);
/// assert_eq!(img.dtype(), DType::U16);
/// let back: ArrayD<u16> = img.into_array().unwrap();
/// assert_eq!(back.len(), 60);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum NdArray {
    Bool(ArrayD<bool>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
}

/// A borrowed n-dimensional image with a run-time dtype: what writers receive.
///
/// Anything that is an `ndarray` array or view of a supported element type converts into it
/// without copying (`(&array).into()`), as does `&NdArray`.
#[derive(Clone, Debug)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum NdView<'a> {
    Bool(ArrayViewD<'a, bool>),
    U8(ArrayViewD<'a, u8>),
    U16(ArrayViewD<'a, u16>),
    U32(ArrayViewD<'a, u32>),
    U64(ArrayViewD<'a, u64>),
    I8(ArrayViewD<'a, i8>),
    I16(ArrayViewD<'a, i16>),
    I32(ArrayViewD<'a, i32>),
    I64(ArrayViewD<'a, i64>),
    F32(ArrayViewD<'a, f32>),
    F64(ArrayViewD<'a, f64>),
}

/// Conversion between typed `ndarray` containers and the dynamic enums.
pub trait DynElement: Element {
    /// Wraps an owned array.
    fn wrap(a: ArrayD<Self>) -> NdArray;
    /// Unwraps an owned array of this type.
    fn unwrap(a: NdArray) -> std::result::Result<ArrayD<Self>, NdArray>;
    /// Borrows an owned array of this type.
    fn view_of(a: &NdArray) -> Option<ArrayViewD<'_, Self>>;
    /// Wraps a view.
    fn wrap_view(a: ArrayViewD<'_, Self>) -> NdView<'_>;
    /// Unwraps a view of this type.
    fn unwrap_view<'a>(a: &NdView<'a>) -> Option<ArrayViewD<'a, Self>>;
}

macro_rules! impl_dyn {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl DynElement for $t {
            fn wrap(a: ArrayD<Self>) -> NdArray { NdArray::$v(a) }
            fn unwrap(a: NdArray) -> std::result::Result<ArrayD<Self>, NdArray> {
                match a { NdArray::$v(a) => Ok(a), other => Err(other) }
            }
            fn view_of(a: &NdArray) -> Option<ArrayViewD<'_, Self>> {
                match a { NdArray::$v(a) => Some(a.view()), _ => None }
            }
            fn wrap_view(a: ArrayViewD<'_, Self>) -> NdView<'_> { NdView::$v(a) }
            fn unwrap_view<'a>(a: &NdView<'a>) -> Option<ArrayViewD<'a, Self>> {
                match a { NdView::$v(a) => Some(a.clone()), _ => None }
            }
        }
        impl From<ArrayD<$t>> for NdArray {
            fn from(a: ArrayD<$t>) -> Self { NdArray::$v(a) }
        }
        impl<'a, D: ndarray::Dimension> From<&'a ndarray::Array<$t, D>> for NdView<'a> {
            fn from(a: &'a ndarray::Array<$t, D>) -> Self { NdView::$v(a.view().into_dyn()) }
        }
        impl<'a, D: ndarray::Dimension> From<ndarray::ArrayView<'a, $t, D>> for NdView<'a> {
            fn from(a: ndarray::ArrayView<'a, $t, D>) -> Self { NdView::$v(a.into_dyn()) }
        }
    )*};
}
impl_dyn!(bool => Bool, u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => I8, i16 => I16,
    i32 => I32, i64 => I64, f32 => F32, f64 => F64);

impl<'a> From<&'a NdArray> for NdView<'a> {
    fn from(a: &'a NdArray) -> Self {
        a.view()
    }
}

impl NdArray {
    /// Builds an array from a shape and a flat C-order buffer (no copy).
    pub fn from_shape_vec<T: DynElement>(shape: &[usize], data: Vec<T>) -> Result<NdArray> {
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(T::wrap)
            .map_err(|e| {
                Error::invalid_argument(format!("buffer does not match shape {shape:?}: {e}"))
            })
    }

    /// Builds an array of `dtype` from little-endian bytes in C order.
    pub fn from_le_bytes(dtype: DType, shape: &[usize], bytes: &[u8]) -> Result<NdArray> {
        fn build<T: DynElement>(shape: &[usize], bytes: &[u8]) -> Result<NdArray> {
            let size = T::DTYPE.size();
            let data: Vec<T> = bytes.chunks_exact(size).map(T::from_le_slice).collect();
            NdArray::from_shape_vec(shape, data)
        }
        let n: usize = shape.iter().product();
        if n.checked_mul(dtype.size()) != Some(bytes.len()) {
            return Err(Error::invalid_argument(format!(
                "{} bytes cannot hold a {dtype} array of shape {shape:?}",
                bytes.len()
            )));
        }
        match dtype {
            DType::Bool => build::<bool>(shape, bytes),
            DType::U8 => build::<u8>(shape, bytes),
            DType::U16 => build::<u16>(shape, bytes),
            DType::U32 => build::<u32>(shape, bytes),
            DType::U64 => build::<u64>(shape, bytes),
            DType::I8 => build::<i8>(shape, bytes),
            DType::I16 => build::<i16>(shape, bytes),
            DType::I32 => build::<i32>(shape, bytes),
            DType::I64 => build::<i64>(shape, bytes),
            DType::F32 => build::<f32>(shape, bytes),
            DType::F64 => build::<f64>(shape, bytes),
        }
    }

    /// An array of zeros (large ones backed by transparent huge pages, see
    /// [`zeroed_vec`](crate::zeroed_vec)).
    pub fn zeros(dtype: DType, shape: &[usize]) -> NdArray {
        fn z<T: DynElement>(shape: &[usize]) -> NdArray {
            let n = shape.iter().product();
            let data = ArrayD::from_shape_vec(IxDyn(shape), crate::zeroed_vec::<T>(n))
                .expect("the length is the product of the shape");
            T::wrap(data)
        }
        match dtype {
            DType::Bool => z::<bool>(shape),
            DType::U8 => z::<u8>(shape),
            DType::U16 => z::<u16>(shape),
            DType::U32 => z::<u32>(shape),
            DType::U64 => z::<u64>(shape),
            DType::I8 => z::<i8>(shape),
            DType::I16 => z::<i16>(shape),
            DType::I32 => z::<i32>(shape),
            DType::I64 => z::<i64>(shape),
            DType::F32 => z::<f32>(shape),
            DType::F64 => z::<f64>(shape),
        }
    }

    /// The shape (numpy order: the last axis varies fastest).
    pub fn shape(&self) -> &[usize] {
        dispatch!(NdArray, self, a => a.shape())
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The run-time element type.
    pub fn dtype(&self) -> DType {
        match self {
            NdArray::Bool(_) => DType::Bool,
            NdArray::U8(_) => DType::U8,
            NdArray::U16(_) => DType::U16,
            NdArray::U32(_) => DType::U32,
            NdArray::U64(_) => DType::U64,
            NdArray::I8(_) => DType::I8,
            NdArray::I16(_) => DType::I16,
            NdArray::I32(_) => DType::I32,
            NdArray::I64(_) => DType::I64,
            NdArray::F32(_) => DType::F32,
            NdArray::F64(_) => DType::F64,
        }
    }

    /// Size of the pixel data in bytes.
    pub fn nbytes(&self) -> usize {
        self.len() * self.dtype().size()
    }

    /// Moves the typed array out; gives `self` back if the dtype is not `T`.
    pub fn into_array<T: DynElement>(self) -> std::result::Result<ArrayD<T>, NdArray> {
        T::unwrap(self)
    }

    /// Borrows the typed array if the dtype is `T`.
    pub fn as_array<T: DynElement>(&self) -> Option<ArrayViewD<'_, T>> {
        T::view_of(self)
    }

    /// A borrowed view (no copy).
    pub fn view(&self) -> NdView<'_> {
        match self {
            NdArray::Bool(a) => NdView::Bool(a.view()),
            NdArray::U8(a) => NdView::U8(a.view()),
            NdArray::U16(a) => NdView::U16(a.view()),
            NdArray::U32(a) => NdView::U32(a.view()),
            NdArray::U64(a) => NdView::U64(a.view()),
            NdArray::I8(a) => NdView::I8(a.view()),
            NdArray::I16(a) => NdView::I16(a.view()),
            NdArray::I32(a) => NdView::I32(a.view()),
            NdArray::I64(a) => NdView::I64(a.view()),
            NdArray::F32(a) => NdView::F32(a.view()),
            NdArray::F64(a) => NdView::F64(a.view()),
        }
    }

    /// The pixel bytes in C order, little-endian (numpy's `tobytes()` on a little-endian host).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.view().to_le_bytes()
    }

    /// sha256 of [`to_le_bytes`](Self::to_le_bytes) as lower-case hex: equal to
    /// `hashlib.sha256(numpy_array.tobytes()).hexdigest()` for the same array.
    pub fn sha256_hex(&self) -> String {
        self.view().sha256_hex()
    }

    /// Stacks images of equal shape and dtype along a new axis 0 (imageio's `index=...`).
    pub fn stack(images: Vec<NdArray>) -> Result<NdArray> {
        let Some(first) = images.first() else {
            return Err(Error::invalid_argument("cannot stack zero images"));
        };
        let (dtype, shape) = (first.dtype(), first.shape().to_vec());
        for (i, im) in images.iter().enumerate() {
            if im.dtype() != dtype || im.shape() != shape.as_slice() {
                return Err(Error::invalid_argument(format!(
                    "cannot stack images: image 0 is {dtype} {shape:?} but image {i} is {} {:?}",
                    im.dtype(),
                    im.shape()
                )));
            }
        }
        fn st<T: DynElement>(images: Vec<NdArray>, shape: &[usize]) -> NdArray {
            let per: usize = shape.iter().product();
            let mut data = Vec::with_capacity(per * images.len());
            let n = images.len();
            for im in images {
                let a = T::unwrap(im).expect("dtype checked above");
                match a.as_slice() {
                    Some(s) => data.extend_from_slice(s),
                    None => data.extend(a.iter().copied()),
                }
            }
            let mut full = vec![n];
            full.extend_from_slice(shape);
            T::wrap(ArrayD::from_shape_vec(IxDyn(&full), data).expect("length matches"))
        }
        Ok(match dtype {
            DType::Bool => st::<bool>(images, &shape),
            DType::U8 => st::<u8>(images, &shape),
            DType::U16 => st::<u16>(images, &shape),
            DType::U32 => st::<u32>(images, &shape),
            DType::U64 => st::<u64>(images, &shape),
            DType::I8 => st::<i8>(images, &shape),
            DType::I16 => st::<i16>(images, &shape),
            DType::I32 => st::<i32>(images, &shape),
            DType::I64 => st::<i64>(images, &shape),
            DType::F32 => st::<f32>(images, &shape),
            DType::F64 => st::<f64>(images, &shape),
        })
    }

    /// Splits axis 0 into owned images (the inverse of [`stack`](Self::stack)).
    pub fn unstack(&self) -> Vec<NdArray> {
        dispatch!(NdArray, self, a => a
            .axis_iter(Axis(0))
            .map(|v| NdArray::from(v.to_owned()))
            .collect())
    }
}

impl<'a> NdView<'a> {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        dispatch!(NdView, self, a => a.shape())
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The run-time element type.
    pub fn dtype(&self) -> DType {
        match self {
            NdView::Bool(_) => DType::Bool,
            NdView::U8(_) => DType::U8,
            NdView::U16(_) => DType::U16,
            NdView::U32(_) => DType::U32,
            NdView::U64(_) => DType::U64,
            NdView::I8(_) => DType::I8,
            NdView::I16(_) => DType::I16,
            NdView::I32(_) => DType::I32,
            NdView::I64(_) => DType::I64,
            NdView::F32(_) => DType::F32,
            NdView::F64(_) => DType::F64,
        }
    }

    /// Borrows the typed view if the dtype is `T`.
    pub fn as_array<T: DynElement>(&self) -> Option<ArrayViewD<'a, T>> {
        T::unwrap_view(self)
    }

    /// The sub-view at `index` along axis 0 (one image of a batch).
    pub fn index_axis0(&self, index: usize) -> NdView<'a> {
        macro_rules! sub {
            ($($v:ident),*) => {
                match self { $(NdView::$v(a) => NdView::$v(a.clone().index_axis_move(Axis(0), index)),)* }
            };
        }
        sub!(Bool, U8, U16, U32, U64, I8, I16, I32, I64, F32, F64)
    }

    /// The pixel bytes in C order, little-endian.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        fn b<T: Element>(a: &ArrayViewD<'_, T>) -> Vec<u8> {
            let mut out = Vec::new();
            match a.as_slice() {
                Some(s) => T::extend_le_bytes(s, &mut out),
                None => {
                    let v: Vec<T> = a.iter().copied().collect();
                    T::extend_le_bytes(&v, &mut out)
                }
            }
            out
        }
        dispatch!(NdView, self, a => b(a))
    }

    /// sha256 of the C-order little-endian pixel bytes, as hex. Streams the elements through
    /// the hasher in small chunks: no copy of the whole image is made.
    pub fn sha256_hex(&self) -> String {
        fn feed<T: Element>(a: &ArrayViewD<'_, T>, h: &mut Sha256) {
            let mut bytes = Vec::with_capacity(8192 * T::DTYPE.size());
            if let Some(s) = a.as_slice() {
                // C-contiguous: little-endian bytes straight from the slice, chunk by chunk
                for part in s.chunks(8192) {
                    bytes.clear();
                    T::extend_le_bytes(part, &mut bytes);
                    h.update(&bytes);
                }
                return;
            }
            let mut chunk: Vec<T> = Vec::with_capacity(8192);
            for v in a.iter() {
                chunk.push(*v);
                if chunk.len() == chunk.capacity() {
                    bytes.clear();
                    T::extend_le_bytes(&chunk, &mut bytes);
                    h.update(&bytes);
                    chunk.clear();
                }
            }
            bytes.clear();
            T::extend_le_bytes(&chunk, &mut bytes);
            h.update(&bytes);
        }
        let mut h = Sha256::new();
        dispatch!(NdView, self, a => feed(a, &mut h));
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Copies into an owned array.
    pub fn to_owned(&self) -> NdArray {
        dispatch!(NdView, self, a => NdArray::from(a.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_numpy_convention() {
        // numpy: hashlib.sha256(np.array([[1, 256]], dtype='<u2').tobytes()).hexdigest()
        let a = NdArray::from_shape_vec(&[1, 2], vec![1u16, 256]).unwrap();
        assert_eq!(a.to_le_bytes(), vec![1, 0, 0, 1]);
        let expected: String = Sha256::digest([1u8, 0, 0, 1])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a.sha256_hex(), expected);
    }

    #[test]
    fn sha256_of_contiguous_and_strided_views_is_the_c_order_bytes() {
        // more than one 8192-element chunk, and a transposed (non-contiguous) view
        let v: Vec<u32> = (0..3 * 10_000u32)
            .map(|x| x.wrapping_mul(2_654_435_761))
            .collect();
        let a = NdArray::from_shape_vec(&[3, 10_000], v.clone()).unwrap();
        let want = |bytes: &[u8]| -> String {
            Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(a.sha256_hex(), want(&a.to_le_bytes()));
        let arr = a.as_array::<u32>().unwrap();
        let mut tb = Vec::new();
        for x in arr.t().iter() {
            tb.extend_from_slice(&x.to_le_bytes());
        }
        let tv = NdView::U32(arr.t().into_dyn());
        assert_eq!(tv.sha256_hex(), want(&tb));
        assert_ne!(tv.sha256_hex(), a.sha256_hex());
    }

    #[test]
    fn stack_checks_shapes_and_round_trips() {
        let a = NdArray::from_shape_vec(&[2, 2], vec![1u8, 2, 3, 4]).unwrap();
        let b = NdArray::from_shape_vec(&[2, 2], vec![5u8, 6, 7, 8]).unwrap();
        let s = NdArray::stack(vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(s.shape(), &[2, 2, 2]);
        assert_eq!(s.unstack(), vec![a.clone(), b]);
        let c = NdArray::from_shape_vec(&[1, 4], vec![1u8, 2, 3, 4]).unwrap();
        assert!(NdArray::stack(vec![a, c]).is_err());
    }

    #[test]
    fn from_le_bytes_checks_length() {
        assert!(NdArray::from_le_bytes(DType::U16, &[2], &[0, 1, 2]).is_err());
        let a = NdArray::from_le_bytes(DType::I16, &[2], &[0xff, 0xff, 1, 0]).unwrap();
        assert_eq!(a.as_array::<i16>().unwrap().as_slice().unwrap(), &[-1, 1]);
    }
}
