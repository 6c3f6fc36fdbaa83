//! Pixel decoding with zune-jpeg, colour-mode conversions that follow Pillow, and EXIF
//! orientation transforms that follow `ImageOps.exif_transpose`.

use imageio_core::ndarray::{ArrayD, Axis, IxDyn, Slice};
use imageio_core::{DType, Error, Limits, Result};
#[cfg(not(feature = "turbo"))]
use zune_jpeg::JpegDecoder;
#[cfg(not(feature = "turbo"))]
use zune_jpeg::zune_core::bytestream::ZCursor;
#[cfg(not(feature = "turbo"))]
use zune_jpeg::zune_core::colorspace::ColorSpace;
#[cfg(not(feature = "turbo"))]
use zune_jpeg::zune_core::options::DecoderOptions;

use crate::markers::Header;

/// The colour layout of the returned array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One channel, 2-D `(H, W)` (Pillow mode `"L"`).
    Gray,
    /// `(H, W, 3)`.
    Rgb,
    /// `(H, W, 4)` with Pillow's CMYK values (Adobe convention: see the crate docs).
    Cmyk,
}

impl Mode {
    /// Parses the `mode` option (case-insensitive: `rgb`, `gray`/`grey`/`l`, `cmyk`).
    pub fn parse(s: &str) -> Result<Mode> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rgb" => Mode::Rgb,
            "gray" | "grey" | "l" => Mode::Gray,
            "cmyk" => Mode::Cmyk,
            other => {
                return Err(Error::invalid_argument(format!(
                    "JPEG read option `mode` must be \"rgb\", \"gray\" (or \"L\") or \"cmyk\", not \"{other}\""
                )));
            }
        })
    }

    /// Pillow's mode name.
    pub fn pillow_name(self) -> &'static str {
        match self {
            Mode::Gray => "L",
            Mode::Rgb => "RGB",
            Mode::Cmyk => "CMYK",
        }
    }

    /// Channels per pixel.
    pub fn channels(self) -> usize {
        match self {
            Mode::Gray => 1,
            Mode::Rgb => 3,
            Mode::Cmyk => 4,
        }
    }
}

/// What the file stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    Gray,
    /// Three components (YCbCr, or RGB).
    Color,
    /// Four components stored as CMYK.
    Cmyk,
    /// Four components stored as YCCK (Adobe transform 2).
    Ycck,
}

impl Stored {
    pub fn of(header: &Header) -> Result<Stored> {
        let frame = header
            .frame
            .as_ref()
            .ok_or_else(|| Error::decoding("no JPEG frame header"))?;
        Ok(match frame.components.len() {
            1 => Stored::Gray,
            3 => Stored::Color,
            // libjpeg: an Adobe APP14 with any transform but 0 means YCCK (2, or unknown
            // values with a warning); no Adobe segment, or transform 0, means CMYK
            4 => match header.adobe.and_then(|a| a.1) {
                Some(t) if t != 0 => Stored::Ycck,
                _ => Stored::Cmyk,
            },
            n => {
                return Err(Error::unsupported(format!(
                    "JPEG files with {n} components are not supported"
                )));
            }
        })
    }

    /// The default mode: the file's own (gray → L, colour → RGB, CMYK/YCCK → RGB).
    pub fn default_mode(self) -> Mode {
        match self {
            Stored::Gray => Mode::Gray,
            _ => Mode::Rgb,
        }
    }

    /// Pillow's mode name for what the file stores.
    pub fn pillow_name(self) -> &'static str {
        match self {
            Stored::Gray => "L",
            Stored::Color => "RGB",
            Stored::Cmyk | Stored::Ycck => "CMYK",
        }
    }
}

#[cfg(not(feature = "turbo"))]
fn zerr(e: zune_jpeg::errors::DecodeErrors) -> Error {
    Error::decoding(format!("JPEG: {e}"))
}

