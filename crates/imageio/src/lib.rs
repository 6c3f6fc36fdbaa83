//! # imageio-rs
//!
//! Read and write images, volumes and video as [`ndarray`] arrays with one call, from a path,
//! bytes, a stream, a URL or a zip member, through backends that register themselves and are
//! switched on with Cargo features. The Rust counterpart of Python's `imageio.v3`.
//!
//! ```no_run
//! let img = imageio::imread("imageio:chelsea.png")?;          // (300, 451, 3) uint8
//! imageio::imwrite("/tmp/chelsea.png", &img)?;
//! let png = imageio::writer("<bytes>").extension(".png").write(&img)?.unwrap();
//! let again = imageio::imread(png.as_slice())?;
//! assert_eq!(again, img);
//! # Ok::<(), imageio::Error>(())
//! ```
//!
//! | function | imageio.v3 | what it does |
//! |---|---|---|
//! | [`imread`] | `imread` | decode the plugin's default index to an [`NdArray`] |
//! | [`imwrite`] | `imwrite` | encode an array (format from the extension) |
//! | [`imiter`] | `imiter` | stream the images one by one |
//! | [`improps`] | `improps` | [`ImageProperties`] without decoding pixels |
//! | [`immeta`] | `immeta` | format-specific [`Metadata`] |
//! | [`imopen`] | `imopen` | an open [`ImageFile`] for repeated reads or appending writes |
//!
//! [`reader`] and [`writer`] are the builder forms with `plugin`, `extension`, `index`, options
//! and [`Limits`].
//!
//! ## Cargo features
//!
//! Pure-Rust backends are default: `png`, `tiff`, `jpeg`, `gif`. Opt-in: `http` (read `http(s)`
//! URLs and download standard images from upstream; without it, standard images come from a local
//! mirror folder or `file://` URL in `IMAGEIO_IMAGES_URL`), and the backends that link C
//! libraries: `ffmpeg` (video), `heif` (HEIC/AVIF). When a file's extension belongs to a backend that is compiled out, the error says
//! which feature turns it on.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Each enabled backend must be referenced, or the linker drops its registration.
#[cfg(feature = "ffmpeg")]
pub use imageio_ffmpeg as ffmpeg;
#[cfg(feature = "gif")]
pub use imageio_gif as gif;
#[cfg(feature = "heif")]
pub use imageio_heif as heif;
#[cfg(feature = "jpeg")]
pub use imageio_jpeg as jpeg;
#[cfg(feature = "png")]
pub use imageio_png as png;
#[cfg(feature = "tiff")]
pub use imageio_tiff as tiff;

pub use imageio_core::{
    DType, DynElement, Element, Error, ImageFile, ImageProperties, Images, Index, Limits, Metadata,
    Mode, NdArray, NdView, OpenArgs, OptionKind, OptionSpec, Options, Plugin, PluginDescriptor,
    Resource, Result, Value, registry, standard,
};
pub use ndarray;

/// Reads the plugin's default image(s) (imageio's `imread`).
pub fn imread<'a>(uri: impl Into<Resource<'a>>) -> Result<NdArray> {
    reader(uri).read()
}

/// Writes one image, or a batch by the plugin's shape rule (imageio's `imwrite`). Returns the
/// encoded bytes when `uri` is `"<bytes>"` (give the format with [`writer`]`.extension(…)`).
pub fn imwrite<'a, 'v>(
    uri: impl Into<Resource<'a>>,
    image: impl Into<NdView<'v>>,
) -> Result<Option<Vec<u8>>> {
    writer(uri).write(image)
}

/// Iterates over the images in file order, one decoded at a time (imageio's `imiter`).
///
/// Unlike upstream, the resource is opened (and errors reported) when `imiter` is called, not on
/// the first `next()`.
pub fn imiter<'a>(uri: impl Into<Resource<'a>>) -> Result<Images<ImageFile<'a>>> {
    reader(uri).iter()
}

/// Standardized properties of the default index, without decoding pixels (imageio's `improps`).
pub fn improps<'a>(uri: impl Into<Resource<'a>>) -> Result<ImageProperties> {
    reader(uri).properties()
}

/// Format-specific metadata of the default index (imageio's `immeta`, `exclude_applied=True`).
pub fn immeta<'a>(uri: impl Into<Resource<'a>>) -> Result<Metadata> {
    reader(uri).metadata()
}

/// Opens a resource for reading or writing (imageio's `imopen`).
pub fn imopen<'a>(uri: impl Into<Resource<'a>>, mode: Mode) -> Result<ImageFile<'a>> {
    imageio_core::open(uri.into(), mode, &OpenArgs::default())
}

