//! [`ImageFile`]: an open resource (imageio's plugin instance returned by `imopen`).

use crate::array::{NdArray, NdView};
use crate::error::{Error, Mode, Result};
use crate::index::Index;
use crate::options::Options;
use crate::plugin::{Plugin, PluginDescriptor};
use crate::props::ImageProperties;
use crate::resource::Sink;
use crate::value::Metadata;

/// An open resource served by one plugin.
///
/// Every error it returns names the resource and the plugin. Writers must be [`close`]d to see
/// write errors and (for `<bytes>`) to get the encoded data; a writer dropped without `close`
/// still finishes and commits its output when that succeeds. Nothing reaches the destination
/// when a write failed, when nothing was written, or when finishing fails: an existing file is
/// left byte-identical.
///
/// [`close`]: ImageFile::close
pub struct ImageFile<'a> {
    plugin: Box<dyn Plugin + 'a>,
    descriptor: &'static PluginDescriptor,
    name: String,
    mode: Mode,
    sink: Option<Sink<'a>>,
    closed: bool,
    /// Images written successfully.
    written: usize,
    /// A write failed: the output is discarded, never committed.
    poisoned: bool,
}

impl std::fmt::Debug for ImageFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFile")
            .field("plugin", &self.descriptor.name)
            .field("resource", &self.name)
            .field("mode", &self.mode)
            .finish()
    }
}

impl<'a> ImageFile<'a> {
    pub(crate) fn new(
        plugin: Box<dyn Plugin + 'a>,
        descriptor: &'static PluginDescriptor,
        name: String,
        mode: Mode,
        sink: Option<Sink<'a>>,
    ) -> Self {
        ImageFile {
            plugin,
            descriptor,
            name,
            mode,
            sink,
            closed: false,
            written: 0,
            poisoned: false,
        }
    }

    fn ctx(&self, e: Error) -> Error {
        e.with_context(Some(&self.name), Some(self.descriptor.name))
    }

    fn check(&self, mode: Mode) -> Result<()> {
        if self.closed {
            return Err(self.ctx(Error::invalid_argument("the resource is closed")));
        }
        if self.mode != mode {
            return Err(self.ctx(Error::invalid_argument(format!(
                "the resource was opened to {}",
                self.mode
            ))));
        }
        Ok(())
    }

    /// The plugin's name.
    pub fn plugin_name(&self) -> &'static str {
        self.descriptor.name
    }

    /// The plugin's descriptor.
    pub fn descriptor(&self) -> &'static PluginDescriptor {
        self.descriptor
    }

    /// The resource as errors name it.
    pub fn resource_name(&self) -> &str {
        &self.name
    }

    /// Decodes the image(s) at `index`.
    pub fn read(&mut self, index: Index) -> Result<NdArray> {
        self.check(Mode::Read)?;
        self.plugin.read(index).map_err(|e| self.ctx(e))
    }

    /// Standardized properties of `index`, without decoding pixels where the format allows.
    pub fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        self.check(Mode::Read)?;
        self.plugin.properties(index).map_err(|e| self.ctx(e))
    }

    /// Format-specific metadata.
    pub fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata> {
        self.check(Mode::Read)?;
        self.plugin
            .metadata(index, exclude_applied)
            .map_err(|e| self.ctx(e))
    }

    /// Iterates over the images in file order, streaming (one image decoded at a time).
    pub fn iter(&mut self) -> Images<&mut ImageFile<'a>> {
        Images {
            file: self,
            position: 0,
            done: false,
        }
    }

    /// Iterates, taking ownership.
    pub fn into_images(self) -> Images<ImageFile<'a>> {
        Images {
            file: self,
            position: 0,
            done: false,
        }
    }

    /// Writes one image, or a batch when `is_batch` is `Some(true)` (or the plugin's shape rule
    /// says so when `None`). Repeated writes append where the format allows.
    pub fn write_with<'v>(
        &mut self,
        image: impl Into<NdView<'v>>,
        is_batch: Option<bool>,
    ) -> Result<()> {
        self.write_with_options(image, is_batch, Options::new())
            .map(|_| ())
    }

    /// Writes with options that apply to this write only (validated against the plugin's write
    /// options like the ones given at open; e.g. one TIFF series' `description` or
    /// `compression`). Returns what the plugin reports about the write (e.g. TIFF
    /// `returnoffset`: `offset` and `bytecount`), usually empty. Plugins that take options only
    /// at open refuse non-empty per-write options.
    pub fn write_with_options<'v>(
        &mut self,
        image: impl Into<NdView<'v>>,
        is_batch: Option<bool>,
        options: impl Into<Options>,
    ) -> Result<Metadata> {
        self.check(Mode::Write)?;
        if self.poisoned {
            return Err(self.ctx(Error::invalid_argument(
                "an earlier write failed; the output will be discarded",
            )));
        }
        let mut options = options.into();
        options
            .validate(self.descriptor.write_options)
            .map_err(|e| self.ctx(e))?;
        match self
            .plugin
            .write_with_options(image.into(), is_batch, &options)
        {
            Ok(report) => {
                self.written += 1;
                Ok(report)
            }
            Err(e) => {
                self.poisoned = true;
                Err(self.ctx(e))
            }
        }
    }

    /// Writes one image (or a batch, by the plugin's shape rule).
    pub fn write<'v>(&mut self, image: impl Into<NdView<'v>>) -> Result<()> {
        self.write_with(image, None)
    }

    fn finish(&mut self) -> Result<Option<Vec<u8>>> {
        if self.closed {
            return Ok(None);
        }
        self.closed = true;
        if self.mode == Mode::Write {
            if self.poisoned {
                return Err(self.ctx(Error::invalid_argument(
                    "an earlier write failed; the output was discarded and the destination left untouched",
                )));
            }
            if self.written == 0 {
                return Err(self.ctx(Error::invalid_argument(
                    "nothing was written; the destination was left untouched",
                )));
            }
        }
        self.plugin.close().map_err(|e| self.ctx(e))?;
        match &self.sink {
            Some(sink) => sink.commit().map_err(|e| self.ctx(e)),
            None => Ok(None),
        }
    }

    /// Finishes: for writers, flushes the encoder and moves the output into place. Returns the
    /// encoded bytes when writing to `<bytes>`.
    pub fn close(mut self) -> Result<Option<Vec<u8>>> {
        self.finish()
    }
}

impl Drop for ImageFile<'_> {
    fn drop(&mut self) {
        if !self.closed && self.mode == Mode::Write && !std::thread::panicking() {
            let _ = self.finish();
        }
    }
}

/// Iterator over the images of an [`ImageFile`].
pub struct Images<F> {
    file: F,
    position: usize,
    done: bool,
}

impl<'a, F: std::borrow::BorrowMut<ImageFile<'a>>> Iterator for Images<F> {
    type Item = Result<NdArray>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let file = self.file.borrow_mut();
        if let Err(e) = file.check(Mode::Read) {
            self.done = true;
            return Some(Err(e));
        }
        match file.plugin.iter_next(self.position) {
            Ok(Some(a)) => {
                self.position += 1;
                Some(Ok(a))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(file.ctx(e)))
            }
        }
    }
}
