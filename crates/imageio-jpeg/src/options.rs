//! Typed option builders.

use imageio_core::{Options, Value};

/// Read options of the `jpeg` plugin, as a typed builder.
///
/// ```
/// use imageio_jpeg::JpegReadOptions;
/// let o: imageio_core::Options = JpegReadOptions::new().rotate(true).mode("gray").into();
/// assert_eq!(o.get_bool("rotate"), Some(true));
/// assert_eq!(o.get_str("mode"), Some("gray"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JpegReadOptions {
    opts: Options,
}

impl JpegReadOptions {
    /// No options (the defaults).
    pub fn new() -> Self {
        Self::default()
    }
    /// Apply the EXIF `Orientation` like Pillow's `ImageOps.exif_transpose` (default false).
    pub fn rotate(mut self, yes: bool) -> Self {
        self.opts.set("rotate", yes);
        self
    }
    /// Output mode: `"rgb"`, `"gray"` (or `"L"`), `"cmyk"`. Default: gray files 2-D gray,
    /// everything else RGB.
    pub fn mode(mut self, mode: &str) -> Self {
        self.opts.set("mode", mode);
        self
    }
    /// Strict decoding (default true): truncated or damaged entropy-coded data is an error. With
    /// `false`, zune-jpeg fills what it cannot decode with gray (like Pillow's
    /// `ImageFile.LOAD_TRUNCATED_IMAGES = True`).
    pub fn strict(mut self, yes: bool) -> Self {
        self.opts.set("strict", yes);
        self
    }
}

impl From<JpegReadOptions> for Options {
    fn from(o: JpegReadOptions) -> Options {
        o.opts
    }
}

/// Write options of the `jpeg` plugin, as a typed builder.
///
/// ```
/// use imageio_jpeg::JpegWriteOptions;
/// let o: imageio_core::Options =
///     JpegWriteOptions::new().quality(90).subsampling("4:4:4").progressive(true).dpi(300.0, 300.0).into();
/// assert_eq!(o.get_int("quality"), Some(90));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JpegWriteOptions {
    opts: Options,
}

impl JpegWriteOptions {
    /// No options (the defaults: quality 75, 4:2:0, baseline, standard Huffman tables).
    pub fn new() -> Self {
        Self::default()
    }
    /// Quality 1..=100 (libjpeg's scale of the Annex K tables; default 75 like Pillow).
    pub fn quality(mut self, q: u8) -> Self {
        self.opts.set("quality", q);
        self
    }
    /// Progressive encoding.
    pub fn progressive(mut self, yes: bool) -> Self {
        self.opts.set("progressive", yes);
        self
    }
    /// Optimised Huffman tables (smaller files, slower).
    pub fn optimize(mut self, yes: bool) -> Self {
        self.opts.set("optimize", yes);
        self
    }
    /// Chroma subsampling: `"4:4:4"`, `"4:2:2"` or `"4:2:0"` (default, like Pillow).
    pub fn subsampling(mut self, s: &str) -> Self {
        self.opts.set("subsampling", s);
        self
    }
    /// Resolution in dots per inch (rounded to integers, like Pillow).
    pub fn dpi(mut self, x: f64, y: f64) -> Self {
        self.opts
            .set("dpi", Value::List(vec![Value::Float(x), Value::Float(y)]));
        self
    }
    /// An ICC profile to embed (split over APP2 chunks).
    pub fn icc_profile(mut self, icc: Vec<u8>) -> Self {
        self.opts.set("icc_profile", icc);
        self
    }
    /// EXIF data to embed (a TIFF structure, with or without the `Exif\0\0` prefix).
    pub fn exif(mut self, exif: Vec<u8>) -> Self {
        self.opts.set("exif", exif);
        self
    }
    /// A comment (COM segment).
    pub fn comment(mut self, comment: impl Into<Vec<u8>>) -> Self {
        self.opts.set("comment", comment.into());
        self
    }
    /// A restart marker every `n` MCUs (0: none, the default).
    pub fn restart_interval(mut self, n: u16) -> Self {
        self.opts.set("restart_interval", n);
        self
    }
}

impl From<JpegWriteOptions> for Options {
    fn from(o: JpegWriteOptions) -> Options {
        o.opts
    }
}
