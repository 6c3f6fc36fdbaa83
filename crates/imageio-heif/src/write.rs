//! Writing HEIF/AVIF through libheif's C API (libheif-sys).
//!
//! libheif-rs 3 cannot set the matrix coefficients, transfer characteristics or range of an NCLX
//! profile, nor the output NCLX profile of the encoding options, so the encoder side talks to
//! libheif-sys directly. Every raw object is owned by a small RAII wrapper that frees it.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::io::Write;
use std::ptr;

use imageio_core::{Error, Metadata, NdView, Plugin, Request, Result, Sink, Value};
use libheif_sys as lh;

use crate::lib;

/// Turns a libheif error into a message, or `Ok`.
fn check(err: lh::heif_error) -> std::result::Result<(), String> {
    if err.code == lh::heif_error_code_heif_error_Ok {
        return Ok(());
    }
    let msg = if err.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif error messages are NUL-terminated static strings or strings owned by the
        // context that stays alive for this call; we copy them at once.
        unsafe { CStr::from_ptr(err.message) }
            .to_string_lossy()
            .into_owned()
    };
    Err(format!("libheif error {}.{}: {msg}", err.code, err.subcode))
}

fn enc(e: String) -> Error {
    Error::encoding(e)
}

struct Ctx(*mut lh::heif_context);
impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_context_alloc, freed exactly once here.
        unsafe { lh::heif_context_free(self.0) }
    }
}

struct Encoder(*mut lh::heif_encoder);
impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: obtained from heif_context_get_encoder*, released exactly once here.
        unsafe { lh::heif_encoder_release(self.0) }
    }
}

struct Image(*mut lh::heif_image);
impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: created by heif_image_create, released exactly once here.
        unsafe { lh::heif_image_release(self.0) }
    }
}

struct Handle(*mut lh::heif_image_handle);
impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: returned by heif_context_encode_image, released exactly once here.
        unsafe { lh::heif_image_handle_release(self.0) }
    }
}

struct Nclx(*mut lh::heif_color_profile_nclx);
impl Drop for Nclx {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_nclx_color_profile_alloc, freed exactly once here.
        unsafe { lh::heif_nclx_color_profile_free(self.0) }
    }
}

/// The four NCLX fields; `None` = not given.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct NclxValues {
    pub color_primaries: Option<u16>,
    pub transfer_characteristics: Option<u16>,
    pub matrix_coefficients: Option<u16>,
    pub full_range: Option<bool>,
}

impl NclxValues {
    fn overlay(mut self, o: NclxValues) -> NclxValues {
        self.color_primaries = o.color_primaries.or(self.color_primaries);
        self.transfer_characteristics =
            o.transfer_characteristics.or(self.transfer_characteristics);
        self.matrix_coefficients = o.matrix_coefficients.or(self.matrix_coefficients);
        self.full_range = o.full_range.or(self.full_range);
        self
    }
    fn to_profile(self) -> Result<Nclx> {
        // SAFETY: plain allocation; null is checked below.
        let p = unsafe { lh::heif_nclx_color_profile_alloc() };
        if p.is_null() {
            return Err(Error::encoding(
                "libheif could not allocate an NCLX profile",
            ));
        }
        let n = Nclx(p);
        // SAFETY: `p` is a valid, exclusively owned heif_color_profile_nclx; writing its public
        // version-1 fields is what libheif's own nclx setters do.
        unsafe {
            if let Some(v) = self.color_primaries {
                (*p).color_primaries = v.into();
            }
            if let Some(v) = self.transfer_characteristics {
                (*p).transfer_characteristics = v.into();
            }
            if let Some(v) = self.matrix_coefficients {
                (*p).matrix_coefficients = v.into();
            }
            if let Some(v) = self.full_range {
                (*p).full_range_flag = u8::from(v);
            }
        }
        Ok(n)
    }
}

fn nclx_field(m: &Metadata, key: &str) -> Result<Option<u16>> {
    match m.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_int()
            .and_then(|i| u16::try_from(i).ok())
            .map(Some)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "nclx_profile.{key} must be an integer 0…65535, not {v:?}"
                ))
            }),
    }
}

