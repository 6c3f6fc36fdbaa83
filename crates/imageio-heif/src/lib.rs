//! The HEIF/HEIC/AVIF backend of imageio-rs, on libheif (through libheif-rs 3 and libheif-sys).
//!
//! Registers the plugin `heif` for `.heic`, `.heif`, `.hif` and `.avif`. Needs libheif ≥ 1.19
//! with its encoder/decoder plugins (Debian bookworm-backports: `libheif-dev
//! libheif-plugin-x265 libheif-plugin-aomenc libheif-plugin-aomdec libheif-plugin-libde265
//! libheif-plugin-dav1d libheif-plugin-ffmpegdec`). libheif's security limits stay at their defaults (on) and every
//! decoded buffer is also checked against the request's [`Limits`](imageio_core::Limits) first.
//!
//! # Reading
//!
//! - Decoder: option `decoder` (default `auto`). HEVC decoding is bit-exact by specification, so
//!   `auto` prefers FFmpeg's HEVC decoder (libheif's `ffmpeg` plugin) for 4:2:0 and monochrome
//!   images: same pixels as libde265 (tested on every fixture), about 30 % less CPU. libheif
//!   1.19 gives neither decoder more than one thread for a single (non-grid) image.
//! - Recognised by extension or by sniffing: an `ftyp` box whose major or compatible brands
//!   include one of `heic heix hevc hevx heim heis hevm hevs mif1 mif2 msf1 avif avis`.
//! - `Index::Default` is the **primary** image (as pillow-heif and Pillow); `Index::At(n)` the
//!   n-th top-level image in file order (thumbnails, depth maps and alpha planes are not
//!   top-level images); `Index::All` stacks them when every image has the same shape and dtype
//!   (else an error naming both shapes); iteration yields every top-level image in file order.
//! - Pixels: 8-bit images → `u8`; 10/12-bit → `u16` holding the **native** values 0…1023 /
//!   0…4095. The read option `scale_to_16bit=true` shifts them left by 6 / 4 bits (zero low bits)
//!   to 0…65472 / 0…65520, which is exactly what pillow-heif returns for HDR images when it does
//!   not convert them to 8 bit. Colour images are `(H, W, 3)`, with alpha `(H, W, 4)`
//!   (straight, not premultiplied). Monochrome images without alpha are `(H, W)`; a monochrome
//!   image with alpha is returned as RGBA `(H, W, 4)`. Geometric transformations stored in the
//!   file (rotation, mirroring, crop) are applied, as libheif and pillow-heif do.
//! - Metadata of an image (`Index::Default`/`At(n)`): `primary` (bool), `bit_depth`, `has_alpha`,
//!   `chroma` (`"420"`, `"422"`, `"444"`, `"400"`), `width`, `height`, `exif` (the item's bytes after
//!   its 4-byte offset field, as pillow-heif), `xmp` (bytes), `icc_profile` (bytes), `nclx_profile` (map:
//!   `color_primaries`, `transfer_characteristics`, `matrix_coefficients`, `full_range`),
//!   `n_depth_images`/`depth_images` and `n_thumbnails`/`thumbnails` (lists of `[height,
//!   width]`). Every call also gives the file-level keys `n_images`, `primary_index` and `brand`
//!   (the major brand of the `ftyp` box); `Index::All` gives only those.
//!
//! # Writing
//!
//! Options (all declared; see [`HeifWriteOptions`] for the typed builder):
//!
//! - `quality`: 0…100, or -1 for lossless. Unset: the encoder's default (50 for x265 and aom).
//! - `chroma`: `"420"`, `"422"` or `"444"` (also `444` as an integer). Unset: libheif's 4:2:0.
//! - `matrix_coefficients`, `color_primaries`, `transfer_characteristics`, `full_range`: the
//!   output NCLX profile. As in pillow-heif, values given start from libheif's default output
//!   profile and replace its fields.
//! - `nclx_profile`: a map with the same four keys (what reading returns). It is attached to the
//!   input image and used as the output profile, so writing back what was read keeps the NCLX
//!   profile; the four scalar options above override its fields. An NCLX box is always written
//!   (pillow-heif's default, `SAVE_NCLX_PROFILE=True`).
//! - Lossless (the seed's recipe): `quality=-1, chroma="444", matrix_coefficients=0` stores RGB
//!   without a YCbCr conversion and reads back bit-exact (8, 10 and 12 bits, HEVC and AV1).
//! - Bit depth: `u8` input is saved with 8 bits; `u16` input with 10 bits, or 12 bits with
//!   `save_to_12bit=true` or `bit_depth=12` (`bit_depth` wins). `u16` samples are **native**
//!   values (≤ 1023 / 4095: what reading returns by default); a larger value is an error that
//!   points to `scale_from_16bit=true`, which takes 0…65535 data and shifts it right by 6 / 4
//!   bits as pillow-heif does for its 16-bit modes.
//! - Shapes: `(H, W)` gray, `(H, W, 3)` RGB, `(H, W, 4)` RGBA. A batch (`(N, H, W, C)`, or any
//!   3-D array whose last axis is not 3 or 4, or `is_batch=Some(true)`) is saved as N top-level
//!   images (pillow-heif's `save_all`); repeated `write` calls append images.
//! - `primary_index`: which image is primary (-1 = the last). **Difference from pillow-heif**:
//!   writers here receive arrays without per-image metadata, so the "last image whose
//!   `info["primary"]` is true" rule cannot apply; without `primary_index` the first image is
//!   primary (libheif's and pillow-heif's default for images without that flag).
//! - `exif`, `xmp`, `icc_profile` (bytes): attached to **every** image written by this writer.
//! - Encoder: by extension (`.avif` → AV1, the first libheif AV1 encoder, here aom; `.heic`,
//!   `.heif`, `.hif` or none → HEVC, x265), or `encoder` = a libheif encoder id (`x265`,
//!   `aom`, `svt`, `rav1e`, `kvazaar`, …) or part of its name.
//! - Speed: `preset` (x265 preset name) or `speed` 0…9 (aom's `speed`; for x265 0 = `placebo`
//!   … 9 = `ultrafast`). **Defaults chosen deliberately**: x265 `faster` (libheif's own default,
//!   used by pillow-heif, is `slow`), aom speed 6 (libheif's default). On a 4096×3072 photo-like
//!   image at quality 90, `faster` used 3.3× less CPU than `slow` for a file 1 % larger with
//!   the same PSNR; see `docs/formats/heif.md` and the crate's bench for the numbers.
//!
//! Writing to `<bytes>` works (libheif writes into memory, then the sink).
//!
//! # Example
//!
//! ```
//! use imageio_core::{open, Index, Mode, NdArray, OpenArgs, Resource};
//! use imageio_heif::HeifWriteOptions;
//!
//! let img = NdArray::from_shape_vec(&[16, 24, 3], (0..16 * 24 * 3).map(|i| (i % 251) as u8).collect())?;
//! let args = OpenArgs {
//!     extension: Some(".heic".into()),
//!     options: HeifWriteOptions::new().quality(-1).chroma("444").matrix_coefficients(0).into(),
//!     ..Default::default()
//! };
//! let mut w = open(Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&img)?;
//! let bytes = w.close()?.unwrap();
//! let mut r = open(Resource::from(bytes), Mode::Read, &Default::default())?;
//! assert_eq!(r.plugin_name(), "heif");
//! assert_eq!(r.read(Index::Default)?, img); // lossless: bit-exact
//! # Ok::<(), imageio_core::Error>(())
//! ```

