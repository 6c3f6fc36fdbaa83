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
//! Every buffer handed to C is a live Rust slice whose length was checked against what the call
//! reads or writes; the TurboJPEG instance and the encoder's output buffer are owned by small
//! RAII wrappers and freed on every path.

use std::ffi::{CStr, c_int};

use imageio_core::{Error, Result};
use turbojpeg_sys as tj;

/// An owned TurboJPEG instance, destroyed on drop.
struct Handle(tj::tjhandle);

impl Handle {
    fn new(kind: tj::TJINIT) -> Result<Handle> {
        // SAFETY: tj3Init has no preconditions; it returns NULL on failure (checked below).
        let h = unsafe { tj::tj3Init(kind as c_int) };
        if h.is_null() {
            return Err(Error::io(std::io::Error::other(
                "libjpeg-turbo: cannot create a TurboJPEG instance (out of memory?)",
            )));
        }
        Ok(Handle(h))
    }

    fn set(&mut self, param: tj::TJPARAM, value: c_int) -> Result<()> {
        // SAFETY: self.0 is a live handle from tj3Init; tj3Set only reads its arguments.
        if unsafe { tj::tj3Set(self.0, param as c_int, value) } != 0 {
            return Err(Error::invalid_argument(format!(
                "libjpeg-turbo: {}",
                self.message()
            )));
        }
        Ok(())
    }

    fn get(&mut self, param: tj::TJPARAM) -> c_int {
        // SAFETY: self.0 is a live handle from tj3Init; tj3Get only reads it.
        unsafe { tj::tj3Get(self.0, param as c_int) }
    }

    /// The last error (or warning) message of this instance.
    fn message(&mut self) -> String {
        // SAFETY: self.0 is a live handle; tj3GetErrorStr returns NULL or a NUL-terminated string
        // owned by the instance (or static), valid until the next call on the instance. It is
        // copied out at once.
        let p = unsafe { tj::tj3GetErrorStr(self.0) };
        if p.is_null() {
            return "unknown error".into();
        }
        // SAFETY: p is non-null and NUL-terminated (see above).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: self.0 came from tj3Init and is destroyed exactly once, here.
        unsafe { tj::tj3Destroy(self.0) }
    }
}

/// A JPEG buffer allocated by TurboJPEG (tj3Alloc), freed on drop.
struct TjBuf {
    ptr: *mut u8,
    len: tj::size_t,
}

impl Drop for TjBuf {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: ptr was allocated by TurboJPEG (tj3Alloc inside tj3Compress12) and is
            // freed exactly once, here.
            unsafe { tj::tj3Free(self.ptr.cast()) };
        }
    }
}

/// The TurboJPEG pixel format for `spp` interleaved samples (1 gray, 3 RGB).
fn pixel_format(spp: usize) -> Option<c_int> {
    match spp {
        1 => Some(tj::TJPF_TJPF_GRAY),
        3 => Some(tj::TJPF_TJPF_RGB),
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
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, 1)?;
    hd.set(tj::TJPARAM_TJPARAM_SCANLIMIT, 500)?;
    // the coefficient buffers of a progressive frame are bounded by the frame size checked
    // below; this caps what libjpeg-turbo may allocate for anything else (megabytes)
    hd.set(tj::TJPARAM_TJPARAM_MAXMEMORY, 256)?;
    // SAFETY: stream is a live slice and its exact length is passed; tj3DecompressHeader only
    // reads it.
    let r = unsafe { tj::tj3DecompressHeader(hd.0, stream.as_ptr(), stream.len() as tj::size_t) };
    if r != 0 {
        return Err(Error::decoding(format!(
            "JPEG (libjpeg-turbo): {}",
            hd.message()
        )));
    }
    let p = hd.get(tj::TJPARAM_TJPARAM_PRECISION);
    if p != precision {
        return Err(Error::decoding(format!(
            "the JPEG stream has {p}-bit samples, but the TIFF declares {precision} bits per sample"
        )));
    }
    if hd.get(tj::TJPARAM_TJPARAM_LOSSLESS) != 0 {
        return Err(Error::decoding("lossless JPEG in TIFF is not supported"));
    }
    let (jw, jh) = (
        hd.get(tj::TJPARAM_TJPARAM_JPEGWIDTH),
        hd.get(tj::TJPARAM_TJPARAM_JPEGHEIGHT),
    );
    match (usize::try_from(jw), usize::try_from(jh)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 && w <= max_w && h <= max_h => Ok((w, h)),
        _ => Err(Error::decoding(format!(
            "JPEG frame {jw}×{jh} does not fit its {max_w}×{max_h} segment"
        ))),
    }
}

/// The TurboJPEG decompression of one precision: `tj3Decompress8` (u8) or `tj3Decompress12`
/// (i16 samples).
type Decompress<T> =
    unsafe extern "C" fn(tj::tjhandle, *const u8, tj::size_t, *mut T, c_int, c_int) -> c_int;