/// Decodes the pixels of `data` into a `(H, W)` or `(H, W, C)` u8 array in `mode`.
///
/// The buffer zune-jpeg writes into is the one the array owns (no copy) except where a colour
/// conversion needs a different number of channels.
pub(crate) fn decode(
    data: &[u8],
    header: &Header,
    mode: Mode,
    strict: bool,
    limits: &Limits,
) -> Result<ArrayD<u8>> {
    let frame = header
        .frame
        .as_ref()
        .ok_or_else(|| Error::decoding("no JPEG frame header"))?;
    let stored = Stored::of(header)?;
    if frame.precision != 8 {
        return Err(Error::unsupported(format!(
            "{}-bit JPEG (only 8-bit samples are supported)",
            frame.precision
        )));
    }
    let (h, w) = (frame.height as usize, frame.width as usize);
    if h == 0 || w == 0 {
        return Err(Error::decoding(format!(
            "JPEG frame header declares a {w}×{h} image"
        )));
    }
    #[cfg(not(feature = "turbo"))]
    if matches!(frame.marker, 0xC3 | 0xC7 | 0xCB | 0xCF) {
        return Err(Error::unsupported(
            "lossless JPEG (SOF3) cannot be decoded by zune-jpeg, this build's decoder; \
             build imageio-jpeg with the `turbo` feature (libjpeg-turbo, as Pillow) to read it",
        ));
    }
    let out_shape = shape(h, w, mode);
    limits.check_image(h as u64, w as u64, &out_shape, DType::U8)?;
    if strict && !crate::markers::has_eoi(data, header) {
        return Err(Error::decoding(
            "the JPEG data is truncated (no EOI marker after the image data); \
             the read option strict=false decodes what is there",
        ));
    }

    let (mut buf, post) = decode_raw(data, header, stored, mode, h, w, strict, limits)?;
    let buf = match post {
        Post::None => buf,
        Post::GrayToCmyk => buf.iter().flat_map(|&l| [0, 0, 0, 255 - l]).collect(),
        Post::RgbToGray => buf
            .chunks_exact(3)
            .map(|p| rgb_to_l(p[0], p[1], p[2]))
            .collect(),
        Post::RgbToCmyk => buf
            .chunks_exact(3)
            .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
            .collect(),
        Post::InvertAll => {
            buf.iter_mut().for_each(|v| *v = 255 - *v);
            buf
        }
        Post::CmykToRgb => buf.chunks_exact(4).flat_map(cmyk_to_rgb).collect(),
        Post::CmykToGray => buf
            .chunks_exact(4)
            .map(|p| {
                let [r, g, b] = cmyk_to_rgb(p);
                rgb_to_l(r, g, b)
            })
            .collect(),
        Post::YcckToCmyk => {
            for p in buf.chunks_exact_mut(4) {
                let (r, g, b) = ycc_to_rgb(p[0], p[1], p[2]);
                p[0] = r;
                p[1] = g;
                p[2] = b;
                p[3] = 255 - p[3];
            }
            buf
        }
    };
    ArrayD::from_shape_vec(IxDyn(&out_shape), buf)
        .map_err(|e| Error::decoding(format!("JPEG: {e}")))
}

/// What follows the decoder's output (some variants are used by one backend only).
#[allow(dead_code)]
enum Post {
    None,
    /// Stored (Adobe-inverted) CMYK → RGB with Pillow's `cmyk2rgb`.
    CmykToRgb,
    /// Stored CMYK → RGB → L, like Pillow's `convert("RGB").convert("L")`.
    CmykToGray,
    GrayToCmyk,
    RgbToGray,
    RgbToCmyk,
    InvertAll,
    YcckToCmyk,
}