mod read;
mod write;

use std::sync::OnceLock;

use imageio_core::{
    OptionKind, OptionSpec, PluginDescriptor, Request, Result, Value, submit_plugin,
};

pub use write::{DEFAULT_AOM_SPEED, DEFAULT_X265_PRESET};

/// The `ftyp` brands that make a file ours.
pub const BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"mif2",
    b"msf1", b"avif", b"avis",
];

/// libheif, initialised once for the process (plugins loaded) and never deinitialised.
pub(crate) fn lib() -> &'static libheif_rs::LibHeif {
    static LIB: OnceLock<libheif_rs::LibHeif> = OnceLock::new();
    LIB.get_or_init(libheif_rs::LibHeif::new)
}

/// The `ftyp` box's brands (major first) from the first bytes.
fn brands(b: &[u8]) -> Vec<[u8; 4]> {
    if b.len() < 16 || &b[4..8] != b"ftyp" {
        return Vec::new();
    }
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let end = size.min(b.len());
    let mut out = vec![[b[8], b[9], b[10], b[11]]];
    let mut i = 16;
    while i + 4 <= end {
        out.push([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        i += 4;
    }
    out
}

/// True when the first bytes are an `ftyp` box with a HEIF/AVIF brand.
pub fn sniff(b: &[u8]) -> bool {
    brands(b).iter().any(|br| BRANDS.contains(&br))
}

pub(crate) fn file_brand(b: &[u8]) -> Option<String> {
    brands(b)
        .first()
        .map(|x| String::from_utf8_lossy(x).into_owned())
}

const READ_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "scale_to_16bit",
        OptionKind::Bool,
        "10/12-bit images: shift samples left to 0…65535 like pillow-heif (default: native 0…1023/4095)",
    ),
    OptionSpec::new(
        "decoder",
        OptionKind::Str,
        "libheif decoder plugin id (`ffmpeg`, `libde265`, `dav1d`, `aom`, …); default `auto`: \
         FFmpeg's HEVC decoder when libheif has it (identical pixels, less CPU), else libheif's choice",
    ),
];

