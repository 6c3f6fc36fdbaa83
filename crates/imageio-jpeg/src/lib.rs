//! The JPEG backend of imageio-rs: decoding with [zune-jpeg], encoding with [jpeg-encoder], EXIF
//! with [kamadak-exif]. Pure Rust by default; the opt-in feature `turbo` decodes and encodes with
//! libjpeg-turbo instead (see [below](#the-turbo-feature-libjpeg-turbo)).
//!
//! ```
//! use imageio_core::{open, Index, Mode, NdArray, OpenArgs};
//! use imageio_jpeg::{JpegReadOptions, JpegWriteOptions};
//!
//! // write a small gradient at quality 90, read it back
//! let rgb: Vec<u8> = (0..48 * 64 * 3).map(|i| (i % 251) as u8).collect();
//! let img = NdArray::from_shape_vec(&[48, 64, 3], rgb)?;
//! let args = OpenArgs {
//!     extension: Some(".jpg".into()),
//!     options: JpegWriteOptions::new().quality(90).into(),
//!     ..Default::default()
//! };
//! let mut w = open(imageio_core::Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&img)?;
//! let bytes = w.close()?.expect("<bytes> returns the file");
//!
//! let args = OpenArgs { options: JpegReadOptions::new().rotate(true).into(), ..Default::default() };
//! let mut r = open(bytes.as_slice().into(), Mode::Read, &args)?;
//! assert_eq!(r.plugin_name(), "jpeg");
//! assert_eq!(r.read(Index::Default)?.shape(), &[48, 64, 3]);
//! let meta = r.metadata(Index::Default, false)?;
//! assert_eq!(meta["subsampling"].as_str(), Some("4:2:0"));
//! # Ok::<(), imageio_core::Error>(())
//! ```
//!
//! # Reading
//!
//! - **Layouts.** One-component (gray) files read as 2-D `(H, W)` `uint8` arrays, like Pillow's
//!   mode `"L"`; three-component files as `(H, W, 3)` RGB; four-component files (CMYK, and YCCK
//!   with Adobe transform 2) are converted to `(H, W, 3)` RGB by default (upstream imageio returns
//!   Pillow's raw CMYK array; we return RGB so that every file reads as an image one can display,
//!   and give CMYK on request). The read option `mode` picks another layout: `"rgb"`, `"gray"`
//!   (or `"L"`: Pillow's `convert("L")`, ITU-R 601-2 luma from the decoded RGB, rounded the same
//!   way), `"cmyk"` (`(H, W, 4)`).
//! - **CMYK and Adobe's inverted convention.** Photoshop stores CMYK JPEGs inverted (0 = full ink),
//!   and libjpeg hands those samples through unchanged. Pillow assumes this convention for *every*
//!   CMYK JPEG (its raw mode is always `"CMYK;I"`), and so do we: `mode="cmyk"` returns exactly
//!   Pillow's CMYK values (`255 − stored` for CMYK files; for YCCK files the YCC → RGB conversion
//!   followed by `255 − K`), and the RGB conversion is Pillow's `cmyk2rgb`,
//!   `R = (255 − C)(255 − K)/255`, i.e. `stored_C × stored_K / 255` (zune-jpeg's conversion, which
//!   agrees with Pillow's to within one level).
//! - **EXIF orientation.** The read option `rotate` applies the EXIF `Orientation` exactly like
//!   Pillow's `ImageOps.exif_transpose` (1 identity, 2 mirror left-right, 3 rotate 180°, 4 mirror
//!   top-bottom, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90°
//!   counter-clockwise). The invalid values 0 and 9 (and anything else) leave the image unchanged
//!   instead of failing (upstream #1158). Without `rotate` the pixels are returned as stored, like
//!   upstream's default.
//! - **Strictness.** By default truncated or damaged entropy-coded data is an error (Pillow raises
//!   `image file is truncated` too). The read option `strict=false` lets zune-jpeg fill what it
//!   cannot decode with gray, like `ImageFile.LOAD_TRUNCATED_IMAGES = True`.
//! - **Pixels.** With the `turbo` feature the pixels are Pillow's, bit for bit (same library, same
//!   settings, Pillow's colour conversions; tested on every fixture and standard JPEG). In the
//!   default build, zune-jpeg's IDCT and upsampling differ from libjpeg-turbo's (which Pillow uses).
//!   Against Pillow, gray and CMYK data differ by at most 1 level; YCbCr colour files by up to
//!   3–5 levels on rare pixels (mean 0.02 for 4:4:4, about 0.36 for 4:2:0). Where this comes
//!   from was measured against Pillow's own YCbCr planes (`draft("YCbCr")`, table in
//!   `docs/formats/jpeg.md`): libjpeg's fixed-point YCbCr → RGB applied to zune-jpeg's YCbCr
//!   output gives the same maxima as zune-jpeg's RGB, so the colour conversion is not the
//!   cause; zune-jpeg's Y plane differs by 1 on rare samples (its stb_image-style IDCT uses
//!   12-bit constants where libjpeg's "islow" uses 13), and its chroma planes by up to 2 (the
//!   same IDCT, plus "fancy" upsampling that rounds after each pass). 4:4:4 files, which have
//!   no upsampling, still reach 3: a one-level chroma error becomes up to 1.772 levels in B
//!   (1.402 in R) and adds to a one-level luma error. zune-jpeg has no option for its IDCT or
//!   upsampling, so max ≤ 2 needs a decoder whose IDCT and upsampling are bit-exact with libjpeg's;
//!   jpeg-decoder 0.3.2 is no closer (max 3–4). The tests check every standard JPEG and generated progressive,
//!   restart-interval, 4:4:4, 4:2:2, 4:2:0, odd-sized, gray, CMYK and YCCK files against
//!   Pillow and print max and mean |Δ|: max ≤ 2 for one-plane data, max ≤ 5 and mean < 0.5
//!   for YCbCr colour.
//! - **Image edges inside an MCU (default build).** zune-jpeg 0.5.15's fancy upsampling
//!   replicates the last chroma sample at the edge of the MCU-padded plane, not of the image.
//!   When the image ends inside an MCU on a chroma-sample boundary (an even width with
//!   horizontal 2× subsampling, an even height with vertical 2×, neither a multiple of 16), its
//!   last column (row) is blended with the encoder's padding: up to ~40 levels off Pillow on
//!   textured edges (1920×1080 4:2:0 photos have such a last row). Such files are decoded to
//!   YCbCr, the chroma of that column (row) is set to libjpeg's value, the last real sample
//!   (estimated within a level from the two correct columns before it), and converted to RGB
//!   with libjpeg's fixed-point formula; the result is within the bounds above (tested on
//!   generated 4:2:2, 4:2:0 and progressive files). The scalar conversion costs about 5–10 ms
//!   per 2 Mpixel (1920×1080 4:2:0, release build, busy 2-core machine: 83–88 ms against
//!   78 ms for the unaffected 1920×1088); files whose size is a multiple of the MCU, like the
//!   4096×3072 bench image, are not affected.
//! - **Images at most 4 pixels wide (default build).** With horizontal 2× subsampling their
//!   chroma plane is at most 2 samples wide, and libjpeg then replicates chroma (horizontally,
//!   and vertically for 4:2:0) instead of interpolating; zune-jpeg interpolates (up to ~50
//!   levels off). These files take the same YCbCr path; the chroma samples are recovered from
//!   zune-jpeg's interpolation (its first column/row is the sample itself, each next sample
//!   follows from its rounding formula) and replicated: max 2 on the 1-, 2- and 3-pixel-wide
//!   fixtures. 4-pixel-wide 4:2:0 files reach max 4 with mean 0.5–0.6 on textured content
//!   (both directions recovered). Subsampled CMYK/YCCK files are not repaired.
//! - **Lossless JPEG** (SOF3, which Pillow's libjpeg-turbo reads): the `turbo` build reads it
//!   (Pillow's pixels); zune-jpeg cannot, so the default build refuses it with an error that
//!   says so and names the `turbo` feature.
//! - **Indices.** A JPEG holds one image: `Index::Default` and `Index::At(0)` give it,
//!   `Index::All` gives it as a batch `(1, H, W[, C])`, any other index is out of range.
//! - **Limits.** The frame header's dimensions are checked against the request's
//!   [`Limits`] before the pixel buffer is allocated; zune-jpeg decodes
//!   straight into the buffer that becomes the array.
//!
//! # Metadata
//!
//! Keys follow Pillow's `image.info` where Pillow has them, and are only present when the file
//! has the data: `jfif` (version as an int, e.g. 257), `jfif_version` (`[major, minor]`),
//! `jfif_unit`, `jfif_density`, `dpi` (`[x, y]` floats: from JFIF when its unit is inch or cm,
//! else from EXIF `XResolution`/`ResolutionUnit`, else `[72, 72]` when EXIF exists but has no
//! usable resolution: Pillow's rules), `exif` (the raw APP1 payload with its `Exif\0\0` prefix,
//! as Pillow), `icc_profile` (reassembled from the APP2 chunks in sequence order; absent, like
//! Pillow, when chunks are missing), `xmp`, `comment` (bytes of the last COM segment, as Pillow), `adobe`, `adobe_transform`,
//! `progressive` (bool), `subsampling` (`"4:2:0"`, `"4:2:2"`, `"4:4:4"`, …; absent for gray),
//! `mode` (`"L"`, `"RGB"` or `"CMYK"`: what the file stores, Pillow's `image.mode`), then the EXIF
//! fields of the primary image (IFD0, Exif and Interoperability IFDs) by Pillow's `ExifTags.TAGS`
//! names (`Make`, `Model`, `DateTime`, `Orientation`, `XResolution`, `ExposureTime`, …) with typed
//! values: text, integers, rationals as floats, `UNDEFINED` as bytes, several values as a list.
//! GPS fields are a nested map `GPSInfo`. Unlike upstream (whose `getexif()` only covers IFD0) the
//! Exif sub-IFD is included; tags with no known name are dropped, as upstream drops "unknown".
//! `Orientation` is always reported when present; `metadata(_, exclude_applied = true)` drops it
//! only when the `rotate` option applied it (upstream drops it even when the pixels were not
//! rotated, hiding information).
//!
//! # Writing
//!
//! Gray `(H, W)` or `(H, W, 1)` and RGB `(H, W, 3)` `uint8` arrays. RGBA is an error that says how
//! to drop the alpha channel (never a silently wrong file); other dtypes are errors naming the
//! dtype. A JPEG holds one image: a batch of one image is written as that image, larger batches
//! and a second `write` are errors (upstream fails at close with `KeyError: 'JPEG'`).
//! Options: `quality` (1..=100, default 75 like Pillow, libjpeg's quality scaling of the Annex K
//! tables), `progressive`, `optimize` (optimised Huffman tables), `subsampling` (`"4:4:4"`,
//! `"4:2:2"`, `"4:2:0"`; default 4:2:0 like Pillow; chroma is box-averaged like libjpeg),
//! `dpi` (one or two numbers, rounded like Pillow), `icc_profile`, `exif` (with or without the
//! `Exif\0\0` prefix; at most 65527 bytes of TIFF data, one APP1 segment: larger is an
//! invalid-argument error, like Pillow's "EXIF data is too long"), `comment`,
//! `restart_interval` (MCUs).
//!
//! ## Choice of encoder, and parallel strips
//!
//! jpeg-encoder 0.7.1 with its `simd` feature picks AVX2 code for colour conversion and the
//! forward DCT at run time (`is_x86_feature_detected!`, no `RUSTFLAGS` needed); this crate
//! enables that feature. The alternatives on crates.io: `zenjpeg` is AGPL; `mozjpeg` and
//! `turbojpeg` bind C libraries (cmake/nasm or a system libturbojpeg): the latter is the opt-in
//! `turbo` feature; `jpegli` binds C++; zune-jpeg has no encoder. jpeg-encoder is the only well-kept pure
//! Rust encoder, and its output matches libjpeg's (same quality scaling and tables: Pillow's q75
//! and q90 files of the same image have the same size and PSNR to within 0.01 dB).
//!
//! On its own it is much slower than libjpeg-turbo (4096×3072 q90 photo, one thread: 265–370 ms
//! here against OpenCV's 62 ms). So large baseline images (≥ 1 Mpixel, standard Huffman tables,
//! no explicit restart interval) are cut into horizontal strips of whole MCU rows, one per core,
//! encoded in parallel and joined with restart markers (`RST0..7`, interval = one strip). The
//! result is byte-for-byte the file one encoder writes with that restart interval (a unit test
//! checks this, for both encoders), and costs 2 bytes per strip. Measured on an idle 2-core
//! machine in two runs of the shared bench: the default build encodes in 1.8–2.6× OpenCV's
//! time (the issue's 1.5× is not reached), the `turbo` build in 0.63–0.64×. A profile shows
//! this crate's own glue (checks, strip split/join, threads, output) below 2 % of the time; the
//! rest is inside the encoder. Numbers and caveats: `docs/formats/jpeg.md`. Progressive and
//! optimised-Huffman files are encoded on one thread.
//!
//!
//! # The `turbo` feature (libjpeg-turbo)
//!
//! `imageio-jpeg = { features = ["turbo"] }` replaces both codecs by libjpeg-turbo 3.1, the
//! library Pillow and OpenCV use, through `turbojpeg-sys` 1.2 (the raw bindings of the
//! `turbojpeg` crate), which builds its vendored libjpeg-turbo with cmake and nasm and links it
//! statically (no run-time dependency). It needs a C compiler, `cmake` and `nasm` at build time.
//! Everything else (options, layouts, `mode`, `rotate`, `strict`, limits, metadata, errors)
//! behaves exactly as in the default build.
//!
//! - **Decoding** uses libjpeg's defaults, as Pillow does: the accurate integer ("islow") IDCT
//!   and fancy upsampling. Gray, RGB and CMYK come straight from libjpeg (YCCK is converted to
//!   CMYK by libjpeg, as in Pillow); CMYK → RGB is Pillow's `cmyk2rgb`, RGB → L Pillow's
//!   `convert("L")`. Result: identical arrays to Pillow on every test file (the tests assert
//!   max |Δ| = 0 in this build).
//! - **Encoding** goes through the same library with Pillow's settings (`jpeg_set_quality`,
//!   Pillow's subsampling, `optimize`, `progressive`), so the entropy-coded data are byte for
//!   byte those of Pillow's file (tested for 9 option combinations). dpi is the JFIF density,
//!   the ICC profile is written by libjpeg-turbo, the EXIF APP1 segment and the comment are
//!   inserted after the JFIF header. Large baseline images use the same parallel strips as the
//!   default build (below); their pixels are still exactly Pillow's.
//! - **Errors.** The TurboJPEG API catches libjpeg's errors with a `setjmp` inside its own C
//!   function and returns an error code and message: no `longjmp` or unwinding ever crosses a
//!   Rust frame (the libjpeg API would need one). With `strict` (the default), libjpeg's
//!   warnings about lost data (bad Huffman codes, premature end of data, bogus progression)
//!   are errors, like the default build's strict mode; junk bytes before a marker lose no data
//!   and are accepted, as by Pillow and the default build. With `strict=false` every warning
//!   is ignored and libjpeg's fill (gray) is returned.
//!   Progressive files with more than 500 scans are refused (a hostile file could otherwise
//!   make decoding quadratic). The frame size is checked against [`Limits`] before the output
//!   buffer is allocated, as in the default build.
//! - **Unsafe code.** The crate is `#![forbid(unsafe_code)]` in every build: the feature's FFI
//!   calls live in the small safe wrapper crate `imageio-turbojpeg` (shared with imageio-tiff),
//!   each with a `// SAFETY:` comment, and it checks every buffer against the frame it holds.
//!
//! [zune-jpeg]: https://docs.rs/zune-jpeg
//! [jpeg-encoder]: https://docs.rs/jpeg-encoder
//! [kamadak-exif]: https://docs.rs/kamadak-exif
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decode;
mod encode;
mod exif;
mod markers;
mod options;
#[cfg(feature = "turbo")]
mod turbo;