/// How zune-jpeg 0.5.15's chroma upsampling must be repaired to give libjpeg's (Pillow's).
#[cfg(not(feature = "turbo"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repair {
    /// zune-jpeg's fancy upsampling replicates the last chroma sample at the edge of the
    /// MCU-padded plane, not at the edge of the image, so when the image ends inside an MCU on a
    /// chroma sample boundary (an even width with horizontal 2× subsampling, an even height with
    /// vertical 2×, neither a multiple of the MCU), the last column (row) is blended with the
    /// padding that follows it: up to ~40 levels off on textured edges. libjpeg replicates the
    /// last real sample. `col` and `row` are bit masks of the output channels to repair (the
    /// components subsampled 2× in that direction); `channels` is the output's channel count.
    Edges { channels: usize, col: u8, row: u8 },
    /// Horizontal 2× subsampling with a chroma plane at most 2 samples wide (images at most 4
    /// pixels wide): libjpeg does not use fancy upsampling there (`downsampled_width > 2` is
    /// its condition) but plain replication, horizontally and, for 4:2:0, vertically too;
    /// zune-jpeg still interpolates (up to ~50 levels off).
    Replicate { vertical: bool },
}

#[cfg(not(feature = "turbo"))]
fn chroma_repair(frame: &crate::markers::Frame) -> Option<Repair> {
    let c = &frame.components;
    let (w, h) = (usize::from(frame.width), usize::from(frame.height));
    if c.len() == 3
        && c[1..].iter().all(|c| c.h == 1 && c.v == 1)
        && c[0].h == 2
        && w.div_ceil(2) <= 2
    {
        return Some(Repair::Replicate {
            vertical: c[0].v == 2,
        });
    }
    // Components at full resolution or subsampled 2× (what zune-jpeg's fancy upsampling
    // handles); the mask of those subsampled in each direction whose edge falls inside an MCU.
    let hmax = c.iter().map(|c| c.h).max()?;
    let vmax = c.iter().map(|c| c.v).max()?;
    if !matches!(c.len(), 3 | 4) || hmax > 2 || vmax > 2 || c.iter().any(|c| c.h == 0 || c.v == 0) {
        return None;
    }
    let mask = |sub: &dyn Fn(&crate::markers::Component) -> bool| {
        c.iter()
            .enumerate()
            .filter(|(_, c)| sub(c))
            .fold(0u8, |m, (i, _)| m | 1 << i)
    };
    let col = if hmax == 2 && w % 2 == 0 && w % 16 != 0 {
        mask(&|c| c.h == 1)
    } else {
        0
    };
    let row = if vmax == 2 && h % 2 == 0 && h % 16 != 0 {
        mask(&|c| c.v == 1)
    } else {
        0
    };
    (col != 0 || row != 0).then_some(Repair::Edges {
        channels: c.len(),
        col,
        row,
    })
}

/// For images at most 4 pixels wide with horizontal 2× subsampling ([`Repair::Replicate`]):
/// recovers the chroma samples from zune-jpeg's interpolated output and writes them replicated,
/// as libjpeg does. zune-jpeg's first column (row) is the first sample itself; the output at
/// column (row) `2j` is `(3·c[j] + c[j−1] + 2) >> 2`, which gives `c[j]` from `c[j−1]`
/// (exactly, but for values zune-jpeg clamped).
#[cfg(not(feature = "turbo"))]
fn replicate_chroma(ycc: &mut [u8], h: usize, w: usize, vertical: bool) {
    // out = (3c + prev + 2) >> 2 gives 3c in [4·out − prev − 2, 4·out − prev + 1]: the
    // smallest c in that range (unique but for ties).
    let next = |out: u8, prev: i32| {
        let n = 4 * i32::from(out) - prev - 2;
        (n.div_euclid(3) + i32::from(n.rem_euclid(3) != 0)).clamp(0, 255)
    };
    let stride = w * 3;
    for ch in 1..3 {
        // per row: the (vertically interpolated) chroma samples of its columns 0 and 1
        let mut s: Vec<[i32; 2]> = (0..h)
            .map(|y| {
                let row = &ycc[y * stride..(y + 1) * stride];
                let c0 = i32::from(row[ch]);
                let c1 = if w >= 3 {
                    next(row[2 * 3 + ch], c0)
                } else {
                    c0
                };
                [c0, c1]
            })
            .collect();
        if vertical {
            for col in 0..2 {
                let mut prev = s[0][col];
                let mut samples = vec![prev];
                for y in (2..h).step_by(2) {
                    prev = next(s[y][col].clamp(0, 255) as u8, prev);
                    samples.push(prev);
                }
                for (y, v) in s.iter_mut().enumerate() {
                    v[col] = samples[y / 2];
                }
            }
        }
        for (y, v) in s.iter().enumerate() {
            for x in 0..w {
                ycc[y * stride + x * 3 + ch] = v[x / 2] as u8;
            }
        }
    }
}