/// Parses the `nclx_profile` map option.
pub(crate) fn parse_nclx_map(v: &Value) -> Result<NclxValues> {
    let m = v.as_map().ok_or_else(|| {
        Error::invalid_argument("nclx_profile must be a map (color_primaries, …)")
    })?;
    for k in m.keys() {
        if ![
            "color_primaries",
            "transfer_characteristics",
            "matrix_coefficients",
            "full_range",
            "full_range_flag",
        ]
        .contains(&k.as_str())
        {
            return Err(Error::invalid_argument(format!(
                "nclx_profile has an unknown key `{k}`"
            )));
        }
    }
    let full_range = match m.get("full_range").or(m.get("full_range_flag")) {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => match v.as_int() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => {
                return Err(Error::invalid_argument(format!(
                    "nclx_profile.full_range must be a bool, not {v:?}"
                )));
            }
        },
    };
    Ok(NclxValues {
        color_primaries: nclx_field(m, "color_primaries")?,
        transfer_characteristics: nclx_field(m, "transfer_characteristics")?,
        matrix_coefficients: nclx_field(m, "matrix_coefficients")?,
        full_range,
    })
}

/// The x265 presets from fastest to slowest (the `speed` 9…0 mapping).
const X265_PRESETS: [&str; 10] = [
    "placebo",
    "veryslow",
    "slower",
    "slow",
    "medium",
    "fast",
    "faster",
    "veryfast",
    "superfast",
    "ultrafast",
];

/// Default x265 preset: see the crate docs (speed table).
pub const DEFAULT_X265_PRESET: &str = "faster";
/// Default aom `speed` (libheif's own default is 6; see the crate docs).
pub const DEFAULT_AOM_SPEED: i64 = 6;

/// Everything the writer was asked for.
#[derive(Debug)]
struct Settings {
    nclx_in: Option<NclxValues>,
    nclx_out: NclxValues,
    bit_depth: Option<u8>,
    scale_from_16bit: bool,
    primary_index: Option<i64>,
    exif: Option<Vec<u8>>,
    xmp: Option<Vec<u8>>,
    icc: Option<Vec<u8>>,
}

pub(crate) struct HeifWriter<'a> {
    sink: Sink<'a>,
    ctx: Ctx,
    encoder: Encoder,
    handles: Vec<Handle>,
    s: Settings,
    done: bool,
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid_argument(format!("`{s}` contains a NUL byte")))
}

fn set_param_str(e: &Encoder, name: &str, value: &str) -> Result<()> {
    let (n, v) = (cstring(name)?, cstring(value)?);
    // SAFETY: valid encoder, NUL-terminated strings alive for the call.
    check(unsafe { lh::heif_encoder_set_parameter_string(e.0, n.as_ptr(), v.as_ptr()) })
        .map_err(|m| Error::invalid_argument(format!("encoder parameter {name}={value}: {m}")))
}

fn set_param_int(e: &Encoder, name: &str, value: i64) -> Result<()> {
    let n = cstring(name)?;
    let v = c_int::try_from(value)
        .map_err(|_| Error::invalid_argument(format!("{name}={value} is out of range")))?;
    // SAFETY: valid encoder, NUL-terminated name alive for the call.
    check(unsafe { lh::heif_encoder_set_parameter_integer(e.0, n.as_ptr(), v) })
        .map_err(|m| Error::invalid_argument(format!("encoder parameter {name}={value}: {m}")))
}