use imageio_core::{
    DType, Error, ImageProperties, Index, Limits, Metadata, NdArray, NdView, OptionKind,
    OptionSpec, Plugin, PluginDescriptor, Request, Result, Sink, Source, Value, submit_plugin,
};

pub use decode::Mode as ReadMode;
pub use options::{JpegReadOptions, JpegWriteOptions};

use decode::{Mode, Stored};
use markers::Header;

/// True when `b` starts with a JPEG SOI marker followed by another marker (`FF D8 FF`).
pub fn sniff(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
}

const READ_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "rotate",
        OptionKind::Bool,
        "apply the EXIF Orientation like Pillow's ImageOps.exif_transpose",
    ),
    OptionSpec::new(
        "mode",
        OptionKind::Str,
        "output layout: rgb, gray (or L), cmyk; default: gray files 2-D, else RGB",
    ),
    OptionSpec::new(
        "strict",
        OptionKind::Bool,
        "truncated/damaged data is an error (default true)",
    ),
];

const WRITE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new("quality", OptionKind::Int, "1..=100, default 75"),
    OptionSpec::new("progressive", OptionKind::Bool, "progressive JPEG"),
    OptionSpec::new("optimize", OptionKind::Bool, "optimised Huffman tables"),
    OptionSpec::new(
        "subsampling",
        OptionKind::Str,
        "chroma subsampling 4:4:4, 4:2:2 or 4:2:0 (default)",
    ),
    OptionSpec::new(
        "dpi",
        OptionKind::List,
        "resolution in dots per inch: x or x,y",
    ),
    OptionSpec::new("icc_profile", OptionKind::Bytes, "ICC profile to embed"),
    OptionSpec::new("exif", OptionKind::Bytes, "EXIF data to embed"),
    OptionSpec::new("comment", OptionKind::Bytes, "comment (COM segment)"),
    OptionSpec::new(
        "restart_interval",
        OptionKind::Int,
        "restart marker every N MCUs (0: none)",
    ),
];

