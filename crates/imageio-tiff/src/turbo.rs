//! 12-bit JPEG strips and tiles through libjpeg-turbo 3.1 (feature `turbo`): TurboJPEG 3's
//! `tj3Compress12` / `tj3Decompress12`, from `turbojpeg-sys` (vendored library, cmake + nasm,
//! linked statically). This is what tifffile does through imagecodecs (whose `jpeg8` codec is
//! libjpeg-turbo 3 with 12-bit support), so both sides of the tests run the same library.
//!
//! The TurboJPEG API (not the raw libjpeg API) is used because libjpeg reports errors through an
//! `error_exit` callback that must not return: a binding would have to `longjmp` or unwind across
//! Rust frames. TurboJPEG catches those errors with its own `setjmp` in C and returns `-1` with
//! a message (`tj3GetErrorStr`), so no jump crosses a Rust frame.
//!
//! The FFI itself, with every `unsafe` block, is the safe wrapper `imageio-turbojpeg` (shared
//! with imageio-jpeg): every buffer handed to C is checked against the frame it holds there.

use std::ffi::c_int;

use imageio_core::{Error, Result};
use imageio_turbojpeg::{Handle, Init, PixelFormat, TjError, sys as tj};

fn setup(e: TjError) -> Error {
    Error::invalid_argument(format!("libjpeg-turbo: {e}"))
}

fn derr(e: TjError) -> Error {
    Error::decoding(format!("JPEG (libjpeg-turbo): {e}"))
}

/// The TurboJPEG pixel format for `spp` interleaved samples (1 gray, 3 RGB).
fn pixel_format(spp: usize) -> Option<PixelFormat> {
    match spp {
        1 => Some(PixelFormat::Gray),
        3 => Some(PixelFormat::Rgb),
        _ => None,
    }
}

/// Reads the header of `stream` into `hd` with the decoder limits set, checks the sample
/// precision and that the frame fits `max_w × max_h`; returns the frame's (width, height).
fn open_frame(
    hd: &mut Handle,
    stream: &[u8],
    precision: c_int,
    max_w: usize,
    max_h: usize,
) -> Result<(usize, usize)> {
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, 1)
        .map_err(setup)?;
    hd.set(tj::TJPARAM_TJPARAM_SCANLIMIT, 500).map_err(setup)?;
    // the coefficient buffers of a progressive frame are bounded by the frame size checked
    // below; this caps what libjpeg-turbo may allocate for anything else (megabytes)
    hd.set(tj::TJPARAM_TJPARAM_MAXMEMORY, 256).map_err(setup)?;
    let (jw, jh) = hd.decompress_header(stream).map_err(derr)?;
    let p = hd.get(tj::TJPARAM_TJPARAM_PRECISION);
    if p != precision {
        return Err(Error::decoding(format!(
            "the JPEG stream has {p}-bit samples, but the TIFF declares {precision} bits per sample"
        )));
    }
    if hd.get(tj::TJPARAM_TJPARAM_LOSSLESS) != 0 {
        return Err(Error::decoding("lossless JPEG in TIFF is not supported"));
    }
    match (jw, jh) {
        (w, h) if w <= max_w && h <= max_h => Ok((w, h)),
        _ => Err(Error::decoding(format!(
            "JPEG frame {jw}×{jh} does not fit its {max_w}×{max_h} segment"
        ))),
    }
}

/// Decodes one 8-bit JPEG stream (a strip or tile with the JPEGTables joined in) of at most
/// `max_w × max_h` pixels to `channels` interleaved bytes per pixel: 1 gray, 3 RGB (from YCbCr
/// or RGB JPEGs), 4 CMYK. Returns the bytes (`h × w × channels`) and the frame's (w, h).
/// libjpeg-turbo's default (ISLOW, fancy upsampling) decode: tifffile's pixels exactly.
pub(crate) fn decode8(
    stream: &[u8],
    channels: usize,
    max_w: usize,
    max_h: usize,
) -> Result<(Vec<u8>, usize, usize)> {
    let pf = match channels {
        1 => PixelFormat::Gray,
        3 => PixelFormat::Rgb,
        4 => PixelFormat::Cmyk,
        n => return Err(Error::decoding(format!("JPEG with {n} channels"))),
    };
    let mut hd = Handle::new(Init::Decompress).map_err(setup)?;
    let (w, h) = open_frame(&mut hd, stream, 8, max_w, max_h)?;
    let mut out = vec![0u8; w * h * channels];
    hd.decompress8(stream, &mut out, pf).map_err(derr)?;
    Ok((out, w, h))
}