/// Replaces the chroma of the last column and/or row of an upsampled `h × w` YCbCr image by
/// libjpeg's value there, the last real chroma sample, estimated from the two correct columns
/// (rows) before it: these hold `(3c + b) / 4` and `(c + 3b) / 4` for the last sample `c` and
/// the one before it `b`, so `c = (3·first − second) / 2` (within one level of rounding).
/// A 2-pixel-wide (high) image has `c` itself in its first column (row).
#[cfg(not(feature = "turbo"))]
fn fix_chroma_edges(buf: &mut [u8], h: usize, w: usize, channels: usize, (col, row): (u8, u8)) {
    let estimate = |a: u8, b: u8| ((3 * i32::from(a) - i32::from(b) + 1) >> 1).clamp(0, 255) as u8;
    let stride = w * channels;
    if col != 0 && w >= 2 {
        for line in buf.chunks_exact_mut(stride) {
            for ch in (0..channels).filter(|ch| col & 1 << ch != 0) {
                line[(w - 1) * channels + ch] = if w >= 3 {
                    estimate(line[(w - 2) * channels + ch], line[(w - 3) * channels + ch])
                } else {
                    line[ch]
                };
            }
        }
    }
    if row != 0 && h >= 2 {
        for i in (0..stride).filter(|i| row & 1 << (i % channels) != 0) {
            buf[(h - 1) * stride + i] = if h >= 3 {
                estimate(buf[(h - 2) * stride + i], buf[(h - 3) * stride + i])
            } else {
                buf[i]
            };
        }
    }
}

/// libjpeg's YCbCr → RGB (`jdcolor.c`, 16-bit fixed point) of one pixel.
#[cfg(not(feature = "turbo"))]
fn ycc_to_rgb_fixed(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    const ONE_HALF: i32 = 1 << 15;
    const fn fix(v: f64) -> i32 {
        (v * 65536.0 + 0.5) as i32
    }
    let y = i32::from(y);
    let cb = i32::from(cb) - 128;
    let cr = i32::from(cr) - 128;
    let r = y + ((fix(1.402) * cr + ONE_HALF) >> 16);
    let g = y + ((-fix(0.344_14) * cb - fix(0.714_14) * cr + ONE_HALF) >> 16);
    let b = y + ((fix(1.772) * cb + ONE_HALF) >> 16);
    [r, g, b].map(|v| v.clamp(0, 255) as u8)
}

/// [`ycc_to_rgb_fixed`] over packed YCbCr pixels, in place.
#[cfg(not(feature = "turbo"))]
fn ycc_to_rgb_libjpeg(buf: &mut [u8]) {
    for p in buf.chunks_exact_mut(3) {
        let rgb = ycc_to_rgb_fixed(p[0], p[1], p[2]);
        p.copy_from_slice(&rgb);
    }
}

