//! A small safe wrapper of libjpeg-turbo's TurboJPEG 3 API, for the opt-in `turbo` features of
//! `imageio-jpeg` (8-bit JPEG files) and `imageio-tiff` (8- and 12-bit JPEG strips and tiles).
//!
//! The library is libjpeg-turbo 3.1 from `turbojpeg-sys`, which builds the sources it vendors
//! with cmake + nasm and links them statically. This crate holds every `unsafe` block of those
//! two backends, so both stay `#![forbid(unsafe_code)]` in every build.
//!
//! Why the TurboJPEG API and not the libjpeg API: libjpeg reports errors by calling
//! `error_exit`, which must not return, so a binding has to `longjmp` or unwind out of C code;
//! both are hazardous across Rust frames. TurboJPEG catches libjpeg's errors itself, with a
//! `setjmp` in its own C frame, and returns `-1` with a message: no jump ever crosses a Rust
//! frame. Warnings (corrupt but decodable data, a truncated file filled with gray) are reported
//! the same way, flagged as warnings ([`TjError::warning`]).
//!
//! What makes the wrapper safe: every buffer handed to C is a live Rust slice, and its length is
//! checked against what the call reads or writes before the call. Decompression reads the frame
//! size from the data itself, and the output size cannot be changed by anything this API
//! exposes (no scaling factor, no cropping region). Buffers TurboJPEG allocates are copied out
//! and freed on every path.
//!
//! ```
//! use imageio_turbojpeg::{Handle, Init, PixelFormat, sys};
//!
//! let (w, h) = (16, 8);
//! let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
//! let mut enc = Handle::new(Init::Compress)?;
//! enc.set(sys::TJPARAM_TJPARAM_QUALITY, 90)?;
//! enc.set(sys::TJPARAM_TJPARAM_SUBSAMP, sys::TJSAMP_TJSAMP_444)?;
//! let jpeg = enc.compress8(&rgb, w, h, PixelFormat::Rgb)?;
//! assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
//!
//! let mut dec = Handle::new(Init::Decompress)?;
//! let (jw, jh) = dec.decompress_header(&jpeg)?;
//! assert_eq!((jw, jh), (w, h));
//! let mut out = vec![0u8; w * h * 3];
//! assert_eq!(dec.decompress8(&jpeg, &mut out, PixelFormat::Rgb)?, (w, h));
//! let max = rgb.iter().zip(&out).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
//! assert!(max < 40, "{max}");
//! # Ok::<(), imageio_turbojpeg::TjError>(())
//! ```

use std::ffi::{CStr, c_int};

pub use turbojpeg_sys as sys;

/// A failed TurboJPEG call: libjpeg-turbo's message, and whether it was only a warning (the
/// output is complete, possibly filled in where the data were damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TjError {
    /// libjpeg-turbo's message (`tj3GetErrorStr`), or this wrapper's when it refused the call.
    pub message: String,
    /// `true` for `TJERR_WARNING`.
    pub warning: bool,
}

impl TjError {
    fn refused(message: impl Into<String>) -> TjError {
        TjError {
            message: message.into(),
            warning: false,
        }
    }
}

/// What a [`Handle`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// `tj3Compress8` / `tj3Compress12`.
    Compress,
    /// `tj3DecompressHeader`, `tj3Decompress8` / `tj3Decompress12`.
    Decompress,
}

/// The packed pixel layouts the backends use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// One sample per pixel.
    Gray,
    /// Three samples per pixel, R G B.
    Rgb,
    /// Four samples per pixel, C M Y K as stored (Adobe files: inverted); libjpeg converts YCCK
    /// files to CMYK.
    Cmyk,
}

impl PixelFormat {
    /// Samples per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixelFormat::Gray => 1,
            PixelFormat::Rgb => 3,
            PixelFormat::Cmyk => 4,
        }
    }

    fn tjpf(self) -> c_int {
        match self {
            PixelFormat::Gray => sys::TJPF_TJPF_GRAY,
            PixelFormat::Rgb => sys::TJPF_TJPF_RGB,
            PixelFormat::Cmyk => sys::TJPF_TJPF_CMYK,
        }
    }
}