/// Finds an encoder: by id/name when `name` is given, else the first one for `format`.
fn find_encoder(
    ctx: &Ctx,
    name: Option<&str>,
    format: lh::heif_compression_format,
) -> Result<(Encoder, String)> {
    let _ = lib();
    let mut descs: Vec<*const lh::heif_encoder_descriptor> = vec![ptr::null(); 32];
    let filter = if name.is_some() {
        lh::heif_compression_format_heif_compression_undefined
    } else {
        format
    };
    // SAFETY: the output array has room for 32 descriptors, which is what we pass as count.
    let n =
        unsafe { lh::heif_get_encoder_descriptors(filter, ptr::null(), descs.as_mut_ptr(), 32) };
    descs.truncate(n.clamp(0, 32) as usize);
    let id_of = |d: *const lh::heif_encoder_descriptor| -> (String, String) {
        // SAFETY: descriptors returned by libheif are valid for the program's life; the id and
        // name are NUL-terminated strings (the name is a static buffer, copied at once).
        unsafe {
            let id = lh::heif_encoder_descriptor_get_id_name(d);
            let nm = lh::heif_encoder_descriptor_get_name(d);
            let id = if id.is_null() {
                String::new()
            } else {
                CStr::from_ptr(id).to_string_lossy().into_owned()
            };
            let nm = if nm.is_null() {
                String::new()
            } else {
                CStr::from_ptr(nm).to_string_lossy().into_owned()
            };
            (id, nm)
        }
    };
    let all: Vec<(String, String)> = descs.iter().map(|&d| id_of(d)).collect();
    let chosen = match name {
        Some(want) => {
            let w = want.to_ascii_lowercase();
            let i = all
                .iter()
                .position(|(id, _)| id.eq_ignore_ascii_case(&w))
                .or_else(|| {
                    all.iter()
                        .position(|(_, nm)| nm.to_ascii_lowercase().contains(&w))
                });
            match i {
                Some(i) => i,
                None => {
                    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
                    return Err(Error::invalid_argument(format!(
                        "no libheif encoder named `{want}` (available: {})",
                        ids.join(", ")
                    )));
                }
            }
        }
        None => {
            if descs.is_empty() {
                let what = if format == lh::heif_compression_format_heif_compression_AV1 {
                    "AV1 (AVIF)"
                } else {
                    "HEVC (HEIC)"
                };
                return Err(Error::unsupported(format!(
                    "libheif has no {what} encoder plugin (install libheif-plugin-x265 / libheif-plugin-aomenc)"
                )));
            }
            0
        }
    };
    let mut e: *mut lh::heif_encoder = ptr::null_mut();
    // SAFETY: valid context and descriptor; `e` receives an encoder we then own.
    check(unsafe { lh::heif_context_get_encoder(ctx.0, descs[chosen], &mut e) }).map_err(enc)?;
    if e.is_null() {
        return Err(Error::encoding("libheif returned no encoder"));
    }
    Ok((Encoder(e), all[chosen].0.clone()))
}

fn chroma_option(v: &Value) -> Result<String> {
    let s = match v {
        Value::Int(i) => i.to_string(),
        Value::Str(s) => s.replace(':', ""),
        other => {
            return Err(Error::invalid_argument(format!(
                "chroma must be \"420\", \"422\" or \"444\", not {other:?}"
            )));
        }
    };
    match s.as_str() {
        "420" | "422" | "444" => Ok(s),
        _ => Err(Error::invalid_argument(format!(
            "chroma must be \"420\", \"422\" or \"444\", not `{s}`"
        ))),
    }
}

