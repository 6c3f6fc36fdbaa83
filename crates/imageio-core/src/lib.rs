//! Core of imageio-rs: the v3 plugin trait, dynamic-dtype arrays, resources, plugin selection,
//! errors and limits. Codec-free: backends live in `imageio-<name>` crates and register
//! themselves with [`submit_plugin!`]; users depend on the `imageio` facade.
//!
//! # Writing a backend
//!
//! ```
//! use imageio_core::{
//!     submit_plugin, DType, Error, ImageProperties, Index, Metadata, NdArray, Plugin,
//!     PluginDescriptor, Request, Result,
//! };
//!
//! /// A toy format: the text "TOY" then one gray byte.
//! struct Toy(u8);
//!
//! impl Plugin for Toy {
//!     fn read(&mut self, index: Index) -> Result<NdArray> {
//!         match index {
//!             Index::Default | Index::At(0) => NdArray::from_shape_vec(&[1, 1], vec![self.0]),
//!             Index::At(n) => Err(Error::index_out_of_range(n, Some(1))),
//!             Index::All => NdArray::from_shape_vec(&[1, 1, 1], vec![self.0]),
//!         }
//!     }
//!     fn properties(&mut self, index: Index) -> Result<ImageProperties> {
//!         Ok(match index {
//!             Index::All => ImageProperties::batch(1, &[1, 1], DType::U8),
//!             _ => ImageProperties::single(vec![1, 1], DType::U8),
//!         })
//!     }
//!     fn metadata(&mut self, _: Index, _: bool) -> Result<Metadata> {
//!         Ok(Metadata::new())
//!     }
//! }
//!
//! fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
//!     let data = req.source()?.read_all()?;
//!     match &data[..] {
//!         [b'T', b'O', b'Y', v] => Ok(Box::new(Toy(*v))),
//!         _ => Err(Error::unsupported("not a TOY file")),
//!     }
//! }
//!
//! submit_plugin!(PluginDescriptor {
//!     name: "toy",
//!     description: "toy format",
//!     extensions: &[".toy"],
//!     priority: 100,
//!     can_read: true,
//!     can_write: false,
//!     sniff: Some(|b| b.starts_with(b"TOY")),
//!     read_options: &[],
//!     write_options: &[],
//!     open,
//! });
//!
//! let mut f = imageio_core::open(b"TOY\x07".as_slice().into(), imageio_core::Mode::Read, &Default::default())?;
//! assert_eq!(f.plugin_name(), "toy");
//! assert_eq!(f.read(Index::Default)?.as_array::<u8>().unwrap()[[0, 0]], 7);
//! # Ok::<(), imageio_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod array;
mod dtype;
mod error;
mod file;
mod index;
mod limits;
mod options;
mod plugin;
mod props;
pub mod registry;
mod resource;
pub mod standard;
mod value;

pub use array::{DynElement, NdArray, NdView};
pub use dtype::{DType, Element};
pub use error::{Attempt, Context, Error, Mode, Result};
pub use file::{ImageFile, Images};
pub use index::Index;
pub use limits::Limits;
pub use options::{OptionKind, OptionSpec, Options, check_builder_keys};
pub use plugin::{OpenFn, Plugin, PluginDescriptor};
pub use props::ImageProperties;
pub use registry::{OpenArgs, open, plugins};
pub use resource::{
    LocalPath, ReadSeek, Request, Resource, SNIFF_LEN, Sink, SinkWriter, Source, SourceReader,
    WriteSeek, check_extension,
};
pub use value::{Metadata, Value};

/// Large zeroed buffers with transparent huge pages (numpy's policy): decoders that fill a fresh
/// output allocate it with this. See the `imageio-alloc` crate.
pub use imageio_alloc::zeroed_vec;
pub use inventory;
pub use ndarray;
