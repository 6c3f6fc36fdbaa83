//! The PNG and APNG backend of imageio-rs, on the pure-Rust [`png`] crate.
//!
//! Registered as plugin `"png"` for `.png` and `.apng` (priority 10); it recognises data by the
//! 8-byte PNG signature.
//!
//! ```
//! use imageio_core::{open, Index, Mode, OpenArgs, Resource};
//! use imageio_png::PngWriteOptions;
//!
//! let img = imageio_core::ndarray::Array3::<u16>::from_shape_fn((4, 5, 3), |(y, x, c)| (y * 5000 + x * 100 + c) as u16);
//! let args = OpenArgs {
//!     extension: Some(".png".into()),
//!     options: PngWriteOptions::new().compression("high").dpi(300.0).into(),
//!     ..Default::default()
//! };
//! let mut w = open(Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&img)?;
//! let bytes = w.close()?.expect("bytes");
//!
//! let mut r = open(Resource::from(bytes), Mode::Read, &OpenArgs::default())?;
//! assert_eq!(r.plugin_name(), "png");
//! let back = r.read(Index::Default)?;
//! assert_eq!(back.as_array::<u16>().unwrap(), img.into_dyn()); // 16 bits stay 16 bits
//! # Ok::<(), imageio_core::Error>(())
//! ```
//!
//! # Reading
//!
//! Every PNG the specification allows is read (1/2/4/8/16-bit; gray, gray+alpha, RGB, RGBA,
//! palette; `tRNS`; Adam7 interlacing). Gray images are 2-D `(H, W)`, all others `(H, W, C)`.
//!
//! | PNG | array | Pillow / imageio |
//! |---|---|---|
//! | 1-bit gray | `bool (H,W)` | same (mode `1`) |
//! | 2/4-bit gray | `u8 (H,W)` scaled to 0…255 (`v*255/max`) | same (mode `L`) |
//! | 8-bit gray | `u8 (H,W)` | same |
//! | 16-bit gray | `u16 (H,W)` | same (`I;16`) |
//! | gray+alpha 8 / 16 | `u8` / **`u16`** `(H,W,2)` | 16-bit reduced to 8 bits |
//! | RGB 8 / 16 | `u8` / **`u16`** `(H,W,3)` | 16-bit reduced to 8 bits |
//! | RGBA 8 / 16 | `u8` / **`u16`** `(H,W,4)` | 16-bit reduced to 8 bits |
//! | palette | `u8 (H,W,3)`, **`(H,W,4)` with `tRNS`** | RGB; `tRNS` alpha dropped |
//! | gray + `tRNS` | **gray+alpha** `(H,W,2)`, alpha 0 where the raw sample equals the `tRNS` value, else 255 (65535 for 16 bits); 1/2/4-bit gray scaled to u8 | `tRNS` dropped |
//! | RGB + `tRNS` | **RGBA** `(H,W,4)`, alpha 0 / 255 (or 0 / 65535) | `tRNS` dropped |
//!
//! **Deliberate differences from Pillow** (all places where Pillow loses data; we keep it):
//! 16-bit gray+alpha, RGB and RGBA keep their 16 bits (`u16`, upstream imageio #931/#982);
//! `tRNS` transparency becomes an alpha channel for gray, RGB and palette images. Pixels are never
//! gamma-corrected.
//!
//! Decoding stops after the last row of the image data, like Pillow and libpng: a file whose
//! `IEND` is missing (or whose chunks after the image data are damaged) still reads.
//!
//! Palette indices beyond the `PLTE` entries read as opaque black; palette entries past the end of
//! `tRNS` are opaque. The read option `palette = true` returns the raw palette indices `u8 (H,W)`
//! instead, with the palette in the metadata as `"palette"`, an `(n, 3)` array (`(n, 4)` RGBA
//! when there is a `tRNS` chunk).
//!
//! ## Index
//!
//! * A still PNG: [`Index::Default`](imageio_core::Index) and `At(0)` are the image,
//!   `All` is `(1, H, W[, C])`.
//! * An APNG (an `acTL` chunk): the default is **all frames stacked** `(N, H, W[, C])`, like
//!   imageio's pillow plugin. `At(n)` is frame `n` and `iter` streams the frames one at a time
//!   (a cursor decodes forward; going back restarts from the first frame).
//! * Frame numbering follows Pillow: when the `IDAT` image is not part of the animation (no `fcTL`
//!   before `IDAT`), it is frame 0 and the animation frames are 1…N; `n_frames` counts it.
//! * Frames are composited on the full canvas like Pillow's APNG reader: the canvas starts as
//!   zeros (transparent black); `dispose_op` of a frame is applied before the next one
//!   (`BACKGROUND` clears the frame's rectangle to zeros, `PREVIOUS` restores it, and `PREVIOUS`
//!   on frame 0 acts as `BACKGROUND`); `blend_op = OVER` blends every channel, alpha included, as
//!   `DIV255(old·(255−a) + new·a)` with Pillow's rounding, where `a` is the new pixel's alpha.
//!   Like Pillow, the first animation frame after a separate default image is drawn onto the
//!   default image (the APNG specification would clear the canvas).
//!   `PREVIOUS` restores what was under the frame before it was drawn (the specification, and
//!   Pillow's `seek(n)`); Pillow's frame-by-frame iteration differs after an `OVER` frame (its
//!   saved canvas aliases the blended one, so nothing is restored) — we do not copy that.
//!   Where Pillow has no equivalent we extend the rule: 16-bit APNGs blend with the rounded 16-bit
//!   formula; images without alpha (gray, RGB) treat `OVER` as `SOURCE`; with `palette = true`
//!   an index whose palette alpha is 0 keeps the old index under `OVER`; gray/RGB images with
//!   `tRNS` blend with the alpha we derive from it (Pillow ignores it for gray).
//! * An index past the end is [`Error::IndexOutOfRange`](imageio_core::Error).
//!
//! ## Options (read)
//!
//! * `palette` (bool, default false): palette indices + `"palette"` metadata instead of colours.
//!   It has no effect on images that are not palette-based.
//! * `rotate` (bool, default false): apply the EXIF `Orientation` (1–8) like Pillow's
//!   `ImageOps.exif_transpose`; 0, 9 and other values leave the image unchanged.
//!   `metadata(exclude_applied = true)` then leaves `Orientation` out.
//!
//! ## Metadata
//!
//! Keys, when the file has them: `bit_depth` (int), `color_type` (`"gray"`, `"gray_alpha"`,
//! `"rgb"`, `"rgba"`, `"palette"`), `interlaced` (bool), `gamma` (float, `gAMA / 100000` like
//! Pillow), `chromaticity` (the eight `cHRM` values / 100000, white x, y, red, green, blue, like
//! Pillow), `srgb` (rendering intent, int), `dpi` (`[x, y]` floats = pixels per metre × 0.0254,
//! exactly Pillow's numbers, when the `pHYs` unit is the metre) or `aspect` (`[x, y]` when the
//! unit is unknown), `icc_profile` (bytes), `text` (a map keyword → text from every `tEXt`,
//! `zTXt` and `iTXt` chunk, also those after the image data), `exif` (bytes) and `Orientation`
//! (int), `palette` (array, see above; also given with `exclude_applied = false` since the
//! default read applies it). APNG: `n_frames`, `loop` (0 = forever), `duration` (ms, of the
//! requested frame; frame 0 for the file-level metadata), `durations` (ms, every frame; 0 for a
//! separate default image) and, for `At(n)`, `disposal`, `blend` and `bbox` (`[x0, y0, x1, y1]`).
//!
//! Differences from imageio's pillow plugin: text chunks are in one `"text"` map instead of
//! top-level keys (a text keyword can then never shadow `dpi` or `gamma`); there is no `"shape"`
//! key (upstream gives `(width, height)`, the reverse of every array shape: use
//! `properties().shape`); no `"mode"` key (the array's dtype and shape say it).
//! `properties` and `metadata` never decompress pixel data.
//!
//! ## Limits
//!
//! The header is read first; `width × height` and the size of the decoded array(s) are checked
//! against the request's [`Limits`](imageio_core::Limits) before any pixel buffer is allocated,
//! and the `png` decoder's own memory limit (text, ICC, row buffers) is set to `max_bytes`.
//! A header claiming 100 000 × 100 000 pixels is refused with `Error::Limits`.
//!
//! # Writing
//!
//! `u8`/`u16` arrays `(H,W)` gray, `(H,W,2)` gray+alpha, `(H,W,3)` RGB, `(H,W,4)` RGBA, and
//! `bool (H,W)` as 1-bit gray. `(H,W,1)` is an error (as upstream), as are other dtypes (convert
//! first: no silent rescaling).
//!
//! A batch is written as an APNG (full frames, `dispose_op = NONE`, `blend_op = SOURCE`, the
//! first frame is the default image). Batch rule when `is_batch` is `None` (upstream's, plus
//! bool): ndim 4 → a batch; ndim 3 with a last axis of 2, 3 or 4 → one image; ndim 3 with a
//! last axis of 1 → error; other ndim 3 → a batch of gray frames; a bool ndim 3 → a batch.
//! A batch — even of one frame — is written as an APNG so that it reads back with its batch axis;
//! one image written once is a plain PNG; several `write` calls on one writer append APNG frames.
//! **APNG frames are buffered in memory until `close`**, because the frame count must be in
//! `acTL` before the first image data. A single image is encoded at its `write` (straight from
//! the caller's pixels, into memory) and copied to the destination at `close`; a second `write`
//! decodes it back into the frame buffer.
//!
//! ## Options (write)
//!
//! * `compression`: `"none"`, `"fastest"`, `"fast"` (**default**), `"balanced"`, `"high"` (the
//!   `png` crate's [`Compression`](png::Compression) presets, with their filters), or an integer:
//!   0 = none, 1–9 = zlib level (`DeflateCompression::Level`, adaptive filter; Pillow's default
//!   is 6). The default `fast` is fdeflate with adaptive filtering, as image-rs: on a 4096×3072
//!   noisy photo-like RGB image it gives a file 5.3 % larger than Pillow's zlib-6 file
//!   (18.21 MB vs 17.28 MB) about 40× faster; the `png` crate's own default (`balanced`,
//!   zlib 6) takes ~20× longer than `fast`.
//! * `filter`: `none`, `sub`, `up`, `avg`, `paeth`, `adaptive`, `minentropy` (overrides the
//!   preset's filter).
//! * `text`: a map keyword → text, a list of `"key=value"` strings, or one `"key=value"`. Latin-1
//!   text is written as `tEXt`, other text as uncompressed `iTXt`.
//! * `icc_profile` (bytes, an `iCCP` chunk), `dpi` (one number or `[x, y]`; a `pHYs` chunk in
//!   pixels per metre rounded like Pillow), `exif` (bytes, an `eXIf` chunk; a leading
//!   `Exif\0\0`, as JPEG metadata has it, is dropped like Pillow does).
//! * APNG: `duration` (ms, one value or one per frame; default 0), or `fps` (an integer fps is
//!   stored exactly as `1/fps` s), `loop` (0 = forever, the default). Delays are stored as
//!   `ms/1000` when that is exact, else as the closest fraction with a 16-bit denominator.
//!
//! Typed builders: [`PngReadOptions`] and [`PngWriteOptions`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod exif;
mod read;
mod samples;
mod write;