#[cfg(not(feature = "turbo"))]
const DESCRIPTION: &str = "JPEG (zune-jpeg decoder, jpeg-encoder encoder; pure Rust)";
#[cfg(feature = "turbo")]
const DESCRIPTION: &str = "JPEG (libjpeg-turbo 3.1 decoder and encoder, feature `turbo`)";

submit_plugin!(PluginDescriptor {
    name: "jpeg",
    description: DESCRIPTION,
    extensions: &[".jpg", ".jpeg", ".jpe", ".jfif"],
    priority: 10,
    can_read: true,
    can_write: true,
    sniff: Some(sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        imageio_core::Mode::Read => Ok(Box::new(JpegReader::open(&req)?)),
        imageio_core::Mode::Write => Ok(Box::new(JpegWriter {
            sink: req.sink()?.clone(),
            settings: encode::Settings::from_options(&req.options)?,
            written: false,
        })),
    }
}

struct JpegReader<'a> {
    source: Source<'a>,
    /// The file's bytes when the source is not already in memory.
    owned: Option<Vec<u8>>,
    header: Header,
    stored: Stored,
    mode: Mode,
    rotate: bool,
    strict: bool,
    orientation: Option<u32>,
    limits: Limits,
}

impl<'a> JpegReader<'a> {
    fn open(req: &Request<'a>) -> Result<Self> {
        if !sniff(req.first_bytes()) {
            return Err(Error::unsupported("no JPEG signature (FF D8 FF)"));
        }
        let source = req.source()?.clone();
        let owned = match source.bytes() {
            Some(_) => None,
            None => Some(source.read_all()?.into_owned()),
        };
        let data = owned
            .as_deref()
            .or_else(|| source.bytes())
            .unwrap_or_default();
        let header = markers::scan(data)?;
        let stored = Stored::of(&header)?;
        let mode = match req.options.get_str("mode") {
            Some(m) => Mode::parse(m)?,
            None => stored.default_mode(),
        };
        let orientation = header.exif.as_deref().and_then(exif::orientation);
        Ok(JpegReader {
            source,
            owned,
            header,
            stored,
            mode,
            rotate: req.options.get_bool("rotate").unwrap_or(false),
            strict: req.options.get_bool("strict").unwrap_or(true),
            orientation,
            limits: req.limits,
        })
    }