/// zune-jpeg: decodes into the layout `post` expects.
#[cfg(not(feature = "turbo"))]
#[allow(clippy::too_many_arguments)]
fn decode_raw(
    data: &[u8],
    header: &Header,
    stored: Stored,
    mode: Mode,
    h: usize,
    w: usize,
    strict: bool,
    limits: &Limits,
) -> Result<(Vec<u8>, Post)> {
    // What zune-jpeg should produce, and what we do afterwards.
    let (zune_out, post) = match (stored, mode) {
        (Stored::Gray, Mode::Gray) => (ColorSpace::Luma, Post::None),
        (Stored::Gray, Mode::Rgb) => (ColorSpace::RGB, Post::None),
        (Stored::Gray, Mode::Cmyk) => (ColorSpace::Luma, Post::GrayToCmyk),
        (Stored::Color | Stored::Cmyk | Stored::Ycck, Mode::Rgb) => (ColorSpace::RGB, Post::None),
        (Stored::Color | Stored::Cmyk | Stored::Ycck, Mode::Gray) => {
            (ColorSpace::RGB, Post::RgbToGray)
        }
        (Stored::Color, Mode::Cmyk) => (ColorSpace::RGB, Post::RgbToCmyk),
        (Stored::Cmyk, Mode::Cmyk) => (ColorSpace::CMYK, Post::InvertAll),
        (Stored::Ycck, Mode::Cmyk) => (ColorSpace::YCCK, Post::YcckToCmyk),
    };
    // Four-component files whose subsampled components zune-jpeg would blend with the MCU
    // padding: decoded to their stored components, repaired, and converted here (YCCK → CMYK
    // like libjpeg, then Pillow's conversions, as in the turbo build).
    let four = matches!(stored, Stored::Cmyk | Stored::Ycck);
    let repair4 = four
        .then(|| header.frame.as_ref().and_then(chroma_repair))
        .flatten()
        .filter(|r| matches!(r, Repair::Edges { .. }));
    let (zune_out, post) = match (repair4, stored, mode) {
        (None, ..) => (zune_out, post),
        (Some(_), s, m) => (
            if s == Stored::Ycck {
                ColorSpace::YCCK
            } else {
                ColorSpace::CMYK
            },
            match m {
                Mode::Rgb => Post::CmykToRgb,
                Mode::Gray => Post::CmykToGray,
                Mode::Cmyk => Post::InvertAll,
            },
        ),
    };
    let color = stored == Stored::Color;
    let ycc = color && !libjpeg_reads_rgb(header);
    // Files libjpeg reads as YCbCr but zune-jpeg as R, G, B: zune-jpeg passes the components
    // through (upsampled), and they are converted here.
    let passed_through = ycc && zune_reads_rgb(header);
    // Colour files whose last column or row zune-jpeg would blend with the MCU padding are
    // decoded to YCbCr, repaired, and converted here (not files of R, G, B components).
    let repair = (ycc && zune_out == ColorSpace::RGB)
        .then(|| header.frame.as_ref().and_then(chroma_repair))
        .flatten();
    let zune_out = if repair.is_some() && !passed_through {
        ColorSpace::YCbCr
    } else {
        zune_out
    };
    let patched = adobe_transform_for_zune(data, header, stored);
    let data = patched.as_deref().unwrap_or(data);
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_out)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .set_strict_mode(strict);
    let mut dec = JpegDecoder::new_with_options(ZCursor::new(data), options);
    dec.decode_headers().map_err(zerr)?;
    let (zw, zh) = dec
        .dimensions()
        .ok_or_else(|| Error::decoding("JPEG headers not decoded"))?;
    if (zw, zh) != (w, h) {
        return Err(Error::decoding(format!(
            "JPEG frame size disagreement ({zw}×{zh} vs {w}×{h})"
        )));
    }
    let size = dec
        .output_buffer_size()
        .ok_or_else(|| Error::decoding("JPEG size overflows"))?;
    limits.check_bytes(size as u64)?;
    if size != h * w * zune_out.num_components() {
        return Err(Error::decoding("JPEG output size disagreement"));
    }
    let mut buf = imageio_core::zeroed_vec::<u8>(size);
    dec.decode_into(&mut buf).map_err(zerr)?;
    if let Some(r) = repair.or(repair4) {
        match r {
            Repair::Edges { channels, col, row } => {
                fix_chroma_edges(&mut buf, h, w, channels, (col, row))
            }
            Repair::Replicate { vertical } => replicate_chroma(&mut buf, h, w, vertical),
        }
    }
    if repair.is_some() || passed_through {
        ycc_to_rgb_libjpeg(&mut buf);
    }
    if repair4.is_some() && stored == Stored::Ycck {
        // libjpeg's ycck_cmyk_convert: C, M, Y = 255 − R, G, B of (Y, Cb, Cr); K unchanged
        for p in buf.chunks_exact_mut(4) {
            let rgb = ycc_to_rgb_fixed(p[0], p[1], p[2]);
            for (v, c) in p.iter_mut().zip(rgb) {
                *v = 255 - c;
            }
        }
    }
    Ok((buf, post))
}

