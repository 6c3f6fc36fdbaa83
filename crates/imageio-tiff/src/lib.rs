//! The TIFF backend of imageio-rs, modelled on tifffile.
//!
//! Placeholder docs (replaced below).
#![forbid(unsafe_code)]

mod codecs;
mod file;
mod ifd;
mod meta;
mod page;
mod read;
mod write;

use imageio_core::{OptionKind as K, OptionSpec as O, PluginDescriptor, submit_plugin};

pub use ifd::sniff;
pub use write::TiffWriteOptions;

/// Options accepted when reading.
pub const READ_OPTIONS: &[O] = &[
    O::new(
        "page",
        K::Int,
        "read one page: of the selected series, or (with index=all) of the whole file",
    ),
    O::new(
        "key",
        K::Int,
        "tifffile's `key`: a page index like `page` (both together are an error)",
    ),
    O::new(
        "series",
        K::Int,
        "alias of `index` (both together are an error)",
    ),
    O::new(
        "level",
        K::Int,
        "pyramid level (SubIFDs) of the series; 0 is full resolution",
    ),
    O::new(
        "apply_colormap",
        K::Bool,
        "palette images: return colormap[index] (uint16 RGB) instead of indices",
    ),
    O::new(
        "discard_watermark",
        K::Bool,
        "FEI-SEM images: drop the data bar rows below [Image] ResolutionY",
    ),
    O::new(
        "maxworkers",
        K::Int,
        "accepted for tifffile compatibility; decoding uses rayon's pool",
    ),
];

/// Options accepted when writing (tifffile's `TiffWriter` and `TiffWriter.write` parameters).
pub const WRITE_OPTIONS: &[O] = &[
    O::new(
        "mode",
        K::Str,
        "w (default), x (fail if the file exists) or r+ (append to an existing file)",
    ),
    O::new("append", K::Bool, "same as mode=r+"),
    O::new(
        "bigtiff",
        K::Bool,
        "write BigTIFF (automatic when the data pass 4 GB)",
    ),
    O::new(
        "byteorder",
        K::Str,
        "< (little endian), > (big endian), = or | (native)",
    ),
    O::new(
        "imagej",
        K::Bool,
        "write an ImageJ hyperstack (TZCYXS; uint8, uint16 or float32)",
    ),
    O::new("ome", K::Bool, "write OME-TIFF (OME-XML in the first page)"),
    O::new(
        "shaped",
        K::Bool,
        "write the JSON shape description (default true)",
    ),
    O::new(
        "photometric",
        K::Str,
        "minisblack, miniswhite, rgb, palette, separated, ycbcr (or the number)",
    ),
    O::new("planarconfig", K::Str, "contig or separate (or 1/2)"),
    O::new(
        "extrasamples",
        K::List,
        "unspecified, assocalpha, unassalpha (or 0/1/2) per extra sample",
    ),
    O::new(
        "volumetric",
        K::Bool,
        "write 3-D images to one page with the SGI ImageDepth tag",
    ),
    O::new(
        "tile",
        K::List,
        "tile shape ([depth,] length, width), multiples of 16",
    ),
    O::new("rowsperstrip", K::Int, "rows per strip"),
    O::new(
        "bitspersample",
        K::Int,
        "pack unsigned integers into this many bits",
    ),
    O::new(
        "compression",
        K::Str,
        "none, lzw, zlib/deflate/adobe_deflate, zstd, packbits (or the TIFF code)",
    ),
    O::new(
        "compressionargs",
        K::Any,
        "codec arguments: a map with `level`, or the level as a number",
    ),
    O::new(
        "level",
        K::Int,
        "compression level (short for compressionargs={level: n})",
    ),
    O::new(
        "predictor",
        K::Any,
        "none, horizontal, floatingpoint (or 1/2/3, or true for the dtype's default)",
    ),
    O::new(
        "iccprofile",
        K::Bytes,
        "ICC profile bytes (InterColorProfile tag)",
    ),
    O::new(
        "colormap",
        K::Any,
        "palette: a (3, 2**bits) uint16 array or a flat list",
    ),
    O::new(
        "description",
        K::Str,
        "ImageDescription of the first page of the series",
    ),
    O::new(
        "datetime",
        K::Any,
        "DateTime: \"%Y:%m:%d %H:%M:%S\" text, or true for now",
    ),
    O::new("resolution", K::List, "(x, y) pixels per resolution unit"),
    O::new(
        "resolutionunit",
        K::Any,
        "none, inch, centimeter, millimeter, micrometer (or 1..5)",
    ),
    O::new("subfiletype", K::Int, "NewSubfileType bits"),
    O::new(
        "software",
        K::Any,
        "Software tag (default \"tifffile.py\"; false to omit)",
    ),
    O::new(
        "subifds",
        K::Int,
        "number of following writes stored as SubIFD levels of this series",
    ),
    O::new(
        "metadata",
        K::Any,
        "a map written as JSON (shaped), ImageJ or OME metadata; `none` disables",
    ),
    O::new(
        "extratags",
        K::List,
        "extra tags: a list of [code, dtype, count, value, writeonce]",
    ),
    O::new(
        "contiguous",
        K::Bool,
        "append this write's pages to the previous series",
    ),
    O::new(
        "truncate",
        K::Bool,
        "write only the first page of the series (data stay contiguous)",
    ),
    O::new("align", K::Int, "byte boundary of image data (default 16)"),
    O::new(
        "maxworkers",
        K::Int,
        "threads for compressing segments (0/absent: all cores)",
    ),
    O::new(
        "returnoffset",
        K::Bool,
        "record (offset, bytes) of the data in `last_offset` (see docs)",
    ),
    O::new(
        "axes",
        K::Str,
        "axes letters of the data (stored in the shaped/ImageJ/OME metadata)",
    ),
];

submit_plugin!(PluginDescriptor {
    name: "tiff",
    description: "TIFF, BigTIFF, OME-TIFF and ImageJ hyperstacks (tifffile-compatible series)",
    extensions: &[
        ".tif", ".tiff", ".btf", ".tf8", ".ome.tif", ".lsm", ".stk", ".qptiff", ".ndpi", ".svs"
    ],
    priority: 50,
    can_read: true,
    can_write: true,
    sniff: Some(ifd::sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

fn open<'a>(
    req: imageio_core::Request<'a>,
) -> imageio_core::Result<Box<dyn imageio_core::Plugin + 'a>> {
    match req.mode() {
        imageio_core::Mode::Read => read::open(req),
        imageio_core::Mode::Write => write::open(req),
    }
}