    fn data(&self) -> &[u8] {
        self.owned
            .as_deref()
            .or_else(|| self.source.bytes())
            .unwrap_or_default()
    }

    /// The orientation that `read` applies: None when `rotate` is off, when there is none, and
    /// for invalid values (0, 9, …), which leave the image unchanged.
    fn applied_orientation(&self) -> Option<u32> {
        self.orientation
            .filter(|o| self.rotate && (1..=8).contains(o))
    }

    fn check_index(index: Index) -> Result<bool> {
        match index {
            Index::Default | Index::At(0) => Ok(false),
            Index::All => Ok(true),
            Index::At(n) => Err(Error::index_out_of_range(n, Some(1))),
        }
    }

    fn image_shape(&self) -> Vec<usize> {
        let f = self.header.frame.as_ref().expect("scan guarantees a frame");
        let (mut h, mut w) = (f.height as usize, f.width as usize);
        if self.applied_orientation().is_some_and(decode::swaps_axes) {
            std::mem::swap(&mut h, &mut w);
        }
        decode::shape(h, w, self.mode)
    }
}

impl Plugin for JpegReader<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        let batch = Self::check_index(index)?;
        let mut a = decode::decode(
            self.data(),
            &self.header,
            self.mode,
            self.strict,
            &self.limits,
        )?;
        if let Some(o) = self.applied_orientation() {
            a = decode::orient(a, o);
        }
        if batch {
            a.insert_axis_inplace(imageio_core::ndarray::Axis(0));
        }
        Ok(NdArray::from(a))
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        let batch = Self::check_index(index)?;
        let shape = self.image_shape();
        Ok(if batch {
            ImageProperties::batch(1, &shape, DType::U8)
        } else {
            ImageProperties::single(shape, DType::U8)
        })
    }

    fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata> {
        Self::check_index(index)?;
        let h = &self.header;
        let mut m = Metadata::new();
        if let Some(j) = h.jfif {
            m.insert("jfif".into(), j.version.into());
            m.insert(
                "jfif_version".into(),
                vec![i64::from(j.version >> 8), i64::from(j.version & 0xFF)].into(),
            );
            m.insert("jfif_unit".into(), j.unit.into());
            m.insert(
                "jfif_density".into(),
                vec![i64::from(j.density.0), i64::from(j.density.1)].into(),
            );
            let scale = match j.unit {
                1 => Some(1.0),
                2 => Some(2.54),
                _ => None,
            };
            if let Some(s) = scale {
                m.insert(
                    "dpi".into(),
                    vec![f64::from(j.density.0) * s, f64::from(j.density.1) * s].into(),
                );
            }
        }
        if let Some(e) = &h.exif {
            m.insert("exif".into(), e.clone().into());
        }
        if let Some(icc) = h.icc_profile() {
            m.insert("icc_profile".into(), icc.into());
        }
        if let Some(x) = &h.xmp {
            m.insert("xmp".into(), x.clone().into());
        }
        if let Some(c) = &h.comment {
            m.insert("comment".into(), c.clone().into());
        }
        if let Some((version, transform)) = h.adobe {
            m.insert("adobe".into(), version.into());
            if let Some(t) = transform {
                m.insert("adobe_transform".into(), t.into());
            }
        }
        let frame = h.frame.as_ref().expect("scan guarantees a frame");
        m.insert("progressive".into(), frame.progressive().into());
        if let Some(s) = frame.subsampling() {
            m.insert("subsampling".into(), s.into());
        }
        m.insert("mode".into(), self.stored.pillow_name().into());
        if let Some(e) = &h.exif {
            exif::add_fields(e, &mut m);
            if !m.contains_key("dpi") {
                m.insert("dpi".into(), exif_dpi(&m).into());
            }
        }
        if exclude_applied && self.applied_orientation().is_some() {
            m.shift_remove("Orientation");
        }
        Ok(m)
    }
}

