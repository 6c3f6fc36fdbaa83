//! The writing plugin.
use imageio_core::{Error, Options, Plugin, Request, Result};

/// Typed builder for write options.
#[derive(Clone, Debug, Default)]
pub struct TiffWriteOptions(Options);

impl From<TiffWriteOptions> for Options {
    fn from(o: TiffWriteOptions) -> Options {
        o.0
    }
}

pub(crate) fn open<'a>(_req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    Err(Error::unsupported("todo"))
}
