//! The opt-in `turbo` backend: libjpeg-turbo 3.1 through its TurboJPEG 3 API (`turbojpeg-sys`,
//! which builds the vendored library with cmake + nasm and links it statically).
//!
//! Why the TurboJPEG API and not the libjpeg API: libjpeg reports errors by calling
//! `error_exit`, which must not return, so a binding has to `longjmp` or unwind out of C code;
//! both are hazardous across Rust frames. TurboJPEG catches libjpeg errors itself, with a
//! `setjmp` in its own C frame, and returns `-1` with a message: no jump ever crosses a Rust
//! frame. Warnings (corrupt but decodable data, a truncated file filled with gray) are reported
//! the same way with the error code `TJERR_WARNING` after the image has been fully produced.
//!
//! Everything here is a thin safe wrapper: every buffer handed to C is a live Rust slice whose
//! length was checked against what the call will touch.

use std::ffi::{CStr, c_int};

use imageio_core::{Error, Result};
use turbojpeg_sys as tj;

/// Pixel layouts this crate asks libjpeg-turbo for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Gray,
    Rgb,
    /// CMYK as stored (Adobe files: inverted); YCCK files are converted to CMYK by libjpeg.
    Cmyk,
}

impl Format {
    fn tjpf(self) -> c_int {
        match self {
            Format::Gray => tj::TJPF_TJPF_GRAY,
            Format::Rgb => tj::TJPF_TJPF_RGB,
            Format::Cmyk => tj::TJPF_TJPF_CMYK,
        }
    }

    pub fn channels(self) -> usize {
        match self {
            Format::Gray => 1,
            Format::Rgb => 3,
            Format::Cmyk => 4,
        }
    }
}

/// An owned TurboJPEG instance, destroyed on drop.
struct Handle(tj::tjhandle);

impl Handle {
    fn new(kind: tj::TJINIT) -> Result<Handle> {
        // SAFETY: tj3Init has no preconditions; it returns NULL on failure (checked).
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
        // SAFETY: self.0 is a live handle from tj3Init.
        unsafe { tj::tj3Get(self.0, param as c_int) }
    }

    /// The last error or warning message of this instance.
    fn message(&mut self) -> String {
        // SAFETY: self.0 is a live handle; tj3GetErrorStr returns a pointer to a NUL-terminated
        // string owned by the instance (or a static one), valid until the next call on it. It is
        // copied out before anything else is called.
        let p = unsafe { tj::tj3GetErrorStr(self.0) };
        if p.is_null() {
            return "unknown error".into();
        }
        // SAFETY: p is non-null and NUL-terminated (see above).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    /// True when the last failure was only a warning (the output is complete).
    fn last_was_warning(&mut self) -> bool {
        // SAFETY: self.0 is a live handle.
        let code = unsafe { tj::tj3GetErrorCode(self.0) };
        code == tj::TJERR_TJERR_WARNING as c_int
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: self.0 came from tj3Init and is destroyed exactly once, here.
        unsafe { tj::tj3Destroy(self.0) }
    }
}

/// Decompresses `data` (an 8-bit JPEG of `w × h` pixels, already checked by the caller) into
/// `out`, which must hold exactly `h × w × format.channels()` bytes. Default libjpeg settings,
/// like Pillow: ISLOW integer IDCT, fancy upsampling.
///
/// With `strict`, libjpeg's warnings (corrupt entropy-coded data, a premature end of the file)
/// are errors; without it they are ignored and the damaged part is what libjpeg fills in (gray
/// for missing data), like Pillow's `LOAD_TRUNCATED_IMAGES = True`.
pub(crate) fn decompress(
    data: &[u8],
    w: usize,
    h: usize,
    format: Format,
    strict: bool,
    out: &mut [u8],
) -> Result<()> {
    let mut hd = Handle::new(tj::TJINIT_TJINIT_DECOMPRESS)?;
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, c_int::from(strict))?;
    // a hostile progressive file can hold thousands of tiny scans, each a pass over the whole
    // coefficient buffer: refuse more than libjpeg-turbo's own tools recommend
    hd.set(tj::TJPARAM_TJPARAM_SCANLIMIT, 500)?;
    let derr = |hd: &mut Handle| Error::decoding(format!("JPEG (libjpeg-turbo): {}", hd.message()));
    // SAFETY: data is a live slice and its exact length is passed; tj3DecompressHeader only
    // reads it.
    let r = unsafe { tj::tj3DecompressHeader(hd.0, data.as_ptr(), data.len() as tj::size_t) };
    if r != 0 && !hd.last_was_warning() {
        return Err(derr(&mut hd));
    }
    let (jw, jh) = (
        hd.get(tj::TJPARAM_TJPARAM_JPEGWIDTH),
        hd.get(tj::TJPARAM_TJPARAM_JPEGHEIGHT),
    );
    if usize::try_from(jw).ok() != Some(w) || usize::try_from(jh).ok() != Some(h) {
        return Err(Error::decoding(format!(
            "JPEG frame size disagreement ({jw}×{jh} vs {w}×{h})"
        )));
    }
    let pitch = w * format.channels();
    if out.len() != pitch * h {
        return Err(Error::decoding("JPEG output size disagreement"));
    }
    let pitch_c = c_int::try_from(pitch).map_err(|_| Error::decoding("JPEG row too long"))?;
    let mut run = |hd: &mut Handle| {
        // SAFETY: data is a live slice with its exact length; out is a live, exclusively
        // borrowed buffer of exactly pitch × h bytes, and the header just read says the image
        // is w × h, so libjpeg-turbo writes h rows of pitch bytes (w pixels of
        // format.channels() bytes: no scaling or cropping is set). Errors are caught by
        // TurboJPEG's own setjmp in C.
        unsafe {
            tj::tj3Decompress8(
                hd.0,
                data.as_ptr(),
                data.len() as tj::size_t,
                out.as_mut_ptr(),
                pitch_c,
                format.tjpf(),
            )
        }
    };
    if run(&mut hd) == 0 {
        return Ok(());
    }
    if !hd.last_was_warning() {
        return Err(derr(&mut hd));
    }
    if !strict {
        return Ok(());
    }
    // Strict: the first warning stopped decoding. Junk bytes before a marker (often after the
    // last scan) lose no data, and Pillow and the default build accept such files: decode again
    // without stopping and accept when the last warning is of that kind too.
    if !is_extraneous(&hd.message()) {
        return Err(derr(&mut hd));
    }
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, 0)?;
    if run(&mut hd) == 0 || (hd.last_was_warning() && is_extraneous(&hd.message())) {
        return Ok(());
    }
    Err(derr(&mut hd))
}