pub(crate) fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    let o = &req.options;
    let ext = req.extension().map(str::to_ascii_lowercase);
    let format = match ext.as_deref() {
        Some(".avif") => lh::heif_compression_format_heif_compression_AV1,
        _ => lh::heif_compression_format_heif_compression_HEVC,
    };
    let _ = lib();
    // SAFETY: plain allocation; null is checked below.
    let raw = unsafe { lh::heif_context_alloc() };
    if raw.is_null() {
        return Err(Error::encoding("libheif could not allocate a context"));
    }
    let ctx = Ctx(raw);
    let (encoder, encoder_id) = find_encoder(&ctx, o.get_str("encoder"), format)?;

    let quality = o.get_int("quality");
    match quality {
        Some(-1) => {
            // SAFETY: valid encoder.
            check(unsafe { lh::heif_encoder_set_lossless(encoder.0, 1) }).map_err(enc)?;
        }
        Some(q @ 0..=100) => {
            // SAFETY: valid encoder.
            check(unsafe { lh::heif_encoder_set_lossless(encoder.0, 0) }).map_err(enc)?;
            // SAFETY: valid encoder, quality in 0..=100.
            check(unsafe { lh::heif_encoder_set_lossy_quality(encoder.0, q as c_int) })
                .map_err(enc)?;
        }
        Some(q) => {
            return Err(Error::invalid_argument(format!(
                "quality must be 0…100 or -1 (lossless), not {q}"
            )));
        }
        None => {}
    }
    let chroma = o.get("chroma").map(chroma_option).transpose()?;
    if let Some(c) = &chroma {
        set_param_str(&encoder, "chroma", c)?;
    }
    // Speed.
    let is_x265 = encoder_id == "x265";
    let is_aom = encoder_id == "aom";
    match (o.get_str("preset"), o.get_int("speed")) {
        (Some(p), _) if is_x265 => {
            if !X265_PRESETS.contains(&p) {
                return Err(Error::invalid_argument(format!(
                    "preset must be one of {X265_PRESETS:?}, not `{p}`"
                )));
            }
            set_param_str(&encoder, "preset", p)?;
        }
        (Some(p), _) => {
            return Err(Error::invalid_argument(format!(
                "preset `{p}` is an x265 option; the `{encoder_id}` encoder takes `speed`"
            )));
        }
        (None, Some(s)) if is_x265 => {
            let p = usize::try_from(s)
                .ok()
                .and_then(|i| X265_PRESETS.get(i))
                .ok_or_else(|| Error::invalid_argument(format!("speed must be 0…9, not {s}")))?;
            set_param_str(&encoder, "preset", p)?;
        }
        (None, Some(s)) => set_param_int(&encoder, "speed", s)?,
        (None, None) if is_x265 => set_param_str(&encoder, "preset", DEFAULT_X265_PRESET)?,
        (None, None) if is_aom => set_param_int(&encoder, "speed", DEFAULT_AOM_SPEED)?,
        (None, None) => {}
    }

    let nclx_in = o.get("nclx_profile").map(parse_nclx_map).transpose()?;
    let to_u16 = |k: &str| -> Result<Option<u16>> {
        o.get_int(k)
            .map(|v| {
                u16::try_from(v)
                    .map_err(|_| Error::invalid_argument(format!("{k} must be 0…65535, not {v}")))
            })
            .transpose()
    };
    let explicit = NclxValues {
        color_primaries: to_u16("color_primaries")?,
        transfer_characteristics: to_u16("transfer_characteristics")?,
        matrix_coefficients: to_u16("matrix_coefficients")?,
        full_range: o.get_bool("full_range"),
    };
    let nclx_out = nclx_in.unwrap_or_default().overlay(explicit);

    let bit_depth = match (o.get_int("bit_depth"), o.get_bool("save_to_12bit")) {
        (Some(b @ (8 | 10 | 12)), _) => Some(b as u8),
        (Some(b), _) => {
            return Err(Error::invalid_argument(format!(
                "bit_depth must be 8, 10 or 12, not {b}"
            )));
        }
        (None, Some(true)) => Some(12),
        (None, _) => None,
    };
    let bytes = |k: &str| {
        o.get(k).and_then(|v| {
            v.as_bytes()
                .map(<[u8]>::to_vec)
                .or_else(|| v.as_str().map(|s| s.as_bytes().to_vec()))
        })
    };
    let s = Settings {
        nclx_in,
        nclx_out,
        bit_depth,
        scale_from_16bit: o.get_bool("scale_from_16bit").unwrap_or(false),
        primary_index: o.get_int("primary_index"),
        exif: bytes("exif"),
        xmp: bytes("xmp"),
        icc: bytes("icc_profile"),
    };
    Ok(Box::new(HeifWriter {
        sink: req.sink()?.clone(),
        ctx,
        encoder,
        handles: Vec::new(),
        s,
        done: false,
    }))
}

/// Pixel layout of one image to encode.
struct Input<'v> {
    view: NdView<'v>,
    height: usize,
    width: usize,
    channels: usize,
}