/// Decodes the `w × h` frame whose header [`open_frame`] read into `hd` with `f`, to
/// `channels` interleaved samples per pixel in pixel format `pf` (which has that many);
/// libjpeg-turbo's errors (and, with STOPONWARNING, warnings) are errors.
fn decompress<T: Copy + Default>(
    hd: &mut Handle,
    stream: &[u8],
    (w, h): (usize, usize),
    channels: usize,
    pf: c_int,
    f: Decompress<T>,
) -> Result<Vec<T>> {
    let pitch = w * channels;
    let mut out = vec![T::default(); pitch * h];
    let pitch_c = c_int::try_from(pitch).map_err(|_| Error::decoding("JPEG row too long"))?;
    // SAFETY: stream is a live slice with its exact length; out is an exclusively borrowed buffer
    // of pitch × h samples of type T (f is tj3Decompress8 for u8 or tj3Decompress12 for i16),
    // and the header just read says the frame is w × h, so libjpeg-turbo writes h rows of pitch
    // samples (w pixels of `channels` samples in format pf; no scaling or cropping is set).
    // Errors are caught by TurboJPEG's setjmp in C and returned as -1.
    let r = unsafe {
        f(
            hd.0,
            stream.as_ptr(),
            stream.len() as tj::size_t,
            out.as_mut_ptr(),
            pitch_c,
            pf,
        )
    };
    if r != 0 {
        return Err(Error::decoding(format!(
            "JPEG (libjpeg-turbo): {}",
            hd.message()
        )));
    }
    Ok(out)
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
        1 => tj::TJPF_TJPF_GRAY,
        3 => tj::TJPF_TJPF_RGB,
        4 => tj::TJPF_TJPF_CMYK,
        n => return Err(Error::decoding(format!("JPEG with {n} channels"))),
    };
    let mut hd = Handle::new(tj::TJINIT_TJINIT_DECOMPRESS)?;
    let (w, h) = open_frame(&mut hd, stream, 8, max_w, max_h)?;
    let out = decompress(&mut hd, stream, (w, h), channels, pf, tj::tj3Decompress8)?;
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
    let mut hd = Handle::new(tj::TJINIT_TJINIT_DECOMPRESS)?;
    let (w, h) = open_frame(&mut hd, stream, 12, max_w, max_h)?;
    let jpeg_gray = hd.get(tj::TJPARAM_TJPARAM_COLORSPACE) == tj::TJCS_TJCS_GRAY as c_int;
    if (spp == 1) != jpeg_gray {
        return Err(Error::decoding(format!(
            "the JPEG stream has {} components, the TIFF {spp} samples per pixel",
            if jpeg_gray { "1" } else { "several" }
        )));
    }
    let out = decompress(&mut hd, stream, (w, h), spp, pf, tj::tj3Decompress12)?;
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
    let (wc, hc, pc) = match (
        c_int::try_from(width),
        c_int::try_from(rows),
        c_int::try_from(pitch),
    ) {
        (Ok(a), Ok(b), Ok(c)) if width <= 65535 && rows <= 65535 => (a, b, c),
        _ => {
            return Err(Error::encoding(format!(
                "a JPEG segment must be 1..65535 pixels wide and high, not {width}x{rows}"
            )));
        }
    };
    let mut hd = Handle::new(tj::TJINIT_TJINIT_COMPRESS)?;
    hd.set(
        tj::TJPARAM_TJPARAM_QUALITY,
        c_int::from(quality.clamp(1, 100)),
    )?;
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
    hd.set(tj::TJPARAM_TJPARAM_SUBSAMP, subsamp)?;
    hd.set(tj::TJPARAM_TJPARAM_PRECISION, 12)?;
    let src: Vec<i16> = samples.iter().map(|&v| v as i16).collect();
    let mut buf = TjBuf {
        ptr: std::ptr::null_mut(),
        len: 0,
    };
    // SAFETY: src is a live slice of exactly pitch × rows samples (checked above), which is what
    // libjpeg-turbo reads for a width × rows image of this pixel format. buf.ptr starts NULL, so
    // TurboJPEG allocates the output (tj3Alloc) and stores its pointer and length in buf, which
    // frees it on drop on every path.
    let r = unsafe {
        tj::tj3Compress12(
            hd.0,
            src.as_ptr(),
            wc,
            pc,
            hc,
            pf,
            &mut buf.ptr,
            &mut buf.len,
        )
    };
    if r != 0 || buf.ptr.is_null() {
        return Err(Error::encoding(format!(
            "JPEG (libjpeg-turbo): {}",
            hd.message()
        )));
    }
    // SAFETY: on success buf.ptr points to buf.len initialised bytes allocated by TurboJPEG,
    // alive until buf is dropped (after the copy).
    Ok(unsafe { std::slice::from_raw_parts(buf.ptr, buf.len as usize) }.to_vec())
}
