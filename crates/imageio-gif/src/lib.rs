//! The GIF backend of imageio-rs, built on the `gif` crate (0.14).
//!
//! # Reading
//!
//! Every frame is **composited onto the full logical screen** the way browsers do it: frames may
//! cover only part of the screen at an offset, have local palettes, be interlaced, have a
//! transparent index; before frame *k + 1* is drawn, frame *k*'s disposal is applied
//! (0 "none" and 1 "keep": leave it; 2 "background": clear its rectangle to transparent; 3
//! "previous": restore its rectangle to what it was before frame *k* was drawn). The last frame's
//! disposal is never applied. When the **first** frame does not fit in the logical screen (its
//! offset plus its size is larger; files with a 0×0 logical screen are common), the screen is
//! grown to hold it, as browsers (Chromium's `GIFImageReader`) and Pillow do; the array shape and
//! the metadata `shape` are the grown size. Parts of later frames outside the screen are clipped.
//! A frame of zero width or height draws nothing (it still counts, with its delay and disposal;
//! Pillow refuses such files with "tile cannot extend outside image").
//!
//! ## ONE channel layout for every frame of a file
//!
//! **A file reads as RGB `(N, H, W, 3)` or as RGBA `(N, H, W, 4)` — the same for every
//! frame — decided before decoding from a cheap scan of the headers:**
//!
//! - **RGBA** when any frame has a transparent colour index, or the canvas background can show
//!   through: the first frame does not cover the whole screen, a frame other than the last is
//!   disposed to the background (disposal 2), or the first frame of an animation is disposed to
//!   "previous" (disposal 3, the empty canvas).
//! - **RGB** otherwise.
//!
//! This is deliberately different from upstream imageio + Pillow, where frame 0 of a GIF with
//! transparency comes out RGB (palette mode converted with `palette.mode`) and later frames
//! RGBA, so that the default `imread` fails to stack them ("all input arrays must have the same
//! shape") while `improps` claims `(n, H, W, 3)`. Here `properties()` always equals what
//! `read()` returns. The rule is conservative: an RGBA file may turn out fully opaque.
//! Force a layout with the `mode` option (`"rgb"` drops alpha, `"rgba"` adds an opaque alpha).
//!
//! Pixels whose alpha is 0 still carry a colour: the colour of the transparent index in the
//! palette of the frame that made them transparent (what Pillow's `convert("RGBA")` shows);
//! transparent black where no frame said otherwise.
//!
//! Compared with Pillow 13 (default loading strategy, composited frame converted with
//! `.convert("RGBA")`): decoded pixels are identical, byte for byte, for the standard images and
//! for the generated edge cases of `fixtures/gif` (every disposal method with transparency,
//! local palettes, interlacing, partial frames at offsets). Pillow differs from browsers — and so
//! from us — in four documented places: (1) a frame with disposal 0 after a frame with
//! disposal 2 or 3 inherits that disposal in Pillow (its "sticky" `disposal_method`); (2)
//! Pillow restores disposal 2 to the *opaque background colour* when the disposed frame has no
//! transparent index (and in an RGB canvas even when it does), browsers clear to transparent;
//! (3) Pillow fills the part of the screen the first frame does not cover with palette entry 0
//! (opaque), browsers leave it transparent; (4) disposal 3 ("previous") on the *first* frame
//! restores the empty (transparent) canvas in browsers (Chromium starts the next frame from an
//! empty one when no earlier frame can be restored), while Pillow keeps the first frame. Pillow
//! also grows the image when a *later* frame
//! extends past the screen (and then cannot stack the frames); we clip, as browsers do.
//!
//! ## Index, iteration, options
//!
//! - The **default index reads all frames stacked** `(N, H, W, C)`, as upstream does for GIF
//!   (a single-frame GIF is `(1, H, W, C)`); `Index::At(n)` is one frame `(H, W, C)`;
//!   `Index::All` is the stack. An index past the end is `Error::IndexOutOfRange`.
//! - Reading all frames (the default) of a file with 4 or more frames on a machine with 2 or
//!   more cores is pipelined: the compressed frames are read first (the `gif` crate's
//!   `skip_frame_decoding`), up to 4 worker threads LZW-decode them (weezl; LZW is about three
//!   quarters of the work) into index buffers, and the calling thread composites them in order
//!   straight into the output array. Each worker hands its frames over through its own
//!   2-frame channel, so only a few decoded frames wait at a time. The result is byte for byte
//!   the sequential decoder's (a test compares every fixture in every layout).
//! - `iter()` streams: one decoder and one canvas, frame after frame, in constant memory.
//!   Reading frames in increasing order never re-decodes; going back restarts from frame 0
//!   (compositing needs every earlier frame).
//! - `properties()` never decodes pixels: the frame count comes from the header walk, which
//!   skips the LZW data by its sub-block lengths (see `scan.rs`).
//! - Read option `mode`: `"auto"` (default, the rule above), `"rgb"`, `"rgba"`, or `"palette"`:
//!   colour indices `(H, W)` u8 per frame, composited in index space (transparent pixels keep the
//!   index below; the canvas starts as the first frame's transparent index, else the background
//!   index; disposal 2 fills the transparent index, else the background index). The palette is
//!   in the metadata (`color_table`). Indices are only meaningful against one table: for files
//!   whose frames use different local tables, read RGB(A).
//! - Limits: the screen size is checked against `max_pixels`, every frame's declared size before
//!   the decoder allocates it, and the stacked result (`N × H × W × C`) against `max_bytes`
//!   before allocating it.
//! - Truncated files: frames whose image data is complete are listed and decoded; a frame cut
//!   inside its data is dropped (file metadata `truncated: true`); a file with no complete
//!   frame is an error. Bytes after an unknown block are ignored in the same way.
//!
//! ## Metadata
//!
//! File level (`Index::Default`/`All`): `version` (`"GIF87a"`/`"GIF89a"`), `loop` (NETSCAPE2.0
//! count, **0 = forever**; absent when the file has no loop extension), `background` (index, when
//! there is a global table), `comment` (all comment extensions joined by `\n`), `duration` (frame
//! 0) and **`durations` (one per frame), in MILLISECONDS** (GIF stores hundredths of a second;
//! upstream #1074 documented seconds by mistake), `disposals`, `transparency` (frame 0's index),
//! `n_frames`, `shape` `(H, W)` (not Pillow's `(W, H)`), `mode` (`RGB`/`RGBA`/`P`), and with
//! `exclude_applied = false` the `palette`. Per frame (`Index::At(n)`): `duration` (**ms**),
//! `disposal`, `transparency`, `comment`, `position` `(top, left)`, `frame_shape`, `interlaced`,
//! `local_palette` and, with `exclude_applied = false`, `palette`.
//!
//! `palette` is what upstream reports: the **distinct** colours of the frame's colour table in
//! order of first appearance, shape `(n, 3)` u8 (Pillow's `palette.colors`; 102 for
//! newtonscradle.gif, whose table has 128 entries). `color_table` is the whole table, which the
//! indices of `mode="palette"` refer to. Both are always present in palette mode.
//!
//! # Writing
//!
//! Input: u8 `(H, W)` gray, `(H, W, 3)` RGB, `(H, W, 4)` RGBA, or batches `(N, H, W[, C])`
//! (shape rule without `is_batch`: 4-D, or 3-D whose last axis is not 1/3/4, is a batch).
//! Repeated `write()` calls append frames; every frame is quantised, LZW-encoded and written to
//! the sink as it comes (constant memory); the loop extension is written with the header.
//!
//! Options: `duration` (**milliseconds**, one value or a list with one value per frame; stored
//! rounded to hundredths of a second; default 100 ms) or `fps`; `loop` (**default 0 = loop
//! forever**, like imageio's legacy GIF writer and every browser-made GIF; a count n > 0 writes
//! n; a negative value writes no loop extension, which is Pillow's default and plays once);
//! `palettesize` (2..=256, rounded up to a power of two; default 256); `quantizer`
//! (`"mediancut"`, the default, or `"neuquant"`; see below); `quantizer_speed` (NeuQuant sampling
//! factor 1..=30, default 10); `dither` (Floyd–Steinberg, default off: it lowers PSNR and
//! compresses worse); `subrectangles` (default on: store only the bounding box of the pixels
//! that changed since the previous frame, upstream #74); `disposal` (0..=3 for every frame).
//!
//! Palettes: each frame gets its own (local) colour table. A frame (or changed rectangle) with
//! at most `palettesize` colours is stored **exactly**; otherwise the quantiser builds the table.
//! RGBA input: pixels with alpha < 128 become the transparent index (one palette entry is
//! reserved for it in every frame of an RGBA input, even a frame without transparent pixels, so
//! that Pillow, which decides RGB vs RGBA from frame 0 and clears disposal 2 to transparent only
//! for frames with a transparent index, shows what browsers show), the others are opaque. RGBA frames are written whole with disposal 2 unless
//! `disposal` says otherwise, so that a later frame's transparent pixels show the background, not
//! the frame before; sub-rectangles are used only between frames without transparent pixels and
//! with disposal 0 or 1.
//!
//! The quantiser: median cut on a 15-bit histogram, refined by three k-means passes (written
//! here), is the default because it measured better than NeuQuant on a 100 × 256 × 256 photo-like
//! pan (example `gif_timing`, busy 2-core machine): 36.6 dB PSNR in 0.64 s CPU against
//! NeuQuant's 34.9 dB in 2.1 s (Floyd–Steinberg dithering: 34.7 dB, 1.5 s). NeuQuant comes from
//! the `color_quant` crate (the `gif` crate's own choice). `imagequant` (libimagequant) is
//! GPL-licensed and not used; `quantette` needs Rust 1.90, above this workspace's minimum (1.87).
//!
//! # Example
//!
//! ```
//! use imageio_core::{Index, Mode, OpenArgs, Resource};
//! use imageio_gif::{GifReadOptions, GifWriteOptions};
//! use imageio_core::ndarray::Array4;
//!
//! // Two 8×8 frames, written with 250 ms per frame, looping forever.
//! let frames = Array4::<u8>::from_shape_fn((2, 8, 8, 3), |(k, y, x, c)| (k * 100 + y * 10 + x + c) as u8);
//! let args = OpenArgs { extension: Some(".gif".into()), options: GifWriteOptions::new().duration_ms(250.0).into(), ..Default::default() };
//! let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&frames)?;
//! let bytes = w.close()?.expect("bytes");
//!
//! let args = OpenArgs { options: GifReadOptions::new().mode("auto").into(), ..Default::default() };
//! let mut r = imageio_core::open(Resource::from(bytes), Mode::Read, &args)?;
//! let all = r.read(Index::Default)?;
//! assert_eq!(all.shape(), &[2, 8, 8, 3]);
//! assert_eq!(all.as_array::<u8>().unwrap(), frames.view().into_dyn()); // ≤ 256 colours: exact
//! assert_eq!(r.metadata(Index::Default, true)?["durations"], vec![250i64, 250].into());
//! # Ok::<(), imageio_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod quant;
mod read;
mod scan;
mod write;