/// The libheif decoder plugin preferred for HEVC when it is installed (`libheif-plugin-ffmpegdec`).
pub const PREFERRED_HEVC_DECODER: &str = "ffmpeg";

/// The decoder plugins libheif has loaded, as `(id, description)`, highest priority first.
pub fn installed_decoders() -> Vec<(String, String)> {
    lib()
        .decoder_descriptors(64, None)
        .iter()
        .map(|d| (d.id().to_owned(), d.name()))
        .collect()
}

const WRITE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "quality",
        OptionKind::Int,
        "0…100, -1 = lossless (default: encoder default, 50)",
    ),
    OptionSpec::new(
        "chroma",
        OptionKind::Any,
        "chroma subsampling: \"420\" (default), \"422\", \"444\"",
    ),
    OptionSpec::new(
        "matrix_coefficients",
        OptionKind::Int,
        "output NCLX matrix coefficients (0 = RGB, for lossless)",
    ),
    OptionSpec::new(
        "color_primaries",
        OptionKind::Int,
        "output NCLX colour primaries",
    ),
    OptionSpec::new(
        "transfer_characteristics",
        OptionKind::Int,
        "output NCLX transfer characteristics",
    ),
    OptionSpec::new(
        "full_range",
        OptionKind::Bool,
        "output NCLX full-range flag",
    ),
    OptionSpec::new(
        "nclx_profile",
        OptionKind::Any,
        "NCLX map (as read) kept in the output unless overridden",
    ),
    OptionSpec::new(
        "save_to_12bit",
        OptionKind::Bool,
        "save u16 input with 12 bits (default 10)",
    ),
    OptionSpec::new(
        "bit_depth",
        OptionKind::Int,
        "8, 10 or 12 (u16 input: 10 or 12)",
    ),
    OptionSpec::new(
        "scale_from_16bit",
        OptionKind::Bool,
        "u16 input is 0…65535: shift right to 10/12 bits",
    ),
    OptionSpec::new(
        "primary_index",
        OptionKind::Int,
        "index of the primary image (-1 = last; default 0)",
    ),
    OptionSpec::new(
        "encoder",
        OptionKind::Str,
        "libheif encoder id or name (default by extension: x265 / aom)",
    ),
    OptionSpec::new(
        "preset",
        OptionKind::Str,
        "x265 preset (default \"faster\")",
    ),
    OptionSpec::new(
        "speed",
        OptionKind::Int,
        "encoder speed 0 (slowest) … 9 (fastest); aom default 6",
    ),
    OptionSpec::new(
        "exif",
        OptionKind::Bytes,
        "EXIF bytes (TIFF header on, or with an Exif\\0\\0 prefix)",
    ),
    OptionSpec::new("xmp", OptionKind::Bytes, "XMP packet"),
    OptionSpec::new("icc_profile", OptionKind::Bytes, "ICC profile"),
];