/// An owned TurboJPEG instance, destroyed on drop.
pub struct Handle {
    raw: sys::tjhandle,
    init: Init,
    /// The parameters set so far, replayed when the instance is reset.
    params: Vec<(sys::TJPARAM, c_int)>,
}

impl Handle {
    /// A new instance for compression or decompression.
    pub fn new(init: Init) -> Result<Handle, TjError> {
        Ok(Handle {
            raw: Self::init_raw(init)?,
            init,
            params: Vec::new(),
        })
    }

    fn init_raw(init: Init) -> Result<sys::tjhandle, TjError> {
        let kind = match init {
            Init::Compress => sys::TJINIT_TJINIT_COMPRESS,
            Init::Decompress => sys::TJINIT_TJINIT_DECOMPRESS,
        };
        // SAFETY: tj3Init has no preconditions; it returns NULL on failure (checked).
        let h = unsafe { sys::tj3Init(kind as c_int) };
        if h.is_null() {
            return Err(TjError::refused(
                "cannot create a TurboJPEG instance (out of memory?)",
            ));
        }
        Ok(h)
    }

    /// Replaces the instance with a fresh one with the same parameters. A header read that
    /// failed (an error, or a warning with `TJPARAM_STOPONWARNING`) leaves libjpeg inside the
    /// header, and the next call would go on from there ("two SOI markers").
    fn reset(&mut self) -> Result<(), TjError> {
        let fresh = Self::init_raw(self.init)?;
        // SAFETY: self.raw came from tj3Init and is destroyed exactly once, here; it is
        // replaced by the live fresh instance at once.
        unsafe { sys::tj3Destroy(self.raw) };
        self.raw = fresh;
        for (param, value) in std::mem::take(&mut self.params) {
            self.set(param, value)?;
        }
        Ok(())
    }

    /// Sets a `TJPARAM_*` parameter.
    pub fn set(&mut self, param: sys::TJPARAM, value: c_int) -> Result<(), TjError> {
        // SAFETY: self.raw is a live handle from tj3Init; tj3Set only reads its arguments.
        if unsafe { sys::tj3Set(self.raw, param as c_int, value) } != 0 {
            return Err(self.error());
        }
        self.params.retain(|&(p, _)| p != param);
        self.params.push((param, value));
        Ok(())
    }

    /// Reads a `TJPARAM_*` parameter (after [`Handle::decompress_header`]: the frame's width,
    /// height, precision, colour space, ...).
    pub fn get(&mut self, param: sys::TJPARAM) -> c_int {
        // SAFETY: self.raw is a live handle from tj3Init; tj3Get only reads it.
        unsafe { sys::tj3Get(self.raw, param as c_int) }
    }

    /// The last error of this instance, with its warning flag.
    fn error(&mut self) -> TjError {
        // SAFETY: self.raw is a live handle; tj3GetErrorStr returns NULL or a NUL-terminated
        // string owned by the instance (or static), valid until the next call on the instance.
        // It is copied out before anything else is called.
        let p = unsafe { sys::tj3GetErrorStr(self.raw) };
        let message = if p.is_null() {
            "unknown error".to_owned()
        } else {
            // SAFETY: p is non-null and NUL-terminated (see above).
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        };
        // SAFETY: self.raw is a live handle.
        let code = unsafe { sys::tj3GetErrorCode(self.raw) };
        TjError {
            message,
            warning: code == sys::TJERR_TJERR_WARNING as c_int,
        }
    }

    /// Reads the headers of the JPEG `data` into the instance and returns the frame's (width,
    /// height). Any failure is an `Err`, a warning with `warning` set. A read that stopped
    /// (an error, or a warning with `TJPARAM_STOPONWARNING` set) resets the instance, keeping
    /// the parameters set; [`Handle::decompress_header_lenient`] reads through warnings.
    pub fn decompress_header(&mut self, data: &[u8]) -> Result<(usize, usize), TjError> {
        // SAFETY: data is a live slice and its exact length is passed; tj3DecompressHeader only
        // reads it.
        let r =
            unsafe { sys::tj3DecompressHeader(self.raw, data.as_ptr(), data.len() as sys::size_t) };
        if r != 0 {
            let e = self.error();
            // without STOPONWARNING a warning does not interrupt the header: nothing to reset
            if !(e.warning && self.get(sys::TJPARAM_TJPARAM_STOPONWARNING) == 0) {
                self.reset()?;
            }
            return Err(e);
        }
        self.frame_size()
    }