use imageio_core::{
    Mode, OptionKind, OptionSpec, Options, Plugin, PluginDescriptor, Request, Result, Value,
    submit_plugin,
};

pub use quant::Quantizer;

/// Options accepted when reading.
pub const READ_OPTIONS: &[OptionSpec] = &[OptionSpec::new(
    "mode",
    OptionKind::Str,
    "channel layout: auto (RGBA if the file can show transparency, else RGB), rgb, rgba, palette (indices)",
)];

/// Options accepted when writing.
pub const WRITE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "duration",
        OptionKind::List,
        "milliseconds per frame: one value, or one per frame (default 100)",
    ),
    OptionSpec::new(
        "fps",
        OptionKind::Float,
        "frames per second (instead of duration)",
    ),
    OptionSpec::new(
        "loop",
        OptionKind::Int,
        "loop count: 0 = forever (default), n > 0, negative = no loop extension",
    ),
    OptionSpec::new(
        "palettesize",
        OptionKind::Int,
        "colours per frame, 2..=256, rounded up to a power of two",
    ),
    OptionSpec::new(
        "quantizer",
        OptionKind::Str,
        "mediancut (default) or neuquant",
    ),
    OptionSpec::new(
        "quantizer_speed",
        OptionKind::Int,
        "NeuQuant sampling factor 1 (best) ..= 30 (fastest), default 10",
    ),
    OptionSpec::new(
        "dither",
        OptionKind::Bool,
        "Floyd-Steinberg dithering (default false)",
    ),
    OptionSpec::new(
        "subrectangles",
        OptionKind::Bool,
        "store only the changed rectangle of each frame (default true)",
    ),
    OptionSpec::new(
        "disposal",
        OptionKind::Int,
        "disposal method of every frame: 0 none, 1 keep, 2 background, 3 previous",
    ),
];

fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        Mode::Read => Ok(Box::new(read::GifReader::open(req)?)),
        Mode::Write => Ok(Box::new(write::GifWriter::open(req)?)),
    }
}

submit_plugin!(PluginDescriptor {
    name: "gif",
    description: "GIF87a/GIF89a, animated, composited like browsers (gif crate)",
    extensions: &[".gif"],
    priority: 10,
    can_read: true,
    can_write: true,
    sniff: Some(scan::sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

/// Typed read options.
///
/// ```
/// let o: imageio_core::Options = imageio_gif::GifReadOptions::new().mode("rgba").into();
/// assert_eq!(o.get_str("mode"), Some("rgba"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct GifReadOptions {
    opts: Options,
}

impl GifReadOptions {
    /// No options (the defaults).
    pub fn new() -> Self {
        Self::default()
    }
    /// `"auto"`, `"rgb"`, `"rgba"` or `"palette"`.
    pub fn mode(mut self, mode: &str) -> Self {
        self.opts.set("mode", mode);
        self
    }
}

impl From<GifReadOptions> for Options {
    fn from(o: GifReadOptions) -> Options {
        o.opts
    }
}

/// Typed write options.
///
/// ```
/// let o: imageio_core::Options = imageio_gif::GifWriteOptions::new().fps(25.0).loop_count(0).palettesize(64).into();
/// assert_eq!(o.get_float("fps"), Some(25.0));
/// ```
#[derive(Clone, Debug, Default)]
pub struct GifWriteOptions {
    opts: Options,
}

impl GifWriteOptions {
    /// No options (the defaults).
    pub fn new() -> Self {
        Self::default()
    }
    /// Milliseconds for every frame.
    pub fn duration_ms(mut self, ms: f64) -> Self {
        self.opts
            .set("duration", Value::List(vec![Value::Float(ms)]));
        self
    }
    /// Milliseconds per frame, one value per frame.
    pub fn durations_ms(mut self, ms: &[f64]) -> Self {
        self.opts.set(
            "duration",
            Value::List(ms.iter().map(|&m| Value::Float(m)).collect()),
        );
        self
    }
    /// Frames per second (instead of a duration).
    pub fn fps(mut self, fps: f64) -> Self {
        self.opts.set("fps", fps);
        self
    }
    /// Loop count: 0 = forever.
    pub fn loop_count(mut self, n: u16) -> Self {
        self.opts.set("loop", n);
        self
    }
    /// Writes no loop extension (the animation plays once).
    pub fn no_loop(mut self) -> Self {
        self.opts.set("loop", -1i64);
        self
    }
    /// Colours per frame (2..=256, rounded up to a power of two).
    pub fn palettesize(mut self, n: u16) -> Self {
        self.opts.set("palettesize", n);
        self
    }
    /// The quantiser.
    pub fn quantizer(mut self, q: Quantizer) -> Self {
        self.opts.set(
            "quantizer",
            match q {
                Quantizer::NeuQuant => "neuquant",
                Quantizer::MedianCut => "mediancut",
            },
        );
        self
    }
    /// NeuQuant sampling factor (1 best ..= 30 fastest).
    pub fn quantizer_speed(mut self, s: u8) -> Self {
        self.opts.set("quantizer_speed", s);
        self
    }
    /// Floyd–Steinberg dithering.
    pub fn dither(mut self, on: bool) -> Self {
        self.opts.set("dither", on);
        self
    }
    /// Store only the changed rectangle of each frame.
    pub fn subrectangles(mut self, on: bool) -> Self {
        self.opts.set("subrectangles", on);
        self
    }
    /// Disposal method of every frame (0 none, 1 keep, 2 background, 3 previous).
    pub fn disposal(mut self, d: u8) -> Self {
        self.opts.set("disposal", d);
        self
    }
}

impl From<GifWriteOptions> for Options {
    fn from(o: GifWriteOptions) -> Options {
        o.opts
    }
}