/// libjpeg's `JWRN_EXTRANEOUS_DATA` warning.
fn is_extraneous(message: &str) -> bool {
    message.contains("extraneous bytes before marker")
}

/// Encoder settings for one call of [`compress`].
pub(crate) struct Compress<'s> {
    pub quality: u8,
    /// `None` for gray input, else (h, v) luma sampling factors: (1,1) 4:4:4, (2,1) 4:2:2, (2,2) 4:2:0.
    pub sampling: Option<(u8, u8)>,
    pub progressive: bool,
    pub optimize: bool,
    pub restart_interval: Option<u16>,
    pub dpi: Option<(u16, u16)>,
    pub icc: Option<&'s [u8]>,
}

/// Compresses `pixels` (`h × w`, gray or RGB, C order) into a complete JPEG file.
pub(crate) fn compress(pixels: &[u8], w: usize, h: usize, s: &Compress<'_>) -> Result<Vec<u8>> {
    let format = if s.sampling.is_some() {
        Format::Rgb
    } else {
        Format::Gray
    };
    let pitch = w * format.channels();
    if pixels.len() != pitch * h {
        return Err(Error::encoding("JPEG: pixel buffer size disagreement"));
    }
    let mut hd = Handle::new(tj::TJINIT_TJINIT_COMPRESS)?;
    hd.set(tj::TJPARAM_TJPARAM_QUALITY, c_int::from(s.quality))?;
    let subsamp = match s.sampling {
        None => tj::TJSAMP_TJSAMP_GRAY,
        Some((1, 1)) => tj::TJSAMP_TJSAMP_444,
        Some((2, 1)) => tj::TJSAMP_TJSAMP_422,
        Some(_) => tj::TJSAMP_TJSAMP_420,
    };
    hd.set(tj::TJPARAM_TJPARAM_SUBSAMP, subsamp)?;
    hd.set(tj::TJPARAM_TJPARAM_PROGRESSIVE, c_int::from(s.progressive))?;
    hd.set(tj::TJPARAM_TJPARAM_OPTIMIZE, c_int::from(s.optimize))?;
    if let Some(n) = s.restart_interval {
        hd.set(tj::TJPARAM_TJPARAM_RESTARTBLOCKS, c_int::from(n))?;
    }
    if let Some((x, y)) = s.dpi {
        hd.set(tj::TJPARAM_TJPARAM_XDENSITY, c_int::from(x))?;
        hd.set(tj::TJPARAM_TJPARAM_YDENSITY, c_int::from(y))?;
        hd.set(tj::TJPARAM_TJPARAM_DENSITYUNITS, 1)?;
    }
    if let Some(icc) = s.icc {
        // SAFETY: icc is a live slice with its exact length; TurboJPEG copies it (the pointer
        // is declared mutable but only read).
        let r =
            unsafe { tj::tj3SetICCProfile(hd.0, icc.as_ptr().cast_mut(), icc.len() as tj::size_t) };
        if r != 0 {
            return Err(Error::encoding(format!(
                "JPEG ICC profile: {}",
                hd.message()
            )));
        }
    }
    let (wc, hc, pc) = match (
        c_int::try_from(w),
        c_int::try_from(h),
        c_int::try_from(pitch),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        _ => return Err(Error::encoding("JPEG: image too large")),
    };
    let mut buf: *mut u8 = std::ptr::null_mut();
    let mut size: tj::size_t = 0;
    // SAFETY: pixels is a live slice of exactly pitch × h bytes (checked above), which is what
    // libjpeg-turbo reads for a w × h image of this pixel format. buf starts NULL, so TurboJPEG
    // allocates the output with tj3Alloc and stores its pointer and length in buf and size.
    let r = unsafe {
        tj::tj3Compress8(
            hd.0,
            pixels.as_ptr(),
            wc,
            pc,
            hc,
            format.tjpf(),
            &mut buf,
            &mut size,
        )
    };
    let out = if r == 0 && !buf.is_null() {
        // SAFETY: on success buf points to `size` initialised bytes allocated by TurboJPEG
        // (on failure `size` may not describe the buffer, so nothing is read then).
        unsafe { std::slice::from_raw_parts(buf, size as usize) }.to_vec()
    } else {
        Vec::new()
    };
    if !buf.is_null() {
        // SAFETY: buf was allocated by TurboJPEG (tj3Alloc) and is freed exactly once.
        unsafe { tj::tj3Free(buf.cast()) };
    }
    if r != 0 {
        return Err(Error::encoding(format!(
            "JPEG (libjpeg-turbo): {}",
            hd.message()
        )));
    }
    Ok(out)
}