    /// Reads the headers of `data` like [`Handle::decompress_header`], going on past warnings
    /// whatever `TJPARAM_STOPONWARNING` says (which is kept for the decompression).
    pub fn decompress_header_lenient(&mut self, data: &[u8]) -> Result<(usize, usize), TjError> {
        match self.decompress_header(data) {
            Err(e) if e.warning => {
                let stop = self.get(sys::TJPARAM_TJPARAM_STOPONWARNING);
                self.set(sys::TJPARAM_TJPARAM_STOPONWARNING, 0)?;
                let size = match self.decompress_header(data) {
                    // read through: the warning is all there was to say
                    Err(e) if e.warning => self.frame_size(),
                    r => r,
                };
                self.set(sys::TJPARAM_TJPARAM_STOPONWARNING, stop)?;
                size
            }
            r => r,
        }
    }

    fn frame_size(&mut self) -> Result<(usize, usize), TjError> {
        let (w, h) = (
            self.get(sys::TJPARAM_TJPARAM_JPEGWIDTH),
            self.get(sys::TJPARAM_TJPARAM_JPEGHEIGHT),
        );
        match (usize::try_from(w), usize::try_from(h)) {
            (Ok(w), Ok(h)) if w > 0 && h > 0 => Ok((w, h)),
            _ => Err(TjError::refused(format!("invalid JPEG frame size {w}×{h}"))),
        }
    }

    /// Reads the frame size of `data` and checks that `len` samples are exactly that frame in
    /// `format` (rows of `width × format.channels()` samples, no padding); returns the frame's
    /// (width, height) and the row length as a C int.
    fn check_output(
        &mut self,
        data: &[u8],
        len: usize,
        format: PixelFormat,
    ) -> Result<((usize, usize), c_int), TjError> {
        // The frame size comes from the data the decompression will read.
        let (w, h) = self.decompress_header_lenient(data)?;
        let row = w
            .checked_mul(format.channels())
            .ok_or_else(|| TjError::refused("JPEG row too long"))?;
        match row.checked_mul(h) {
            Some(n) if n == len => {}
            Some(n) if n < len => {
                return Err(TjError::refused(format!(
                    "output buffer of {len} samples is larger than the {w}×{h} frame of {} \
                     samples per pixel ({n} samples)",
                    format.channels()
                )));
            }
            _ => {
                return Err(TjError::refused(format!(
                    "output buffer of {len} samples cannot hold a {w}×{h} frame of {} samples \
                     per pixel",
                    format.channels()
                )));
            }
        }
        let row = c_int::try_from(row).map_err(|_| TjError::refused("JPEG row too long"))?;
        Ok(((w, h), row))
    }

    /// Decompresses the 8-bit JPEG `data` into `out` with the instance's parameters (by default
    /// libjpeg's ISLOW IDCT and fancy upsampling) and returns the frame's (width, height). `out`
    /// must be exactly the frame: `width × height × format.channels()` bytes, checked against
    /// the frame header of `data` before anything is decoded.
    pub fn decompress8(
        &mut self,
        data: &[u8],
        out: &mut [u8],
        format: PixelFormat,
    ) -> Result<(usize, usize), TjError> {
        self.decompress(data, out, format, sys::tj3Decompress8)
    }

    /// Like [`Handle::decompress8`] for JPEG data of 9 to 12 bits per sample (`i16` samples).
    pub fn decompress12(
        &mut self,
        data: &[u8],
        out: &mut [i16],
        format: PixelFormat,
    ) -> Result<(usize, usize), TjError> {
        self.decompress(data, out, format, sys::tj3Decompress12)
    }

