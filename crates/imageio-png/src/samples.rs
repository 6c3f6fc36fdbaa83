//! Raw PNG samples (as the `png` crate returns them without transformations) to the arrays we
//! return, and the APNG canvas operations.

use imageio_core::{DType, Error, NdArray, Result};
use png::{BitDepth, ColorType};

/// Decoded pixels in the output layout (row-major, channels last).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Buf {
    /// u8 samples (also bool images, stored 0/1, and palette indices).
    U8(Vec<u8>),
    /// u16 samples.
    U16(Vec<u16>),
}

impl Buf {
    pub(crate) fn zeros(dtype: DType, len: usize) -> Buf {
        match dtype {
            DType::U16 => Buf::U16(imageio_core::zeroed_vec(len)),
            _ => Buf::U8(imageio_core::zeroed_vec(len)),
        }
    }

    /// Wraps the buffer as an array of `shape` and `dtype` (Bool, U8 or U16).
    pub(crate) fn into_ndarray(self, shape: &[usize], dtype: DType) -> Result<NdArray> {
        match (self, dtype) {
            (Buf::U8(v), DType::Bool) => {
                NdArray::from_shape_vec(shape, v.into_iter().map(|x| x != 0).collect())
            }
            (Buf::U8(v), _) => NdArray::from_shape_vec(shape, v),
            (Buf::U16(v), _) => NdArray::from_shape_vec(shape, v),
        }
    }
}

/// How a PNG's raw samples map to our output array.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub color: ColorType,
    pub depth: u8,
    /// Gray tRNS value (raw, all bits).
    pub trns_gray: Option<u16>,
    /// RGB tRNS colour (raw, all bits).
    pub trns_rgb: Option<[u16; 3]>,
    /// Palette as RGBA, 256 entries (missing entries: opaque black).
    pub palette: Vec<[u8; 4]>,
    /// Number of PLTE entries.
    pub palette_len: usize,
    /// Whether the palette has a tRNS chunk.
    pub palette_trns: bool,
    /// Return palette indices instead of colours.
    pub indices: bool,
    /// Output channels (1 = a 2-D image).
    pub channels: usize,
    /// Output dtype.
    pub dtype: DType,
}

impl Layout {
    /// `raw_trns`: the `tRNS` chunk as stored (gray and RGB below 16 bits: the png crate keeps
    /// only the low bytes, so an out-of-range value would match the wrong samples).
    pub(crate) fn new(
        info: &png::Info<'_>,
        indices: bool,
        raw_trns: Option<&[u8]>,
    ) -> Result<Layout> {
        let depth = info.bit_depth as u8;
        let color = info.color_type;
        let trns = info.trns.as_deref();
        let be16 = |b: &[u8], i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
        let mut layout = Layout {
            color,
            depth,
            trns_gray: None,
            trns_rgb: None,
            palette: vec![[0, 0, 0, 255]; 256],
            palette_len: 0,
            palette_trns: false,
            indices: false,
            channels: 1,
            dtype: if depth == 16 { DType::U16 } else { DType::U8 },
        };
        match color {
            ColorType::Grayscale => {
                // The png crate keeps 2 bytes for 16-bit images and the low byte otherwise.
                layout.trns_gray = match (trns, depth) {
                    (Some(_), _) if raw_trns.is_some_and(|r| r.len() >= 2) => {
                        raw_trns.map(|r| be16(r, 0))
                    }
                    (Some(t), 16) if t.len() >= 2 => Some(be16(t, 0)),
                    (Some(t), _) if !t.is_empty() => Some(t[0] as u16),
                    _ => None,
                };
                layout.channels = if layout.trns_gray.is_some() { 2 } else { 1 };
                if depth == 1 && layout.trns_gray.is_none() {
                    layout.dtype = DType::Bool;
                }
            }
            ColorType::GrayscaleAlpha => layout.channels = 2,
            ColorType::Rgb => {
                layout.trns_rgb = match (trns, depth) {
                    (Some(_), _) if raw_trns.is_some_and(|r| r.len() >= 6) => {
                        raw_trns.map(|r| [be16(r, 0), be16(r, 1), be16(r, 2)])
                    }
                    (Some(t), 16) if t.len() >= 6 => Some([be16(t, 0), be16(t, 1), be16(t, 2)]),
                    (Some(t), _) if t.len() >= 3 => Some([t[0] as u16, t[1] as u16, t[2] as u16]),
                    _ => None,
                };
                layout.channels = if layout.trns_rgb.is_some() { 4 } else { 3 };
            }
            ColorType::Rgba => layout.channels = 4,
            ColorType::Indexed => {
                let plte = info
                    .palette
                    .as_deref()
                    .ok_or_else(|| Error::decoding("palette image without a PLTE chunk"))?;
                layout.palette_len = (plte.len() / 3).min(256);
                for (i, rgb) in plte.chunks_exact(3).take(256).enumerate() {
                    layout.palette[i] = [rgb[0], rgb[1], rgb[2], 255];
                }
                if let Some(t) = trns {
                    layout.palette_trns = true;
                    for (i, &a) in t.iter().take(256).enumerate() {
                        layout.palette[i][3] = a;
                    }
                }
                layout.indices = indices;
                layout.dtype = DType::U8;
                layout.channels = if indices {
                    1
                } else if layout.palette_trns {
                    4
                } else {
                    3
                };
            }
        }
        Ok(layout)
    }