/// Pillow's `_read_dpi_from_exif`: `XResolution` (× 2.54 when `ResolutionUnit` is 3, cm), else 72.
fn exif_dpi(m: &Metadata) -> Vec<f64> {
    let unit = m.get("ResolutionUnit").and_then(Value::as_int);
    let x = m.get("XResolution").and_then(Value::as_float);
    match (unit, x) {
        (Some(u), Some(x)) if x.is_finite() => {
            let d = if u == 3 { x * 2.54 } else { x };
            vec![d, d]
        }
        _ => vec![72.0, 72.0],
    }
}

struct JpegWriter<'a> {
    sink: Sink<'a>,
    settings: encode::Settings,
    written: bool,
}

impl Plugin for JpegWriter<'_> {
    fn read(&mut self, _: Index) -> Result<NdArray> {
        Err(Error::invalid_argument("opened for writing"))
    }
    fn properties(&mut self, _: Index) -> Result<ImageProperties> {
        Err(Error::invalid_argument("opened for writing"))
    }
    fn metadata(&mut self, _: Index, _: bool) -> Result<Metadata> {
        Err(Error::invalid_argument("opened for writing"))
    }

    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        if self.written {
            return Err(Error::invalid_argument(
                "a JPEG file holds one image and this one is already written (write each image to its own file)",
            ));
        }
        let batch = is_batch.unwrap_or(image.ndim() == 4);
        let image = if batch {
            match image.shape().first() {
                Some(1) => image.index_axis0(0),
                n => {
                    return Err(Error::invalid_argument(format!(
                        "a JPEG file holds one image, not a batch of {} (write each image to its own file)",
                        n.copied().unwrap_or(0)
                    )));
                }
            }
        } else {
            image
        };
        let bytes = encode::encode(&image, &self.settings)?;
        use std::io::Write;
        let mut w = self.sink.writer()?;
        w.write_all(&bytes)?;
        w.flush()?;
        self.written = true;
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if !self.written {
            return Err(Error::invalid_argument(
                "no image was written: a JPEG file needs one image",
            ));
        }
        Ok(())
    }
}