    /// [`Handle::decompress8`] or [`Handle::decompress12`], by `f` (whose signature ties the
    /// sample type `T` to the precision).
    fn decompress<T>(
        &mut self,
        data: &[u8],
        out: &mut [T],
        format: PixelFormat,
        f: DecompressFn<T>,
    ) -> Result<(usize, usize), TjError> {
        let (size, row) = self.check_output(data, out.len(), format)?;
        // SAFETY: data is a live slice with its exact length. out is an exclusively borrowed
        // buffer of exactly h rows of w × channels samples of type T (what f writes:
        // tj3Decompress8 u8, tj3Decompress12 i16, the pitch counted in samples), for the w × h
        // frame the header of this same data declares (just checked); libjpeg-turbo writes h
        // rows of that length (this API sets no scaling or cropping). Errors are caught by
        // TurboJPEG's setjmp in C and returned as -1.
        let r = unsafe {
            f(
                self.raw,
                data.as_ptr(),
                data.len() as sys::size_t,
                out.as_mut_ptr(),
                row,
                format.tjpf(),
            )
        };
        if r != 0 {
            return Err(self.error());
        }
        Ok(size)
    }

    /// Embeds `icc` in the next compressed image (TurboJPEG copies it).
    pub fn set_icc_profile(&mut self, icc: &[u8]) -> Result<(), TjError> {
        // SAFETY: icc is a live slice with its exact length; TurboJPEG copies it (the pointer
        // is declared mutable but only read).
        let r = unsafe {
            sys::tj3SetICCProfile(self.raw, icc.as_ptr().cast_mut(), icc.len() as sys::size_t)
        };
        if r != 0 {
            return Err(self.error());
        }
        Ok(())
    }