    /// Output shape of a `width × height` image.
    pub(crate) fn shape(&self, height: usize, width: usize) -> Vec<usize> {
        if self.channels == 1 {
            vec![height, width]
        } else {
            vec![height, width, self.channels]
        }
    }

    /// True when the output has an alpha channel (the last one) used by APNG `OVER` blending.
    pub(crate) fn has_alpha(&self) -> bool {
        !self.indices && (self.channels == 2 || self.channels == 4)
    }

    /// The palette as an array (n, 3) or (n, 4) with tRNS.
    pub(crate) fn palette_array(&self) -> Option<NdArray> {
        if self.color != ColorType::Indexed {
            return None;
        }
        let c = if self.palette_trns { 4 } else { 3 };
        let data: Vec<u8> = self.palette[..self.palette_len]
            .iter()
            .flat_map(|p| p[..c].to_vec())
            .collect();
        NdArray::from_shape_vec(&[self.palette_len, c], data).ok()
    }

    /// Converts a decoded (sub)frame of raw rows into the output layout. Takes the buffer so
    /// that 8-bit images that need no conversion are returned without a copy.
    pub(crate) fn convert(
        &self,
        mut raw: Vec<u8>,
        line: usize,
        width: usize,
        height: usize,
    ) -> Buf {
        let out_row = width * self.channels;
        if self.depth == 8
            && !self.indices
            && self.color != ColorType::Indexed
            && self.trns_gray.is_none()
            && self.trns_rgb.is_none()
        {
            if line == out_row {
                raw.truncate(out_row * height);
                return Buf::U8(raw);
            }
            let mut out = Vec::with_capacity(out_row * height);
            for r in raw.chunks(line).take(height) {
                out.extend_from_slice(&r[..out_row]);
            }
            return Buf::U8(out);
        }
        if self.depth == 16 {
            let mut out = vec![0u16; out_row * height];
            for (src, dst) in raw.chunks(line).zip(out.chunks_exact_mut(out_row)) {
                self.row_u16(src, width, dst);
            }
            return Buf::U16(out);
        }
        let mut out = vec![0u8; out_row * height];
        for (src, dst) in raw.chunks(line).zip(out.chunks_exact_mut(out_row)) {
            self.row_u8(src, width, dst);
        }
        Buf::U8(out)
    }