/// Every registered plugin (imageio's `show_formats()`), sorted by priority.
pub fn formats() -> &'static [&'static PluginDescriptor] {
    imageio_core::plugins()
}

/// Builder for reading: `imageio::reader(uri).index(2).option("rotate", true).read()`.
pub fn reader<'a>(uri: impl Into<Resource<'a>>) -> ReadBuilder<'a> {
    ReadBuilder {
        resource: uri.into(),
        args: OpenArgs::default(),
        index: Index::Default,
        exclude_applied: true,
    }
}

/// Builder for writing: `imageio::writer("<bytes>").extension(".png").option("compression", 9).write(&img)`.
pub fn writer<'a>(uri: impl Into<Resource<'a>>) -> WriteBuilder<'a> {
    WriteBuilder {
        resource: uri.into(),
        args: OpenArgs::default(),
        is_batch: None,
    }
}

macro_rules! common_builder_methods {
    () => {
        /// Use this plugin; no search.
        pub fn plugin(mut self, name: impl Into<String>) -> Self {
            self.args.plugin = Some(name.into());
            self
        }
        /// Treat the resource as having this extension (must start with `.`).
        pub fn extension(mut self, ext: impl Into<String>) -> Self {
            self.args.extension = Some(ext.into());
            self
        }
        /// An extension used only when the resource has none (imageio's `format_hint`).
        pub fn format_hint(mut self, ext: impl Into<String>) -> Self {
            self.args.format_hint = Some(ext.into());
            self
        }
        /// Sets one plugin option (validated by the plugin).
        pub fn option(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
            self.args.options.set(key, value);
            self
        }
        /// Adds plugin options (e.g. from a backend's typed builder).
        pub fn options(mut self, options: impl Into<Options>) -> Self {
            self.args.options.extend(options.into());
            self
        }
        /// Size limits (default: [`Limits::default`]).
        pub fn limits(mut self, limits: Limits) -> Self {
            self.args.limits = limits;
            self
        }
    };
}

/// See [`reader`].
#[must_use]
pub struct ReadBuilder<'a> {
    resource: Resource<'a>,
    args: OpenArgs,
    index: Index,
    exclude_applied: bool,
}

impl<'a> ReadBuilder<'a> {
    common_builder_methods!();

    /// Which image: `n`, [`Index::All`], or the plugin's default.
    pub fn index(mut self, index: impl Into<Index>) -> Self {
        self.index = index.into();
        self
    }

    /// For [`metadata`](Self::metadata): keep keys whose effect was applied to the pixels.
    pub fn exclude_applied(mut self, yes: bool) -> Self {
        self.exclude_applied = yes;
        self
    }

    /// Opens the resource.
    pub fn open(self) -> Result<ImageFile<'a>> {
        imageio_core::open(self.resource, Mode::Read, &self.args)
    }

    /// Decodes the image(s) at the index.
    pub fn read(self) -> Result<NdArray> {
        let index = self.index;
        self.open()?.read(index)
    }

    /// Iterates over all images.
    pub fn iter(self) -> Result<Images<ImageFile<'a>>> {
        Ok(self.open()?.into_images())
    }

    /// Properties of the index.
    pub fn properties(self) -> Result<ImageProperties> {
        let index = self.index;
        self.open()?.properties(index)
    }

    /// Metadata of the index.
    pub fn metadata(self) -> Result<Metadata> {
        let (index, ex) = (self.index, self.exclude_applied);
        self.open()?.metadata(index, ex)
    }
}

/// See [`writer`].
#[must_use]
pub struct WriteBuilder<'a> {
    resource: Resource<'a>,
    args: OpenArgs,
    is_batch: Option<bool>,
}

impl<'a> WriteBuilder<'a> {
    common_builder_methods!();

    /// Whether axis 0 of the array is a batch of images (default: the plugin's shape rule).
    pub fn is_batch(mut self, yes: bool) -> Self {
        self.is_batch = Some(yes);
        self
    }

    /// Opens the resource for (repeated) writing.
    pub fn open(self) -> Result<ImageFile<'a>> {
        imageio_core::open(self.resource, Mode::Write, &self.args)
    }

    /// Writes and closes; returns the bytes for `<bytes>`.
    pub fn write<'v>(self, image: impl Into<NdView<'v>>) -> Result<Option<Vec<u8>>> {
        let is_batch = self.is_batch;
        let mut f = self.open()?;
        f.write_with(image, is_batch)?;
        f.close()
    }
}