    /// Checks a source image of `len` samples against `width × height` unpadded pixels; returns
    /// (width, row length, height) as C ints.
    fn check_source(
        len: usize,
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<(c_int, c_int, c_int), TjError> {
        let row = width.checked_mul(format.channels());
        let exact = row.and_then(|r| r.checked_mul(height)) == Some(len);
        if width == 0 || height == 0 || !exact {
            return Err(TjError::refused(format!(
                "source buffer of {len} samples is not {width}×{height} pixels of {} samples",
                format.channels()
            )));
        }
        match (
            c_int::try_from(width),
            row.map(c_int::try_from),
            c_int::try_from(height),
        ) {
            (Ok(w), Some(Ok(p)), Ok(h)) => Ok((w, p, h)),
            _ => Err(TjError::refused("image too large for TurboJPEG")),
        }
    }

    /// Compresses `width × height` 8-bit pixels (unpadded rows, `src` exactly the image) into a
    /// complete JPEG file with the instance's parameters.
    pub fn compress8(
        &mut self,
        src: &[u8],
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<Vec<u8>, TjError> {
        self.compress(src, (width, height), format, sys::tj3Compress8)
    }

    /// Like [`Handle::compress8`] for samples of 9 to 12 bits (`i16`; the precision is
    /// `TJPARAM_PRECISION`, 12 by default).
    pub fn compress12(
        &mut self,
        src: &[i16],
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<Vec<u8>, TjError> {
        self.compress(src, (width, height), format, sys::tj3Compress12)
    }

    /// [`Handle::compress8`] or [`Handle::compress12`], by `f` (whose signature ties the
    /// sample type `T` to the precision).
    fn compress<T>(
        &mut self,
        src: &[T],
        (width, height): (usize, usize),
        format: PixelFormat,
        f: CompressFn<T>,
    ) -> Result<Vec<u8>, TjError> {
        let (w, p, h) = Self::check_source(src.len(), width, height, format)?;
        // TurboJPEG must allocate (and grow) the output buffer itself: NOREALLOC off.
        self.set(sys::TJPARAM_TJPARAM_NOREALLOC, 0)?;
        let mut buf = TjBuf::default();
        // SAFETY: src is a live slice of exactly height rows of width × channels samples of
        // type T (what f reads; checked above), which is what libjpeg-turbo reads for this pixel
        // format and pitch. buf.ptr starts NULL and NOREALLOC is off, so TurboJPEG allocates the
        // output (tj3Alloc) and stores its pointer and length in buf, which frees it on drop.
        let r = unsafe {
            f(
                self.raw,
                src.as_ptr(),
                w,
                p,
                h,
                format.tjpf(),
                &mut buf.ptr,
                &mut buf.len,
            )
        };
        if r != 0 {
            return Err(self.error());
        }
        buf.to_vec()
    }
}

/// `tj3Decompress8` / `tj3Decompress12`.
type DecompressFn<T> =
    unsafe extern "C" fn(sys::tjhandle, *const u8, sys::size_t, *mut T, c_int, c_int) -> c_int;

/// `tj3Compress8` / `tj3Compress12`.
type CompressFn<T> = unsafe extern "C" fn(
    sys::tjhandle,
    *const T,
    c_int,
    c_int,
    c_int,
    c_int,
    *mut *mut u8,
    *mut sys::size_t,
) -> c_int;

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: self.raw came from tj3Init and is destroyed exactly once, here.
        unsafe { sys::tj3Destroy(self.raw) }
    }
}

/// An output buffer allocated by TurboJPEG (tj3Alloc inside a compression call), freed on drop.
struct TjBuf {
    ptr: *mut u8,
    len: sys::size_t,
}

impl Default for TjBuf {
    fn default() -> TjBuf {
        TjBuf {
            ptr: std::ptr::null_mut(),
            len: 0,
        }
    }
}

impl TjBuf {
    /// A copy of the compressed bytes; only called after a successful compression.
    fn to_vec(&self) -> Result<Vec<u8>, TjError> {
        if self.ptr.is_null() {
            return Err(TjError::refused("TurboJPEG returned no output buffer"));
        }
        let len = usize::try_from(self.len)
            .map_err(|_| TjError::refused("TurboJPEG output too large"))?;
        // SAFETY: after a successful compression ptr points to len initialised bytes that
        // TurboJPEG allocated; they stay alive until self is dropped (after the copy).
        Ok(unsafe { std::slice::from_raw_parts(self.ptr, len) }.to_vec())
    }
}

impl Drop for TjBuf {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: ptr was allocated by TurboJPEG (tj3Alloc) and is freed exactly once, here.
            unsafe { sys::tj3Free(self.ptr.cast()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb_jpeg(w: usize, h: usize) -> Vec<u8> {
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 256) as u8).collect();
        let mut enc = Handle::new(Init::Compress).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_QUALITY, 95).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_SUBSAMP, sys::TJSAMP_TJSAMP_420)
            .unwrap();
        enc.compress8(&px, w, h, PixelFormat::Rgb).unwrap()
    }

    fn gray_jpeg(w: usize, h: usize) -> Vec<u8> {
        let px: Vec<u8> = (0..w * h).map(|i| (i % 256) as u8).collect();
        let mut enc = Handle::new(Init::Compress).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_QUALITY, 95).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_SUBSAMP, sys::TJSAMP_TJSAMP_GRAY)
            .unwrap();
        enc.compress8(&px, w, h, PixelFormat::Gray).unwrap()
    }

    #[test]
    fn output_not_the_frame_is_refused_before_decoding() {
        let jpeg = gray_jpeg(32, 16);
        let mut dec = Handle::new(Init::Decompress).unwrap();
        let mut out = vec![0u8; 32 * 16 - 1];
        let e = dec
            .decompress8(&jpeg, &mut out, PixelFormat::Gray)
            .unwrap_err();
        assert!(e.message.contains("cannot hold a 32×16 frame"), "{e}");
        // a buffer larger than the frame is refused too (a frame smaller than the caller
        // expected would leave part of it undecoded)
        let mut out = vec![0u8; 32 * 16 * 3];
        let e = dec
            .decompress8(&jpeg, &mut out, PixelFormat::Gray)
            .unwrap_err();
        assert!(!e.warning);
        assert!(e.message.contains("larger than the 32×16 frame"), "{e}");
        // an RGB request needs three samples per pixel
        let mut out = vec![0u8; 32 * 16];
        assert!(dec.decompress8(&jpeg, &mut out, PixelFormat::Rgb).is_err());
        let mut out = vec![0u8; 32 * 16];
        assert_eq!(
            dec.decompress8(&jpeg, &mut out, PixelFormat::Gray).unwrap(),
            (32, 16)
        );
    }

    /// A header read stopped by a warning must not leave libjpeg inside the header: the next
    /// read of the same instance starts afresh (it used to fail with "two SOI markers").
    #[test]
    fn a_header_warning_leaves_the_instance_usable() {
        let mut jpeg = rgb_jpeg(16, 8);
        // the JFIF APP0 replaced by an Adobe APP14 with the unknown transform 7: libjpeg warns
        assert_eq!(jpeg[2..4], [0xFF, 0xE0]);
        let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
        let mut app14 = vec![0xFF, 0xEE, 0, 14];
        app14.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x07");
        jpeg.splice(2..app0_end, app14);
        let mut dec = Handle::new(Init::Decompress).unwrap();
        dec.set(sys::TJPARAM_TJPARAM_STOPONWARNING, 1).unwrap();
        let e = dec.decompress_header(&jpeg).unwrap_err();
        assert!(e.warning, "{e}");
        assert!(e.message.contains("Adobe"), "{e}");
        assert_eq!(dec.decompress_header_lenient(&jpeg).unwrap(), (16, 8));
        assert_eq!(dec.get(sys::TJPARAM_TJPARAM_STOPONWARNING), 1);
        let mut out = vec![0u8; 16 * 8 * 3];
        let e = dec
            .decompress8(&jpeg, &mut out, PixelFormat::Rgb)
            .unwrap_err();
        assert!(e.warning && e.message.contains("Adobe"), "{e}");
        // without stopping, the image is decoded and the warning still reported
        dec.set(sys::TJPARAM_TJPARAM_STOPONWARNING, 0).unwrap();
        out.fill(0);
        let e = dec
            .decompress8(&jpeg, &mut out, PixelFormat::Rgb)
            .unwrap_err();
        assert!(e.warning, "{e}");
        assert!(out.iter().any(|&v| v != 0));
    }

    #[test]
    fn short_sources_are_refused() {
        let mut enc = Handle::new(Init::Compress).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_QUALITY, 90).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_SUBSAMP, sys::TJSAMP_TJSAMP_GRAY)
            .unwrap();
        let px = vec![0u8; 10 * 10 - 1];
        assert!(enc.compress8(&px, 10, 10, PixelFormat::Gray).is_err());
        assert!(enc.compress8(&px, 0, 10, PixelFormat::Gray).is_err());
        let px = vec![0i16; 10 * 10];
        assert!(enc.compress12(&px, 10, 11, PixelFormat::Gray).is_err());
        let ok = enc.compress12(&px, 10, 10, PixelFormat::Gray);
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn garbage_is_an_error_with_libjpeg_turbo_s_message() {
        let mut dec = Handle::new(Init::Decompress).unwrap();
        let e = dec.decompress_header(b"not a jpeg").unwrap_err();
        assert!(!e.warning);
        assert!(!e.message.is_empty());
        let mut out = vec![0u8; 64];
        assert!(
            dec.decompress8(b"not a jpeg", &mut out, PixelFormat::Gray)
                .is_err()
        );
    }

    #[test]
    fn twelve_bit_round_trip() {
        let (w, h) = (24, 8);
        let px: Vec<i16> = (0..w * h).map(|i| (i * 17 % 4096) as i16).collect();
        let mut enc = Handle::new(Init::Compress).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_PRECISION, 12).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_QUALITY, 100).unwrap();
        enc.set(sys::TJPARAM_TJPARAM_SUBSAMP, sys::TJSAMP_TJSAMP_GRAY)
            .unwrap();
        let jpeg = enc.compress12(&px, w, h, PixelFormat::Gray).unwrap();
        let mut dec = Handle::new(Init::Decompress).unwrap();
        assert_eq!(dec.decompress_header(&jpeg).unwrap(), (w, h));
        assert_eq!(dec.get(sys::TJPARAM_TJPARAM_PRECISION), 12);
        let mut out = vec![0i16; w * h];
        dec.decompress12(&jpeg, &mut out, PixelFormat::Gray)
            .unwrap();
        let max = px
            .iter()
            .zip(&out)
            .map(|(a, b)| (a - b).abs())
            .max()
            .unwrap();
        assert!(max < 64, "{max}");
        // 8-bit decompression of 12-bit data is libjpeg-turbo's error, not a wrong image
        let mut out8 = vec![0u8; w * h];
        assert!(
            dec.decompress8(&jpeg, &mut out8, PixelFormat::Gray)
                .is_err()
        );
    }
}
