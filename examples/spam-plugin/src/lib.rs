//! A third-party imageio-rs plugin for SPAM, the toy raster format of Pillow's
//! "Writing your own image plugin" guide: a 128-byte header `SPAM <width> <height> <bits>`
//! padded with spaces, then raw rows (1-bit packed MSB first with rows padded to a byte,
//! 8-bit gray, or 24-bit RGB).
//!
//! It lives outside `crates/` and depends only on `imageio-core`: registering with
//! [`imageio_core::submit_plugin!`] is all it takes for `imageio::imread` to find it, as long as
//! the application links the crate (`use spam_plugin as _;`).
//!
//! ```
//! use spam_plugin as _;
//! let img = imageio_core::NdArray::from_shape_vec(&[2, 3], vec![0u8, 50, 100, 150, 200, 250])?;
//! let mut w = imageio_core::open(imageio_core::Resource::ReturnBytes, imageio_core::Mode::Write,
//!     &imageio_core::OpenArgs { extension: Some(".spam".into()), ..Default::default() })?;
//! w.write(&img)?;
//! let bytes = w.close()?.unwrap();
//! assert!(bytes.starts_with(b"SPAM 3 2 8"));
//! # Ok::<(), imageio_core::Error>(())
//! ```
#![forbid(unsafe_code)]

use std::io::{Read, Write};

use imageio_core::{
    DType, Error, ImageProperties, Index, Metadata, NdArray, NdView, Plugin, PluginDescriptor,
    Request, Result, SourceReader, submit_plugin,
};

const HEADER: usize = 128;

struct Header {
    width: usize,
    height: usize,
    bits: u32,
}

impl Header {
    fn parse(h: &[u8]) -> Result<Header> {
        let text =
            std::str::from_utf8(h).map_err(|_| Error::decoding("SPAM header is not text"))?;
        let mut it = text.split_ascii_whitespace();
        if it.next() != Some("SPAM") {
            return Err(Error::unsupported("not a SPAM file"));
        }
        let mut num = |what: &str| -> Result<usize> {
            it.next()
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| Error::decoding(format!("SPAM header: bad {what}")))
        };
        let (width, height, bits) = (num("width")?, num("height")?, num("bits")?);
        if !matches!(bits, 1 | 8 | 24) {
            return Err(Error::decoding(format!(
                "SPAM header: unknown number of bits {bits}"
            )));
        }
        Ok(Header {
            width,
            height,
            bits: bits as u32,
        })
    }

    fn shape(&self) -> Vec<usize> {
        match self.bits {
            24 => vec![self.height, self.width, 3],
            _ => vec![self.height, self.width],
        }
    }

    fn dtype(&self) -> DType {
        if self.bits == 1 {
            DType::Bool
        } else {
            DType::U8
        }
    }

    fn data_len(&self) -> usize {
        match self.bits {
            1 => self.width.div_ceil(8) * self.height,
            8 => self.width * self.height,
            _ => self.width * self.height * 3,
        }
    }
}

enum Spam<'a> {
    Reader {
        header: Header,
        reader: SourceReader<'a>,
        limits: imageio_core::Limits,
    },
    Writer {
        sink: imageio_core::SinkWriter,
        written: bool,
    },
}

impl Plugin for Spam<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        let Spam::Reader {
            header,
            reader,
            limits,
        } = self
        else {
            return Err(Error::invalid_argument("opened for writing"));
        };
        match index {
            Index::Default | Index::At(0) | Index::All => {}
            Index::At(n) => return Err(Error::index_out_of_range(n, Some(1))),
        }
        limits.check_image(
            header.height as u64,
            header.width as u64,
            &header.shape(),
            header.dtype(),
        )?;
        let mut raw = vec![0u8; header.data_len()];
        reader.read_exact(&mut raw)?;
        let img = if header.bits == 1 {
            let row = header.width.div_ceil(8);
            let bits = (0..header.height)
                .flat_map(|y| (0..header.width).map(move |x| (y, x)))
                .map(|(y, x)| raw[y * row + x / 8] & (0x80 >> (x % 8)) != 0)
                .collect();
            NdArray::from_shape_vec(&header.shape(), bits)?
        } else {
            NdArray::from_shape_vec(&header.shape(), raw)?
        };
        Ok(if index == Index::All {
            NdArray::stack(vec![img])?
        } else {
            img
        })
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        let Spam::Reader { header, .. } = self else {
            return Err(Error::invalid_argument("opened for writing"));
        };
        Ok(match index {
            Index::All => ImageProperties::batch(1, &header.shape(), header.dtype()),
            Index::Default | Index::At(0) => {
                ImageProperties::single(header.shape(), header.dtype())
            }
            Index::At(n) => return Err(Error::index_out_of_range(n, Some(1))),
        })
    }

    fn metadata(&mut self, _index: Index, _exclude_applied: bool) -> Result<Metadata> {
        let Spam::Reader { header, .. } = self else {
            return Err(Error::invalid_argument("opened for writing"));
        };
        let mut m = Metadata::new();
        m.insert("bits".into(), header.bits.into());
        Ok(m)
    }

    fn write(&mut self, image: NdView<'_>, _is_batch: Option<bool>) -> Result<()> {
        let Spam::Writer { sink, written } = self else {
            return Err(Error::invalid_argument("opened for reading"));
        };
        if *written {
            return Err(Error::unsupported("a SPAM file holds one image"));
        }
        let (bits, data) = match (image.dtype(), image.shape()) {
            (DType::U8, [_, _]) => (8, image.to_le_bytes()),
            (DType::U8, [_, _, 3]) => (24, image.to_le_bytes()),
            (DType::Bool, [h, w]) => {
                let a = image.as_array::<bool>().expect("dtype checked");
                let row = w.div_ceil(8);
                let mut out = vec![0u8; row * h];
                for ((y, x), &v) in a.indexed_iter().map(|(i, v)| ((i[0], i[1]), v)) {
                    if v {
                        out[y * row + x / 8] |= 0x80 >> (x % 8);
                    }
                }
                (1, out)
            }
            (d, s) => {
                return Err(Error::unsupported(format!(
                    "SPAM writes u8 (H,W) or (H,W,3) and bool (H,W), not {d} {s:?}"
                )));
            }
        };
        let mut header =
            format!("SPAM {} {} {bits}", image.shape()[1], image.shape()[0]).into_bytes();
        header.resize(HEADER, b' ');
        sink.write_all(&header)?;
        sink.write_all(&data)?;
        *written = true;
        Ok(())
    }
}

fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        imageio_core::Mode::Read => {
            let mut reader = req.source()?.reader()?;
            let mut h = [0u8; HEADER];
            reader
                .read_exact(&mut h)
                .map_err(|_| Error::unsupported("too short for a SPAM header"))?;
            let header = Header::parse(&h)?;
            Ok(Box::new(Spam::Reader {
                header,
                reader,
                limits: req.limits,
            }))
        }
        imageio_core::Mode::Write => Ok(Box::new(Spam::Writer {
            sink: req.sink()?.writer()?,
            written: false,
        })),
    }
}

submit_plugin!(PluginDescriptor {
    name: "spam",
    description: "SPAM toy raster format (Pillow's plugin guide)",
    extensions: &[".spam", ".spa"],
    priority: 1000,
    can_read: true,
    can_write: true,
    sniff: Some(|b| b.starts_with(b"SPAM ")),
    read_options: &[],
    write_options: &[],
    open,
});