impl HeifWriter<'_> {
    fn input<'v>(&self, view: NdView<'v>) -> Result<Input<'v>> {
        let shape = view.shape().to_vec();
        let (height, width, channels) = match shape.as_slice() {
            [h, w] => (*h, *w, 1),
            [h, w, c @ (1 | 3 | 4)] => (*h, *w, *c),
            other => {
                return Err(Error::invalid_argument(format!(
                    "HEIF images are (H, W), (H, W, 3) or (H, W, 4); got shape {other:?}"
                )));
            }
        };
        if height == 0 || width == 0 || height > i32::MAX as usize || width > i32::MAX as usize {
            return Err(Error::invalid_argument(format!(
                "cannot encode an image of shape {shape:?}"
            )));
        }
        Ok(Input {
            view,
            height,
            width,
            channels,
        })
    }

    fn encode_one(&mut self, inp: Input<'_>) -> Result<()> {
        let (h, w, c) = (inp.height, inp.width, inp.channels);
        let (bits, samples): (u8, Samples) = match &inp.view {
            NdView::U8(a) => {
                if matches!(self.s.bit_depth, Some(b) if b != 8) {
                    return Err(Error::invalid_argument(
                        "u8 images are saved with 8 bits; pass u16 data for 10 or 12 bits",
                    ));
                }
                (8, Samples::U8(a.iter().copied().collect()))
            }
            NdView::U16(a) => {
                let bits = match self.s.bit_depth {
                    Some(8) => {
                        return Err(Error::invalid_argument(
                            "bit_depth 8 needs u8 data; u16 data is saved with 10 (default) or 12 bits",
                        ));
                    }
                    Some(b) => b,
                    None => 10,
                };
                let max = (1u32 << bits) - 1;
                let v: Vec<u16> = if self.s.scale_from_16bit {
                    let shift = 16 - u32::from(bits);
                    a.iter().map(|&x| x >> shift).collect()
                } else {
                    if let Some(&bad) = a.iter().find(|&&x| u32::from(x) > max) {
                        return Err(Error::invalid_argument(format!(
                            "u16 sample {bad} does not fit in {bits} bits (0…{max}); for data scaled to 0…65535 \
                             (e.g. from a 16-bit PNG) set scale_from_16bit=true"
                        )));
                    }
                    a.iter().copied().collect()
                };
                (bits, Samples::U16(v))
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "HEIF stores u8 (8-bit) or u16 (10/12-bit) samples, not {}",
                    other.dtype()
                )));
            }
        };
        let hdr = bits > 8;
        let (colorspace, chroma, channel) = match (c, hdr) {
            (1, _) => (
                lh::heif_colorspace_heif_colorspace_monochrome,
                lh::heif_chroma_heif_chroma_monochrome,
                lh::heif_channel_heif_channel_Y,
            ),
            (3, false) => (
                lh::heif_colorspace_heif_colorspace_RGB,
                lh::heif_chroma_heif_chroma_interleaved_RGB,
                lh::heif_channel_heif_channel_interleaved,
            ),
            (4, false) => (
                lh::heif_colorspace_heif_colorspace_RGB,
                lh::heif_chroma_heif_chroma_interleaved_RGBA,
                lh::heif_channel_heif_channel_interleaved,
            ),
            (3, true) => (
                lh::heif_colorspace_heif_colorspace_RGB,
                lh::heif_chroma_heif_chroma_interleaved_RRGGBB_LE,
                lh::heif_channel_heif_channel_interleaved,
            ),
            _ => (
                lh::heif_colorspace_heif_colorspace_RGB,
                lh::heif_chroma_heif_chroma_interleaved_RRGGBBAA_LE,
                lh::heif_channel_heif_channel_interleaved,
            ),
        };
        let mut raw: *mut lh::heif_image = ptr::null_mut();
        // SAFETY: sizes were checked to fit in c_int; `raw` receives an image we then own.
        check(unsafe {
            lh::heif_image_create(w as c_int, h as c_int, colorspace, chroma, &mut raw)
        })
        .map_err(enc)?;
        if raw.is_null() {
            return Err(Error::encoding("libheif could not create an image"));
        }
        let img = Image(raw);
        // SAFETY: valid image; plane dimensions equal the image's.
        check(unsafe {
            lh::heif_image_add_plane(img.0, channel, w as c_int, h as c_int, c_int::from(bits))
        })
        .map_err(enc)?;
        let mut stride: c_int = 0;
        // SAFETY: the plane was just added; libheif returns its buffer and stride.
        let data = unsafe { lh::heif_image_get_plane(img.0, channel, &mut stride) };
        let bps = if hdr { 2 } else { 1 };
        let row = w * c * bps;
        if data.is_null() || (stride as usize) < row {
            return Err(Error::encoding("libheif returned no usable plane buffer"));
        }
        let stride = stride as usize;
        // SAFETY: libheif allocated `stride * h` bytes for this plane (stride ≥ row, checked),
        // and nothing else aliases it while we fill it.
        let buf = unsafe { std::slice::from_raw_parts_mut(data, stride * h) };
        match &samples {
            Samples::U8(v) => {
                for (dst, src) in buf.chunks_mut(stride).zip(v.chunks_exact(w * c)) {
                    dst[..row].copy_from_slice(src);
                }
            }
            Samples::U16(v) => {
                for (dst, src) in buf.chunks_mut(stride).zip(v.chunks_exact(w * c)) {
                    for (d, s) in dst[..row].chunks_exact_mut(2).zip(src) {
                        // Interleaved planes were created as `_LE`; the gray plane is native.
                        let b = if c == 1 {
                            s.to_ne_bytes()
                        } else {
                            s.to_le_bytes()
                        };
                        d.copy_from_slice(&b);
                    }
                }
            }
        }
        drop(samples);
        if let Some(icc) = &self.s.icc {
            let t = cstring("prof")?;
            // SAFETY: valid image; the profile bytes are copied by libheif.
            check(unsafe {
                lh::heif_image_set_raw_color_profile(
                    img.0,
                    t.as_ptr() as *const c_char,
                    icc.as_ptr() as *const c_void,
                    icc.len(),
                )
            })
            .map_err(enc)?;
        }
        if let Some(n) = self.s.nclx_in {
            let p = n.to_profile()?;
            // SAFETY: valid image and profile; libheif copies the profile.
            check(unsafe { lh::heif_image_set_nclx_color_profile(img.0, p.0) }).map_err(enc)?;
        }
        // Encoding options: always write the NCLX box (pillow-heif's default), with the output
        // profile when one was given.
        // SAFETY: plain allocation; null is checked below.
        let opts = unsafe { lh::heif_encoding_options_alloc() };
        if opts.is_null() {
            return Err(Error::encoding(
                "libheif could not allocate encoding options",
            ));
        }
        // libheif 1.19 writes no `colr nclx` box for RGB input unless an output profile is
        // given, so one is always given: libheif's default profile with the requested fields.
        let out_nclx = Some(self.s.nclx_out.to_profile()?);
        let mut handle: *mut lh::heif_image_handle = ptr::null_mut();
        // SAFETY: `opts` is a valid options struct we own; the output profile outlives the encode
        // call and is detached again before the options are freed (libheif does not own it).
        let res = unsafe {
            (*opts).macOS_compatibility_workaround_no_nclx_profile = 0;
            (*opts).output_nclx_profile = out_nclx.as_ref().map_or(ptr::null_mut(), |p| p.0);
            let r =
                lh::heif_context_encode_image(self.ctx.0, img.0, self.encoder.0, opts, &mut handle);
            (*opts).output_nclx_profile = ptr::null_mut();
            lh::heif_encoding_options_free(opts);
            r
        };
        check(res).map_err(enc)?;
        if handle.is_null() {
            return Err(Error::encoding("libheif returned no image handle"));
        }
        let handle = Handle(handle);
        if let Some(exif) = &self.s.exif {
            let n = c_int::try_from(exif.len())
                .map_err(|_| Error::invalid_argument("exif is too large"))?;
            // SAFETY: valid context and handle; libheif copies the bytes.
            check(unsafe {
                lh::heif_context_add_exif_metadata(
                    self.ctx.0,
                    handle.0,
                    exif.as_ptr() as *const c_void,
                    n,
                )
            })
            .map_err(enc)?;
        }
        if let Some(xmp) = &self.s.xmp {
            let n = c_int::try_from(xmp.len())
                .map_err(|_| Error::invalid_argument("xmp is too large"))?;
            // SAFETY: valid context and handle; libheif copies the bytes.
            check(unsafe {
                lh::heif_context_add_XMP_metadata(
                    self.ctx.0,
                    handle.0,
                    xmp.as_ptr() as *const c_void,
                    n,
                )
            })
            .map_err(enc)?;
        }
        self.handles.push(handle);
        Ok(())
    }
}

