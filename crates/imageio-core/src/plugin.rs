//! The v3 plugin trait and the static description each backend registers.

use crate::array::{NdArray, NdView};
use crate::error::{Error, Result};
use crate::index::Index;
use crate::options::{OptionSpec, Options};
use crate::props::ImageProperties;
use crate::resource::Request;
use crate::value::Metadata;

/// One open resource served by one backend (imageio's `PluginV3`).
///
/// A plugin is created by its descriptor's `open` from a [`Request`]; options in the request have
/// already been validated against the descriptor's option specs. Errors need not name the resource
/// or plugin: the core adds both.
pub trait Plugin {
    /// Decodes the image(s) at `index`. [`Index::Default`] means the plugin's documented default;
    /// [`Index::All`] stacks every image along a new axis 0. An index past the end is
    /// [`Error::IndexOutOfRange`].
    fn read(&mut self, index: Index) -> Result<NdArray>;

    /// The image at iteration `position` (0, 1, 2, … in file order), or `None` after the last.
    ///
    /// Streaming backends override this to decode frame after frame in constant memory; the
    /// default reads `Index::At(position)`.
    fn iter_next(&mut self, position: usize) -> Result<Option<NdArray>> {
        match self.read(Index::At(position)) {
            Ok(a) => Ok(Some(a)),
            Err(Error::IndexOutOfRange { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What `read(index)` would return, without decoding pixels where the format allows.
    fn properties(&mut self, index: Index) -> Result<ImageProperties>;

    /// Format-specific metadata. `Index::All`/`Default` mean file-level metadata. With
    /// `exclude_applied`, keys whose effect was applied to the pixels (e.g. EXIF `Orientation`
    /// after rotation) are left out.
    fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata>;

    /// Writes one image, or a batch when `is_batch` says so (or, when `None`, when the plugin's
    /// documented shape rule says so). Repeated calls append where the format allows.
    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        let _ = (image, is_batch);
        Err(Error::unsupported("this plugin does not write"))
    }

    /// Writes like [`write`](Plugin::write) with options that apply to this write only (already
    /// validated against the descriptor's `write_options`), e.g. a TIFF series' description or
    /// compression. Returns what the write reports (e.g. where the data went); empty by default.
    ///
    /// The default accepts no per-write options: a plugin that takes its options when the file is
    /// opened says so instead of silently ignoring them.
    fn write_with_options(
        &mut self,
        image: NdView<'_>,
        is_batch: Option<bool>,
        options: &Options,
    ) -> Result<Metadata> {
        if let Some((key, _)) = options.iter().next() {
            return Err(Error::invalid_argument(format!(
                "this plugin takes its write options when the file is opened, not per write \
                 (got `{key}`)"
            )));
        }
        self.write(image, is_batch).map(|()| Metadata::new())
    }

    /// Finishes writing (flushes encoders, writes trailers) and reports errors. Called once by the
    /// core before the output is committed; must be idempotent.
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Opens a resource for a plugin.
pub type OpenFn = for<'a> fn(Request<'a>) -> Result<Box<dyn Plugin + 'a>>;

/// Static description of one backend, registered with [`submit_plugin!`](crate::submit_plugin).
///
/// Selection reads it without opening anything: `extensions` and `priority` order the
/// candidates, `sniff` is a cheap check of the first bytes (Pillow's `accept(prefix)`).
#[derive(Debug)]
pub struct PluginDescriptor {
    /// Unique name (`"png"`), also the facade's Cargo feature when `feature` is empty.
    pub name: &'static str,
    /// One line for `imageio formats`.
    pub description: &'static str,
    /// Lower-case extensions with the dot (`".png"`).
    pub extensions: &'static [&'static str],
    /// Lower is preferred when several plugins claim an extension or accept the bytes.
    pub priority: i32,
    /// Can read.
    pub can_read: bool,
    /// Can write.
    pub can_write: bool,
    /// Recognises the format from its first bytes (up to 256). `None`: recognised by extension only.
    pub sniff: Option<fn(&[u8]) -> bool>,
    /// Options accepted when reading.
    pub read_options: &'static [OptionSpec],
    /// Options accepted when writing.
    pub write_options: &'static [OptionSpec],
    /// Creates the plugin. Returning [`Error::Unsupported`] lets selection try the next plugin.
    pub open: OpenFn,
}

inventory::collect!(PluginDescriptor);

/// Registers a [`PluginDescriptor`] (works from any crate, even with `#![forbid(unsafe_code)]`).
///
/// The crate that registers must be linked: the facade does `use imageio_png as _;` for every
/// enabled backend; a third-party crate is linked when the application references it.
#[macro_export]
macro_rules! submit_plugin {
    ($descriptor:expr) => {
        $crate::inventory::submit! { $descriptor }
    };
}
