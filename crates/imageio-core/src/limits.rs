//! [`Limits`]: size checks made before any large allocation.

use crate::dtype::DType;
use crate::error::{Error, Result};

/// Budgets that plugins check before they allocate, so that a hostile header cannot make the
/// process allocate gigabytes (Pillow's decompression-bomb guard, image-rs' `Limits`).
///
/// The defaults: at most 178 956 970 pixels per image (twice Pillow's `MAX_IMAGE_PIXELS`, the
/// point where Pillow raises `DecompressionBombError`), and at most 4 GiB of decoded data per call
/// (a 300-frame 720p RGB video is 0.83 GB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum pixels (height × width, all planes of one image counted once) of one image.
    pub max_pixels: Option<u64>,
    /// Maximum bytes one call may allocate for decoded data (a stacked read counts every image).
    pub max_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: Some(2 * 89_478_485),
            max_bytes: Some(4 << 30),
        }
    }
}

impl Limits {
    /// No limits at all.
    ///
    /// Only for trusted input: a tiny hostile file can then ask for terabytes.
    pub fn none() -> Self {
        Limits {
            max_pixels: None,
            max_bytes: None,
        }
    }

    /// Sets the per-image pixel limit.
    pub fn with_max_pixels(mut self, n: Option<u64>) -> Self {
        self.max_pixels = n;
        self
    }

    /// Sets the per-call decoded-bytes limit.
    pub fn with_max_bytes(mut self, n: Option<u64>) -> Self {
        self.max_bytes = n;
        self
    }

    /// Checks an image of `width × height` pixels.
    pub fn check_pixels(&self, width: u64, height: u64) -> Result<()> {
        let pixels = width
            .checked_mul(height)
            .ok_or_else(|| Error::limits(format!("{width}×{height} pixels overflow")))?;
        if let Some(max) = self.max_pixels {
            if pixels > max {
                return Err(Error::limits(format!(
                    "image of {width}×{height} = {pixels} pixels exceeds max_pixels {max}"
                )));
            }
        }
        Ok(())
    }

    /// Checks a decoded array of `shape` and `dtype` (its total size against `max_bytes`).
    pub fn check_alloc(&self, shape: &[usize], dtype: DType) -> Result<u64> {
        let bytes = shape
            .iter()
            .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| Error::limits(format!("array of shape {shape:?} overflows")))?;
        self.check_bytes(bytes)?;
        Ok(bytes)
    }

    /// Checks a raw allocation of `bytes`.
    pub fn check_bytes(&self, bytes: u64) -> Result<()> {
        if let Some(max) = self.max_bytes {
            if bytes > max {
                return Err(Error::limits(format!(
                    "{bytes} bytes of decoded data exceed max_bytes {max}"
                )));
            }
        }
        if usize::try_from(bytes).is_err() {
            return Err(Error::limits(format!("{bytes} bytes do not fit in memory")));
        }
        Ok(())
    }

    /// Checks an image (its two leading spatial axes against `max_pixels`, all of it against
    /// `max_bytes`).
    pub fn check_image(
        &self,
        height: u64,
        width: u64,
        shape: &[usize],
        dtype: DType,
    ) -> Result<u64> {
        self.check_pixels(width, height)?;
        self.check_alloc(shape, dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bombs_and_overflow() {
        let l = Limits::default();
        assert!(l.check_pixels(100_000, 100_000).is_err());
        assert!(l.check_pixels(4096, 3072).is_ok());
        assert!(l.check_alloc(&[usize::MAX, 2], DType::U8).is_err());
        assert!(l.check_alloc(&[300, 720, 1280, 3], DType::U8).is_ok());
        assert!(Limits::none().check_pixels(100_000, 100_000).is_ok());
        let tight = Limits::default().with_max_bytes(Some(10));
        assert!(tight.check_alloc(&[4, 4], DType::U8).is_err());
    }
}