fn open<'a>(req: Request<'a>) -> Result<Box<dyn imageio_core::Plugin + 'a>> {
    match req.mode() {
        imageio_core::Mode::Read => read::open(req),
        imageio_core::Mode::Write => write::open(req),
    }
}

submit_plugin!(PluginDescriptor {
    name: "heif",
    description: "HEIF/HEIC and AVIF (libheif)",
    extensions: &[".heic", ".heif", ".hif", ".avif"],
    priority: 50,
    can_read: true,
    can_write: true,
    sniff: Some(sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

imageio_core::options_builder! {
    /// Typed read options.
    pub struct HeifReadOptions {
        /// Scale 10/12-bit samples to 0…65535 (pillow-heif's 16-bit mode).
        scale_to_16bit: bool,
        /// The libheif decoder plugin to use (`"auto"` by default; see [`PREFERRED_HEVC_DECODER`]).
        decoder: &str,
    }
}

imageio_core::options_builder! {
    /// Typed write options (see the crate docs for each).
    pub struct HeifWriteOptions {
        /// 0…100, -1 = lossless.
        quality: i64,
        /// `"420"`, `"422"` or `"444"`.
        chroma: &str,
        /// NCLX matrix coefficients (0 = RGB).
        matrix_coefficients: i64,
        /// NCLX colour primaries.
        color_primaries: i64,
        /// NCLX transfer characteristics.
        transfer_characteristics: i64,
        /// NCLX full-range flag.
        full_range: bool,
        /// Save u16 input with 12 bits.
        save_to_12bit: bool,
        /// 8, 10 or 12.
        bit_depth: i64,
        /// u16 input is 0…65535.
        scale_from_16bit: bool,
        /// Primary image (-1 = last).
        primary_index: i64,
        /// libheif encoder id.
        encoder: &str,
        /// x265 preset.
        preset: &str,
        /// Speed 0…9.
        speed: i64,
        /// EXIF bytes.
        exif: Vec<u8>,
        /// XMP bytes.
        xmp: Vec<u8>,
        /// ICC profile bytes.
        icc_profile: Vec<u8>,
    }
}

impl HeifWriteOptions {
    /// An NCLX profile map (as returned by reading).
    pub fn nclx_profile(self, m: imageio_core::Metadata) -> Self {
        self.set("nclx_profile", Value::Map(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_brands() {
        let mut b = vec![0, 0, 0, 24];
        b.extend_from_slice(b"ftypmif1\0\0\0\0mif1heic");
        assert!(sniff(&b));
        let mut m = vec![0, 0, 0, 20];
        m.extend_from_slice(b"ftypisom\0\0\0\0isom");
        assert!(!sniff(&m));
        assert!(!sniff(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn typed_builders_match_the_option_specs() {
        imageio_core::check_builder_keys(HeifReadOptions::KEYS, READ_OPTIONS).unwrap();
        imageio_core::check_builder_keys(HeifWriteOptions::KEYS, WRITE_OPTIONS).unwrap();
    }
}
