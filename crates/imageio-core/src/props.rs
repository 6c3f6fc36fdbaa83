//! [`ImageProperties`]: standardized metadata every plugin reports.

use serde::Serialize;

use crate::dtype::DType;

/// What [`read`](crate::Plugin::read) would return for the same index, found without decoding
/// pixels where the format allows (imageio's `ImageProperties`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageProperties {
    /// Shape of the array `read` returns for the same index.
    pub shape: Vec<usize>,
    /// Its element type (serialised with numpy's name).
    #[serde(serialize_with = "ser_dtype")]
    pub dtype: DType,
    /// Number of images when the index was [`Index::All`](crate::Index::All), else `None`.
    pub n_images: Option<usize>,
    /// True iff axis 0 is a batch axis (the index was `All`).
    pub is_batch: bool,
    /// Pixel spacing per axis, when the file records it.
    pub spacing: Option<Vec<f64>>,
}

fn ser_dtype<S: serde::Serializer>(d: &DType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.numpy_name())
}

impl ImageProperties {
    /// Properties of one image.
    pub fn single(shape: Vec<usize>, dtype: DType) -> Self {
        ImageProperties {
            shape,
            dtype,
            n_images: None,
            is_batch: false,
            spacing: None,
        }
    }

    /// Properties of `n` stacked images of `shape` (a batch).
    pub fn batch(n: usize, shape: &[usize], dtype: DType) -> Self {
        let mut full = vec![n];
        full.extend_from_slice(shape);
        ImageProperties {
            shape: full,
            dtype,
            n_images: Some(n),
            is_batch: true,
            spacing: None,
        }
    }

    /// Number of pixel bytes `read` will return.
    pub fn nbytes(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(self.dtype.size() as u64, |acc, &d| {
                acc.checked_mul(d as u64)
            })
    }
}