use imageio_core::{
    Mode, OptionKind, OptionSpec, Plugin, PluginDescriptor, Request, Result, Value, submit_plugin,
};

/// The 8-byte PNG signature.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// True when `bytes` start with the PNG signature.
pub fn sniff(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

const READ_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "palette",
        OptionKind::Bool,
        "return palette indices (H, W) u8; the palette is in the metadata",
    ),
    OptionSpec::new(
        "rotate",
        OptionKind::Bool,
        "apply the EXIF Orientation like Pillow's exif_transpose",
    ),
];

const WRITE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "compression",
        OptionKind::Any,
        "none | fastest | fast (default) | balanced | high, or a zlib level 0-9",
    ),
    OptionSpec::new(
        "filter",
        OptionKind::Str,
        "none | sub | up | avg | paeth | adaptive | minentropy",
    ),
    OptionSpec::new(
        "text",
        OptionKind::Any,
        "text chunks: a map, a list of key=value, or one key=value",
    ),
    OptionSpec::new("icc_profile", OptionKind::Bytes, "ICC profile (iCCP chunk)"),
    OptionSpec::new(
        "dpi",
        OptionKind::Any,
        "resolution: one number or [x, y] (pHYs chunk)",
    ),
    OptionSpec::new("exif", OptionKind::Bytes, "EXIF block (eXIf chunk)"),
    OptionSpec::new(
        "duration",
        OptionKind::List,
        "APNG: ms per frame (one value or one per frame)",
    ),
    OptionSpec::new(
        "fps",
        OptionKind::Float,
        "APNG: frames per second (instead of duration)",
    ),
    OptionSpec::new(
        "loop",
        OptionKind::Int,
        "APNG: number of plays, 0 = forever (default)",
    ),
];

fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        Mode::Read => Ok(Box::new(read::PngReader::open(req)?)),
        Mode::Write => Ok(Box::new(write::PngWriter::open(req)?)),
    }
}

submit_plugin!(PluginDescriptor {
    name: "png",
    description: "PNG and APNG (pure Rust, png crate)",
    extensions: &[".png", ".apng"],
    priority: 10,
    can_read: true,
    can_write: true,
    sniff: Some(sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

imageio_core::options_builder! {
    /// Typed read options (see the crate docs).
    ///
    /// ```
    /// let opts: imageio_core::Options = imageio_png::PngReadOptions::new().rotate(true).into();
    /// assert_eq!(opts.get_bool("rotate"), Some(true));
    /// ```
    pub struct PngReadOptions {
        /// Return palette indices instead of colours.
        palette: bool,
        /// Apply the EXIF orientation.
        rotate: bool,
    }
}

imageio_core::options_builder! {
    /// Typed write options (see the crate docs).
    ///
    /// ```
    /// let opts: imageio_core::Options =
    ///     imageio_png::PngWriteOptions::new().zlib_level(9).text("Title", "x").duration_ms(&[40.0]).loop_count(2).into();
    /// assert_eq!(opts.get_int("loop"), Some(2));
    /// ```
    pub struct PngWriteOptions {
        /// A preset: `"none"`, `"fastest"`, `"fast"`, `"balanced"` or `"high"`.
        compression: &str,
        /// The row filter (`"none"`, `"sub"`, `"up"`, `"avg"`, `"paeth"`, `"adaptive"`, `"minentropy"`).
        filter: &str,
        /// An ICC profile.
        icc_profile: Vec<u8>,
        /// An EXIF block (TIFF structure).
        exif: Vec<u8>,
        /// APNG frame rate.
        fps: f64,
    }
}

impl PngWriteOptions {
    /// A zlib level 0–9 (the `compression` option as a number).
    pub fn zlib_level(self, level: u8) -> Self {
        self.set("compression", level)
    }
    /// Adds a text chunk.
    pub fn text(self, keyword: &str, text: &str) -> Self {
        let mut chunks = match self.0.get("text") {
            Some(Value::Map(m)) => m.clone(),
            _ => imageio_core::Metadata::new(),
        };
        chunks.insert(keyword.to_owned(), text.into());
        self.set("text", Value::Map(chunks))
    }
    /// The same resolution on both axes, in dots per inch.
    pub fn dpi(self, dpi: f64) -> Self {
        self.set("dpi", dpi)
    }
    /// Resolution per axis, in dots per inch.
    pub fn dpi_xy(self, x: f64, y: f64) -> Self {
        self.set("dpi", vec![x, y])
    }
    /// APNG frame durations in ms (one value for all frames, or one per frame).
    pub fn duration_ms(self, ms: &[f64]) -> Self {
        self.set("duration", ms.to_vec())
    }
    /// APNG plays (0 = forever).
    pub fn loop_count(self, n: u32) -> Self {
        self.set("loop", n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageio_core::Options;

    #[test]
    fn typed_builders_match_the_option_specs() {
        imageio_core::check_builder_keys(PngReadOptions::KEYS, READ_OPTIONS).unwrap();
        imageio_core::check_builder_keys(PngWriteOptions::KEYS, WRITE_OPTIONS).unwrap();
        let o: Options = PngWriteOptions::new()
            .text("A", "1")
            .text("B", "2")
            .dpi(72.0)
            .loop_count(0)
            .into();
        let mut specs_ok = o.clone();
        specs_ok.validate(WRITE_OPTIONS).unwrap();
        assert_eq!(
            o.get("text").and_then(Value::as_map).map(|m| m.len()),
            Some(2)
        );
    }
}