    fn row_u8(&self, src: &[u8], width: usize, dst: &mut [u8]) {
        let d = self.depth as usize;
        let sample = |x: usize| -> u16 {
            match d {
                8 => src[x] as u16,
                _ => {
                    let bit = x * d;
                    let shift = 8 - d - (bit % 8);
                    ((src[bit / 8] >> shift) & ((1u8 << d) - 1)) as u16
                }
            }
        };
        let max = (1u16 << d) - 1;
        match self.color {
            ColorType::Grayscale => {
                for x in 0..width {
                    let s = sample(x);
                    let v = (s as u32 * 255 / max as u32) as u8;
                    match self.trns_gray {
                        Some(t) => {
                            dst[2 * x] = v;
                            dst[2 * x + 1] = if s == t { 0 } else { 255 };
                        }
                        None if self.dtype == DType::Bool => dst[x] = s as u8,
                        None => dst[x] = v,
                    }
                }
            }
            ColorType::Indexed => {
                for x in 0..width {
                    let i = sample(x) as usize;
                    if self.indices {
                        dst[x] = i as u8;
                    } else {
                        let p = &self.palette[i];
                        let c = self.channels;
                        dst[c * x..c * x + c].copy_from_slice(&p[..c]);
                    }
                }
            }
            ColorType::Rgb => {
                let t = self.trns_rgb.unwrap_or_default();
                for x in 0..width {
                    let px = &src[3 * x..3 * x + 3];
                    dst[4 * x..4 * x + 3].copy_from_slice(px);
                    let key = px[0] as u16 == t[0] && px[1] as u16 == t[1] && px[2] as u16 == t[2];
                    dst[4 * x + 3] = if key { 0 } else { 255 };
                }
            }
            // 8-bit gray+alpha and RGBA never reach this (no conversion needed).
            ColorType::GrayscaleAlpha | ColorType::Rgba => {
                let n = width * self.channels;
                dst[..n].copy_from_slice(&src[..n]);
            }
        }
    }

    fn row_u16(&self, src: &[u8], width: usize, dst: &mut [u16]) {
        let s = |i: usize| u16::from_be_bytes([src[2 * i], src[2 * i + 1]]);
        match (self.color, self.trns_gray, self.trns_rgb) {
            (ColorType::Grayscale, Some(t), _) => {
                for x in 0..width {
                    let v = s(x);
                    dst[2 * x] = v;
                    dst[2 * x + 1] = if v == t { 0 } else { u16::MAX };
                }
            }
            (ColorType::Rgb, _, Some(t)) => {
                for x in 0..width {
                    let (r, g, b) = (s(3 * x), s(3 * x + 1), s(3 * x + 2));
                    dst[4 * x..4 * x + 3].copy_from_slice(&[r, g, b]);
                    dst[4 * x + 3] = if [r, g, b] == t { 0 } else { u16::MAX };
                }
            }
            _ => {
                for (i, o) in dst.iter_mut().enumerate().take(width * self.channels) {
                    *o = s(i);
                }
            }
        }
    }
}

/// Bit depth as a number.
pub(crate) fn depth_bits(d: BitDepth) -> u8 {
    d as u8
}

/// A rectangle on the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// A sample type that can be alpha-blended like Pillow's `paste(im, box, mask)`.
pub(crate) trait Sample: Copy + Default {
    fn blend(old: Self, new: Self, alpha: Self) -> Self;
    fn to_usize(self) -> usize;
}

impl Sample for u8 {
    /// Pillow's `BLEND` macro: `DIV255(old * (255 - a) + new * a)`, rounding as Pillow does.
    fn blend(old: u8, new: u8, a: u8) -> u8 {
        let t = old as u32 * (255 - a as u32) + new as u32 * a as u32 + 128;
        (((t >> 8) + t) >> 8) as u8
    }
    fn to_usize(self) -> usize {
        self as usize
    }
}

impl Sample for u16 {
    /// The 16-bit analogue (Pillow has no 16-bit APNG): rounded `(old*(M-a) + new*a) / M`.
    fn blend(old: u16, new: u16, a: u16) -> u16 {
        let m = u16::MAX as u64;
        ((old as u64 * (m - a as u64) + new as u64 * a as u64 + m / 2) / m) as u16
    }
    fn to_usize(self) -> usize {
        self as usize
    }
}

/// Copies `sub` (rect.w × rect.h × c) onto the canvas (`cw` pixels wide).
pub(crate) fn paste<T: Copy>(canvas: &mut [T], cw: usize, c: usize, r: Rect, sub: &[T]) {
    for row in 0..r.h {
        let dst = ((r.y + row) * cw + r.x) * c;
        canvas[dst..dst + r.w * c].copy_from_slice(&sub[row * r.w * c..(row + 1) * r.w * c]);
    }
}