/// Decodes one 12-bit JPEG stream (a strip or tile, with the page's JPEGTables already joined
/// in) of at most `max_w × max_h` pixels and `spp` samples (1 gray, 3 → RGB from YCbCr) to
/// native-endian u16 sample bytes, `jh × jw × spp` of them, with the JPEG's own (width, height).
///
/// A stream whose frame is larger than its segment (a hostile header) is refused before any
/// pixel buffer is allocated; libjpeg-turbo's own memory and scan limits are set too. Warnings
/// (corrupt entropy-coded data, a premature end) are errors: a damaged strip is never silently
/// filled in.
pub(crate) fn decode12(
    stream: &[u8],
    spp: usize,
    max_w: usize,
    max_h: usize,
) -> Result<(Vec<u8>, usize, usize)> {
    let pf = pixel_format(spp).ok_or_else(|| {
        Error::decoding(format!(
            "12-bit JPEG with {spp} samples per pixel is not supported (gray or RGB/YCbCr only)"
        ))
    })?;
    let mut hd = Handle::new(Init::Decompress).map_err(setup)?;
    let (w, h) = open_frame(&mut hd, stream, 12, max_w, max_h)?;
    let jpeg_gray = hd.get(tj::TJPARAM_TJPARAM_COLORSPACE) == tj::TJCS_TJCS_GRAY as c_int;
    if (spp == 1) != jpeg_gray {
        return Err(Error::decoding(format!(
            "the JPEG stream has {} components, the TIFF {spp} samples per pixel",
            if jpeg_gray { "1" } else { "several" }
        )));
    }
    let mut out = vec![0i16; w * h * spp];
    hd.decompress12(stream, &mut out, pf).map_err(derr)?;
    let bytes: Vec<u8> = out
        .iter()
        .flat_map(|&v| (v.clamp(0, 4095) as u16).to_ne_bytes())
        .collect();
    Ok((bytes, w, h))
}

/// Encodes one strip or tile of `rows × width × spp` native-endian u16 samples, given as bytes
/// (each ≤ 4095; checked), as a complete 12-bit (extended sequential, optimized Huffman) JPEG
/// stream: gray, or RGB stored as YCbCr with the (h, v) luma `subsampling`, at `quality`
/// (1..=100), like imagecodecs' `jpeg8_encode(bitspersample=12)`.
pub(crate) fn encode12(
    src: &[u8],
    width: usize,
    rows: usize,
    spp: usize,
    quality: u8,
    subsampling: (u8, u8),
) -> Result<Vec<u8>> {
    let pf = pixel_format(spp).ok_or_else(|| {
        Error::encoding(format!(
            "12-bit JPEG needs 1 (grayscale) or 3 (RGB) samples per pixel, not {spp}"
        ))
    })?;
    let samples: Vec<u16> = src
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    let pitch = width * spp;
    if samples.len() != pitch * rows || width == 0 || rows == 0 {
        return Err(Error::encoding("12-bit JPEG: segment size disagreement"));
    }
    if let Some(v) = samples.iter().find(|&&v| v > 4095) {
        return Err(Error::invalid_argument(format!(
            "12-bit JPEG holds values 0..4095, the data have {v}"
        )));
    }
    if width > 65535 || rows > 65535 {
        return Err(Error::encoding(format!(
            "a JPEG segment must be 1..65535 pixels wide and high, not {width}x{rows}"
        )));
    }
    let mut hd = Handle::new(Init::Compress).map_err(setup)?;
    hd.set(
        tj::TJPARAM_TJPARAM_QUALITY,
        c_int::from(quality.clamp(1, 100)),
    )
    .map_err(setup)?;
    let subsamp = match (spp, subsampling) {
        (1, _) => tj::TJSAMP_TJSAMP_GRAY,
        (_, (1, 1)) => tj::TJSAMP_TJSAMP_444,
        (_, (2, 1)) => tj::TJSAMP_TJSAMP_422,
        (_, (2, 2)) => tj::TJSAMP_TJSAMP_420,
        (_, (4, 1)) => tj::TJSAMP_TJSAMP_411,
        (_, s) => {
            return Err(Error::invalid_argument(format!(
                "invalid JPEG subsampling {s:?}"
            )));
        }
    };
    hd.set(tj::TJPARAM_TJPARAM_SUBSAMP, subsamp)
        .map_err(setup)?;
    hd.set(tj::TJPARAM_TJPARAM_PRECISION, 12).map_err(setup)?;
    let src: Vec<i16> = samples.iter().map(|&v| v as i16).collect();
    hd.compress12(&src, width, rows, pf)
        .map_err(|e| Error::encoding(format!("JPEG (libjpeg-turbo): {e}")))
}