enum Samples {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

unsafe extern "C" fn vec_writer(
    _ctx: *mut lh::heif_context,
    data: *const c_void,
    size: usize,
    user_data: *mut c_void,
) -> lh::heif_error {
    // SAFETY: `user_data` is the `&mut Vec<u8>` passed to heif_context_write below, alive and
    // exclusively borrowed for the whole call; `data` points to `size` readable bytes.
    unsafe {
        let out = &mut *(user_data as *mut Vec<u8>);
        if size > 0 && !data.is_null() {
            out.extend_from_slice(std::slice::from_raw_parts(data as *const u8, size));
        }
    }
    lh::heif_error {
        code: lh::heif_error_code_heif_error_Ok,
        subcode: lh::heif_suberror_code_heif_suberror_Unspecified,
        message: c"".as_ptr(),
    }
}

impl Plugin for HeifWriter<'_> {
    fn read(&mut self, _index: imageio_core::Index) -> Result<imageio_core::NdArray> {
        Err(Error::unsupported("opened for writing"))
    }
    fn properties(&mut self, _index: imageio_core::Index) -> Result<imageio_core::ImageProperties> {
        Err(Error::unsupported("opened for writing"))
    }
    fn metadata(&mut self, _index: imageio_core::Index, _e: bool) -> Result<Metadata> {
        Err(Error::unsupported("opened for writing"))
    }

    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        if self.done {
            return Err(Error::invalid_argument("the writer is closed"));
        }
        let nd = image.ndim();
        let batch = match is_batch {
            Some(b) => b,
            // (N, H, W, C) is a batch; (H, W, 3|4) one colour image; other 3-D arrays a
            // batch of gray images.
            None => nd == 4 || (nd == 3 && !matches!(image.shape()[2], 3 | 4)),
        };
        if batch {
            if nd < 3 {
                return Err(Error::invalid_argument(format!(
                    "a batch needs 3 or 4 axes, got shape {:?}",
                    image.shape()
                )));
            }
            let n = image.shape()[0];
            if n == 0 {
                return Err(Error::invalid_argument("the batch holds no images"));
            }
            for i in 0..n {
                let inp = self.input(image.index_axis0(i))?;
                self.encode_one(inp)?;
            }
        } else {
            let inp = self.input(image)?;
            self.encode_one(inp)?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        let n = self.handles.len();
        if n == 0 {
            return Err(Error::invalid_argument("no image was written"));
        }
        // The first image is primary unless primary_index says otherwise (-1 = last).
        if let Some(p) = self.s.primary_index {
            let idx = if p == -1 { n - 1 } else { p as usize };
            if p < -1 || idx >= n {
                return Err(Error::invalid_argument(format!(
                    "primary_index {p} is out of range for {n} image{}",
                    if n == 1 { "" } else { "s" }
                )));
            }
            // SAFETY: valid context and a handle of an image of this context.
            check(unsafe { lh::heif_context_set_primary_image(self.ctx.0, self.handles[idx].0) })
                .map_err(enc)?;
        }
        let mut out: Vec<u8> = Vec::new();
        let mut writer = lh::heif_writer {
            writer_api_version: 1,
            write: Some(vec_writer),
        };
        // SAFETY: valid context; `out` outlives the call and is only touched by `vec_writer`.
        check(unsafe {
            lh::heif_context_write(
                self.ctx.0,
                &mut writer,
                &mut out as *mut Vec<u8> as *mut c_void,
            )
        })
        .map_err(enc)?;
        let mut w = self.sink.writer()?;
        w.write_all(&out)?;
        w.flush()?;
        Ok(())
    }
}