/// Copies the canvas region `r` out.
pub(crate) fn crop<T: Copy>(canvas: &[T], cw: usize, c: usize, r: Rect) -> Vec<T> {
    let mut out = Vec::with_capacity(r.w * r.h * c);
    for row in 0..r.h {
        let src = ((r.y + row) * cw + r.x) * c;
        out.extend_from_slice(&canvas[src..src + r.w * c]);
    }
    out
}

/// Fills the canvas region `r` with zeros (APNG `dispose_op = BACKGROUND`: transparent black).
pub(crate) fn clear<T: Copy + Default>(canvas: &mut [T], cw: usize, c: usize, r: Rect) {
    for row in 0..r.h {
        let dst = ((r.y + row) * cw + r.x) * c;
        canvas[dst..dst + r.w * c].fill(T::default());
    }
}

/// APNG `blend_op = OVER` with an alpha channel (the last of `c`): every channel, alpha included,
/// becomes `blend(old, new, new_alpha)` (Pillow pastes the frame with itself as the mask).
pub(crate) fn over<T: Sample>(canvas: &mut [T], cw: usize, c: usize, r: Rect, sub: &[T]) {
    for row in 0..r.h {
        let dst = ((r.y + row) * cw + r.x) * c;
        let d = &mut canvas[dst..dst + r.w * c];
        let s = &sub[row * r.w * c..(row + 1) * r.w * c];
        for (dp, sp) in d.chunks_exact_mut(c).zip(s.chunks_exact(c)) {
            let a = sp[c - 1];
            for k in 0..c {
                dp[k] = T::blend(dp[k], sp[k], a);
            }
        }
    }
}

/// APNG `OVER` for palette indices: an index whose palette entry is fully transparent keeps
/// the old index; any other index replaces it.
pub(crate) fn over_indices<T: Sample>(
    canvas: &mut [T],
    cw: usize,
    r: Rect,
    sub: &[T],
    palette: &[[u8; 4]],
) {
    for row in 0..r.h {
        let dst = (r.y + row) * cw + r.x;
        for x in 0..r.w {
            let i = sub[row * r.w + x];
            if palette.get(i.to_usize()).is_none_or(|p| p[3] != 0) {
                canvas[dst + x] = i;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pillow's `BLEND(mask, in1, in2)` = `DIV255(in1 * (255 - mask) + in2 * mask)` with
    /// `DIV255(x) = ((x + 128) + ((x + 128) >> 8)) >> 8`, computed here independently.
    #[test]
    fn u8_blend_is_pillows() {
        for old in (0..=255u32).step_by(5) {
            for new in (0..=255u32).step_by(7) {
                for a in [0u32, 1, 127, 128, 200, 254, 255] {
                    let x = old * (255 - a) + new * a + 128;
                    let want = ((x >> 8) + x) >> 8;
                    assert_eq!(u8::blend(old as u8, new as u8, a as u8) as u32, want);
                }
            }
        }
        assert_eq!(u16::blend(1000, 2000, 0), 1000);
        assert_eq!(u16::blend(1000, 2000, u16::MAX), 2000);
        assert_eq!(u16::blend(0, 65535, 32768), 32768);
    }

    #[test]
    fn canvas_ops() {
        // 3×2 canvas, 2 channels (gray+alpha)
        let mut c = vec![9u8; 12];
        let r = Rect {
            x: 1,
            y: 1,
            w: 2,
            h: 1,
        };
        paste(&mut c, 3, 2, r, &[1, 255, 2, 0]);
        assert_eq!(c, [9, 9, 9, 9, 9, 9, 9, 9, 1, 255, 2, 0]);
        let saved = crop(&c, 3, 2, r);
        assert_eq!(saved, [1, 255, 2, 0]);
        over(&mut c, 3, 2, r, &[100, 0, 50, 255]);
        assert_eq!(&c[8..], &[1, 255, 50, 255]);
        clear(&mut c, 3, 2, r);
        assert_eq!(&c[6..], &[9, 9, 0, 0, 0, 0]);
        let mut idx = vec![1u8, 1, 1];
        let mut pal = vec![[0u8, 0, 0, 255]; 256];
        pal[2][3] = 0;
        over_indices(
            &mut idx,
            3,
            Rect {
                x: 0,
                y: 0,
                w: 3,
                h: 1,
            },
            &[2, 3, 2],
            &pal,
        );
        assert_eq!(idx, [1, 3, 1]);
    }
}