/// zune-jpeg refuses Adobe transforms other than 0, 1 and 2 ("Unknown Adobe colorspace") and
/// reads transform 1 on four components as YCbCr, where libjpeg reads YCbCr (three components)
/// or YCCK (four) with a warning. For such files, a copy with libjpeg's transform.
#[cfg(not(feature = "turbo"))]
fn adobe_transform_for_zune(data: &[u8], header: &Header, stored: Stored) -> Option<Vec<u8>> {
    let at = header.adobe_transform_at?;
    let libjpeg = match (stored, data.get(at)?) {
        (Stored::Color, 0 | 1) | (Stored::Cmyk | Stored::Ycck, 0 | 2) | (Stored::Gray, _) => {
            return None;
        }
        (Stored::Color, _) => 1,
        (Stored::Cmyk | Stored::Ycck, _) => 2,
    };
    let mut copy = data.to_vec();
    copy[at] = libjpeg;
    Some(copy)
}

/// Whether libjpeg (so Pillow) reads a three-component file as R, G, B rather than YCbCr
/// (`default_decompress_parms` in jdapimin.c): a JFIF APP0 means YCbCr; else an Adobe APP14
/// decides (transform 0: RGB, any other: YCbCr); else component ids 'R', 'G', 'B' mean RGB.
#[cfg(not(feature = "turbo"))]
fn libjpeg_reads_rgb(header: &Header) -> bool {
    if header.jfif.is_some() {
        return false;
    }
    if let Some((_, transform)) = header.adobe {
        return transform == Some(0);
    }
    has_rgb_ids(header)
}

/// Whether zune-jpeg 0.5.15 reads a three-component file as R, G, B: Adobe transform 0, or
/// component ids 'R', 'G', 'B' (whatever the JFIF or Adobe markers say).
#[cfg(not(feature = "turbo"))]
fn zune_reads_rgb(header: &Header) -> bool {
    header.adobe.and_then(|a| a.1) == Some(0) || has_rgb_ids(header)
}

#[cfg(not(feature = "turbo"))]
fn has_rgb_ids(header: &Header) -> bool {
    header
        .frame
        .as_ref()
        .is_some_and(|f| f.components.iter().map(|c| c.id).eq(*b"RGB"))
}

/// libjpeg-turbo (feature `turbo`): decodes into the layout `post` expects. libjpeg gives gray,
/// RGB, or CMYK as stored (YCCK converted to CMYK); Pillow's conversions follow.
#[cfg(feature = "turbo")]
#[allow(clippy::too_many_arguments)]
fn decode_raw(
    data: &[u8],
    _header: &Header,
    stored: Stored,
    mode: Mode,
    h: usize,
    w: usize,
    strict: bool,
    limits: &Limits,
) -> Result<(Vec<u8>, Post)> {
    use crate::turbo::Format;
    let (format, post) = match (stored, mode) {
        (Stored::Gray, Mode::Gray) => (Format::Gray, Post::None),
        (Stored::Gray, Mode::Rgb) => (Format::Rgb, Post::None),
        (Stored::Gray, Mode::Cmyk) => (Format::Gray, Post::GrayToCmyk),
        (Stored::Color, Mode::Rgb) => (Format::Rgb, Post::None),
        (Stored::Color, Mode::Gray) => (Format::Rgb, Post::RgbToGray),
        (Stored::Color, Mode::Cmyk) => (Format::Rgb, Post::RgbToCmyk),
        (Stored::Cmyk | Stored::Ycck, Mode::Rgb) => (Format::Cmyk, Post::CmykToRgb),
        (Stored::Cmyk | Stored::Ycck, Mode::Gray) => (Format::Cmyk, Post::CmykToGray),
        (Stored::Cmyk | Stored::Ycck, Mode::Cmyk) => (Format::Cmyk, Post::InvertAll),
    };
    let size = h
        .checked_mul(w)
        .and_then(|n| n.checked_mul(format.channels()))
        .ok_or_else(|| Error::decoding("JPEG size overflows"))?;
    limits.check_bytes(size as u64)?;
    let mut buf = imageio_core::zeroed_vec::<u8>(size);
    crate::turbo::decompress(data, format, strict, &mut buf)?;
    Ok((buf, post))
}

