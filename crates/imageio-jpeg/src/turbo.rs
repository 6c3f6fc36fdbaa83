//! The opt-in `turbo` backend: libjpeg-turbo 3.1 through its TurboJPEG 3 API, with the safe
//! wrapper `imageio-turbojpeg` (shared with imageio-tiff; it holds every `unsafe` block and
//! explains why the TurboJPEG API and not libjpeg's). This module only chooses the settings
//! Pillow uses and maps libjpeg-turbo's errors and warnings to ours.

use std::ffi::c_int;

use imageio_core::{Error, Result};
use imageio_turbojpeg::{Handle, Init, TjError, sys as tj};

pub(crate) use imageio_turbojpeg::PixelFormat as Format;

fn setup(e: TjError) -> Error {
    Error::invalid_argument(format!("libjpeg-turbo: {e}"))
}

/// Decompresses `data` (an 8-bit JPEG) into `out`, which must be exactly its frame in `format`
/// (`h × w × format.channels()` bytes; anything else is refused before decoding). Default
/// libjpeg settings, like Pillow: ISLOW integer IDCT, fancy upsampling.
///
/// With `strict`, libjpeg's warnings (corrupt entropy-coded data, a premature end of the file)
/// are errors; without it they are ignored and the damaged part is what libjpeg fills in (gray
/// for missing data), like Pillow's `LOAD_TRUNCATED_IMAGES = True`.
pub(crate) fn decompress(data: &[u8], format: Format, strict: bool, out: &mut [u8]) -> Result<()> {
    let mut hd = Handle::new(Init::Decompress).map_err(setup)?;
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, c_int::from(strict))
        .map_err(setup)?;
    // a hostile progressive file can hold thousands of tiny scans, each a pass over the whole
    // coefficient buffer: refuse more than libjpeg-turbo's own tools recommend
    hd.set(tj::TJPARAM_TJPARAM_SCANLIMIT, 500).map_err(setup)?;
    let derr = |e: TjError| Error::decoding(format!("JPEG (libjpeg-turbo): {e}"));
    // `out` is sized for our own header scan's frame; the wrapper refuses it before decoding
    // unless libjpeg-turbo reads the same frame size
    let warning = match hd.decompress8(data, out, format) {
        Ok(_) => return Ok(()),
        Err(e) if e.warning => e,
        Err(e) => return Err(derr(e)),
    };
    if !strict {
        return Ok(());
    }
    // Strict: the first warning stopped decoding. Junk bytes before a marker (often after the
    // last scan) and an unknown Adobe transform lose no data, and Pillow and the default build
    // accept such files: decode again without stopping and accept when the last warning is of
    // those kinds too.
    if !is_benign(&warning.message) {
        return Err(derr(warning));
    }
    hd.set(tj::TJPARAM_TJPARAM_STOPONWARNING, 0)
        .map_err(setup)?;
    match hd.decompress8(data, out, format) {
        Ok(_) => Ok(()),
        Err(e) if e.warning && is_benign(&e.message) => Ok(()),
        Err(e) => Err(derr(e)),
    }
}

/// libjpeg's warnings that lose no data: `JWRN_EXTRANEOUS_DATA` (junk before a marker) and
/// `JWRN_ADOBE_XFORM` (an unknown Adobe transform, read as YCbCr or YCCK like the default build).
fn is_benign(message: &str) -> bool {
    message.contains("extraneous bytes before marker")
        || message.contains("Unknown Adobe color transform")
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
    let mut hd = Handle::new(Init::Compress).map_err(setup)?;
    let mut set = |p: tj::TJPARAM, v: c_int| hd.set(p, v).map_err(setup);
    set(tj::TJPARAM_TJPARAM_QUALITY, c_int::from(s.quality))?;
    let subsamp = match s.sampling {
        None => tj::TJSAMP_TJSAMP_GRAY,
        Some((1, 1)) => tj::TJSAMP_TJSAMP_444,
        Some((2, 1)) => tj::TJSAMP_TJSAMP_422,
        Some(_) => tj::TJSAMP_TJSAMP_420,
    };
    set(tj::TJPARAM_TJPARAM_SUBSAMP, subsamp)?;
    set(tj::TJPARAM_TJPARAM_PROGRESSIVE, c_int::from(s.progressive))?;
    set(tj::TJPARAM_TJPARAM_OPTIMIZE, c_int::from(s.optimize))?;
    if let Some(n) = s.restart_interval {
        set(tj::TJPARAM_TJPARAM_RESTARTBLOCKS, c_int::from(n))?;
    }
    if let Some((x, y)) = s.dpi {
        set(tj::TJPARAM_TJPARAM_XDENSITY, c_int::from(x))?;
        set(tj::TJPARAM_TJPARAM_YDENSITY, c_int::from(y))?;
        set(tj::TJPARAM_TJPARAM_DENSITYUNITS, 1)?;
    }
    if let Some(icc) = s.icc {
        hd.set_icc_profile(icc)
            .map_err(|e| Error::encoding(format!("JPEG ICC profile: {e}")))?;
    }
    hd.compress8(pixels, w, h, format)
        .map_err(|e| Error::encoding(format!("JPEG (libjpeg-turbo): {e}")))
}