#[cfg_attr(not(feature = "turbo"), allow(dead_code))]
/// Pillow's `cmyk2rgb` applied to stored (Adobe-inverted) CMYK `s`: Pillow's CMYK value is
/// `255 − s`, so with `nk = s_K`, `R = nk − round(Pillow_C × nk / 255)` (Pillow's `MULDIV255`).
fn cmyk_to_rgb(s: &[u8]) -> [u8; 3] {
    let nk = u32::from(s[3]);
    let muldiv255 = |a: u32| {
        let t = a * nk + 128;
        ((t >> 8) + t) >> 8
    };
    let ch = |v: u8| (nk - muldiv255(255 - u32::from(v)).min(nk)) as u8;
    [ch(s[0]), ch(s[1]), ch(s[2])]
}

/// The array shape for an `h × w` image in `mode`.
pub(crate) fn shape(h: usize, w: usize, mode: Mode) -> Vec<usize> {
    match mode {
        Mode::Gray => vec![h, w],
        m => vec![h, w, m.channels()],
    }
}

/// Pillow's `convert("L")`: ITU-R 601-2 luma with 16-bit fixed-point weights, rounded.
fn rgb_to_l(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

#[cfg_attr(feature = "turbo", allow(dead_code))]
/// JFIF YCbCr → RGB (libjpeg's full-range conversion, rounded, clamped).
fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> (u8, u8, u8) {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    (
        c(y + 1.402 * cr),
        c(y - 0.344_136 * cb - 0.714_136 * cr),
        c(y + 1.772 * cb),
    )
}

/// Applies EXIF orientation `o` like Pillow's `ImageOps.exif_transpose`: 2 mirror left-right,
/// 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90° clockwise, 7 transverse,
/// 8 rotate 90° counter-clockwise. Anything else (1, and the invalid 0 and 9+) leaves the image
/// unchanged. The result is in standard (C) layout.
pub(crate) fn orient(a: ArrayD<u8>, o: u32) -> ArrayD<u8> {
    let rev = Slice::new(0, None, -1);
    let v = a.view();
    let view = match o {
        2 => v.slice_axis_move(Axis(1), rev),
        3 => v
            .slice_axis_move(Axis(0), rev)
            .slice_axis_move(Axis(1), rev),
        4 => v.slice_axis_move(Axis(0), rev),
        5 => swap(v),
        6 => swap(v).slice_axis_move(Axis(1), rev),
        7 => swap(v)
            .slice_axis_move(Axis(0), rev)
            .slice_axis_move(Axis(1), rev),
        8 => swap(v).slice_axis_move(Axis(0), rev),
        _ => return a,
    };
    view.as_standard_layout().into_owned()
}

fn swap(
    mut v: imageio_core::ndarray::ArrayViewD<'_, u8>,
) -> imageio_core::ndarray::ArrayViewD<'_, u8> {
    v.swap_axes(0, 1);
    v
}

/// True when orientation `o` swaps height and width.
pub(crate) fn swaps_axes(o: u32) -> bool {
    (5..=8).contains(&o)
}
