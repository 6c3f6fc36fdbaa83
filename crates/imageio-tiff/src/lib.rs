//! The TIFF backend of imageio-rs, modelled on [tifffile](https://pypi.org/project/tifffile/)
//! (what imageio's v3 `tifffile` plugin returns), registered as the `tiff` plugin.
//!
//! ```
//! use imageio_core::{Index, Mode, NdArray, OpenArgs, Options};
//! use imageio_tiff::TiffWriteOptions;
//!
//! let volume = NdArray::from_shape_vec(&[3, 4, 5], (0..60u16).collect())?;
//! let args = OpenArgs {
//!     plugin: Some("tiff".into()),
//!     options: TiffWriteOptions::new().compression("zlib").predictor(true).into(),
//!     ..Default::default()
//! };
//! let mut w = imageio_core::open(imageio_core::Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&volume)?; // one "shaped" series: {"shape": [3, 4, 5]}
//! let bytes = w.close()?.unwrap();
//!
//! let args = OpenArgs { plugin: Some("tiff".into()), ..Default::default() };
//! let mut r = imageio_core::open(bytes.as_slice().into(), Mode::Read, &args)?;
//! assert_eq!(r.read(Index::Default)?, volume); // series 0 with its true shape
//! assert_eq!(r.properties(Index::Default)?.shape, vec![3, 4, 5]);
//! # Ok::<(), imageio_core::Error>(())
//! ```
//!
//! # Reading
//!
//! * The unit of `index` is a tifffile **series**: `Index::Default` is series 0 as one N-d array
//!   with its true shape, `Index::At(k)` series `k`, `Index::All` all series stacked (they must
//!   have equal shapes). Series are found like tifffile: shaped (JSON `{"shape": …}` or
//!   `shape=(…)` descriptions), OME-XML (planes placed by each `TiffData`'s `IFD`,
//!   `PlaneCount`/`NumPlanes` and `FirstZ/C/T`, so out-of-order planes read right; planes in
//!   other files through `UUID FileName`, opened beside this file — only plain file names —
//!   with the planes of a missing or unreadable file zero-filled as tifffile does; squeezed
//!   like tifffile),
//!   ImageJ hyperstacks (`images=`, `channels=`, `slices=`, `frames=` → T, Z, C, Y, X[, S]
//!   without singleton axes, virtual/contiguous stacks included), else tifffile's generic
//!   series (pages grouped like tifffile's `page.hash`: shape, sample type and storage —
//!   compression, rows per strip, tiles, predictor, fill order, extra samples). The manifest
//!   test checks shapes, dtypes and pixels against tifffile for every kind.
//! * Options: `page` (one page: of the selected series, or with `Index::All` a flat page of the
//!   file, as upstream), `key` (alias of `page`; both together are an error, as upstream),
//!   `series` (alias of `index`; both together are an error), `level` (SubIFD pyramid level),
//!   `apply_colormap`, `discard_watermark`, `maxworkers`.
//! * `properties` reports the shape `read` returns (upstream reports a page shape: fixed), and
//!   `spacing` per axis from OME physical sizes, ImageJ `spacing`/`finterval` or the resolution
//!   tags (1 for axes without a known spacing).
//! * Sample formats: u8…u64, i8…i64, f32, f64. **float16 is widened to float32** (the core has
//!   no f16 dtype). 1-bit data read as `bool` (like tifffile); other packed depths are unpacked
//!   to the next integer size (4 bits → u8, 12 bits → u16, …).
//! * Photometric interpretations give the stored values, like tifffile: miniswhite is **not**
//!   inverted, palette images give indices (colormap in the metadata as a (3, N) uint16 array;
//!   option `apply_colormap` returns the uint16 RGB values tifffile's `apply_colormap` gives),
//!   CMYK stays CMYK, extra samples (alpha) are kept. JPEG-compressed pages with 4 samples (CMYK,
//!   or RGB + alpha as libtiff/Pillow write it) give the 4 stored components like libjpeg under
//!   tifffile; 2 samples (gray + alpha JPEG) are refused with an error (tifffile reads them:
//!   neither JPEG decoder here handles 2-component streams). JPEG-compressed YCbCr gives RGB (decoded by
//!   zune-jpeg, which rounds differently from libjpeg-turbo: at most 3 levels on the fixtures (gray 1), mean ≤ 0.1; with the
//!   `turbo` feature by libjpeg-turbo: tifffile's pixels exactly).
//!   12-bit JPEG (BitsPerSample 12, what tifffile writes for uint16 data with
//!   `bitspersample=12`) reads as uint16 with the [`turbo` feature](#the-turbo-feature-12-bit-jpeg);
//!   without it such pages are described (uint16) but reading them is an error naming the
//!   feature.
//!   Uncompressed subsampled YCbCr is refused (tifffile refuses it too).
//! * Compression: none, LZW (weezl), deflate/zlib (flate2/zlib-rs; with the opt-in `libdeflate`
//!   feature, libdeflate — the codec tifffile uses through imagecodecs — for whole strips and
//!   zlib-rs for streams it refuses, e.g. truncated
//!   ones, which keep what decodes like libtiff), PackBits, JPEG with
//!   JPEGTables (zune-jpeg; 12-bit: libjpeg-turbo, feature `turbo`), zstd (ruzstd, pure
//!   Rust), CCITT Group 4 and 1-D Group 3 bilevel data (the `fax` crate; 2-D Group 3 and
//!   CCITT RLE (compression 2) are errors); predictors 2 and 3, both byte orders. FillOrder 2
//!   (LSB first) reverses the bits of the stored bytes before decompression, like libtiff and
//!   tifffile (not for JPEG, as tifffile).
//! * Performance: uncompressed data are read straight into the output array: a series whose
//!   pages hold exactly the output bytes is read with one `pread` per run of adjacent pages
//!   (runs split across rayon's threads, no per-page work), other uncompressed strips one
//!   `pread` each into their final place; compressed strips and tiles of a page, and the pages
//!   of a series, decode in parallel with rayon.
//! * Safety: sizes are checked against `Limits` before allocating; IFD chains with cycles, data
//!   past the end of the file, short strips, absurd tiles or JPEG headers are errors. Like
//!   tifffile, a broken IFD *after* the first ends the page list instead of failing the file.
//! * FEI-SEM: the INI metadata of tags 34680/34682 is in `metadata()["fei_metadata"]`. By default
//!   the image is returned whole, as tifffile (and imageio's default `.tif` plugin) returns it;
//!   `discard_watermark=true` drops the data bar below `[Image] ResolutionY`, like imageio's
//!   legacy `feisem` plugin does by default.
//!
//! # Metadata
//!
//! `metadata(Index::Default | Index::All)` gives the file flags (`byteorder`, `is_bigtiff`,
//! `is_shaped`, `is_imagej`, `is_ome`, `is_tiled`, `is_fei`), the flavour metadata
//! (`shaped_metadata` merged in like upstream, `imagej_metadata` with Info/Labels/Ranges/LUTs/
//! Properties from the IJMetadata tag, `ome_xml`) **plus** the first page of series 0;
//! `metadata(Index::At(k))` (or with `page`) gives that page's metadata: every tag by tifffile's
//! name (unknown tags by their decimal code), `compression` (TIFF code: 1 none, 5 LZW, 8 adobe
//! deflate, …), `predictor`, `planar_configuration`, `photometric`, `orientation`,
//! `description`/`description1`, `software`, `datetime` (ISO 8601 text, e.g.
//! `2015-05-09T09:08:29`), `resolution` + `resolution_unit` (omitted on zero denominators),
//! `icc_profile`, `ColorMap`, and for series `axes`, `shape`, `levels`.
//! Text tags are UTF-8 when valid, else Windows-1252 like tifffile's `bytes2str` (where even
//! that fails, tifffile gives bytes and we give the Latin-1 reading).
//!
//! # Writing
//!
//! Every parameter of tifffile's `TiffWriter(...)` and `TiffWriter.write(...)` is an option (see
//! [`WRITE_OPTIONS`]); options are validated by the core and combinations tifffile refuses are
//! refused with a clear error.
//!
//! * **Per-write options**: options given at open apply to every write; options given to
//!   [`ImageFile::write_with_options`](imageio_core::ImageFile::write_with_options) override
//!   them for that write only (tifffile's `write(...)` keywords: `description`, `photometric`,
//!   `compression`, `tile`, `metadata`, `subifds`, …). The file-level ones ([`FILE_OPTIONS`]:
//!   `mode`, `append`, `bigtiff`, `byteorder`, `imagej`, `ome`, `shaped`) given per write are an
//!   error. `subifds=n` given at open means every main series is followed by its `n` levels;
//!   given per write, only that series.
//! * **`returnoffset`**: `write_with_options` returns `{"offset", "bytecount"}` exactly as
//!   tifffile returns its tuple: for memory-mappable data (uncompressed, not packed/bilevel,
//!   untiled or one tile per page) the offset of the series' data and the byte count of **one
//!   page** (tifffile's `sum(databytecounts)`; a continued `contiguous` series reports that
//!   write's data); for anything else an empty report (tifffile returns `None`).
//! * **Empty writes** (tifffile's `write(None, shape=, dtype=)`): pass an image without
//!   elements with the `shape` (and `dtype`) options, e.g.
//!   [`TiffWriteOptions::empty`]. The pages are written with zero data, left as a hole in the
//!   file (sparse where the file system allows); like tifffile this needs uncompressed,
//!   unpacked, untiled data. A `shape` that does not match non-empty data is an error. Zero-size
//!   data are written as one (0, 0) page whose description keeps the shape (tifffile).
//! * **JPEG** (`compression="jpeg"`, quality from `level`/`compressionargs`, default **95**,
//!   the default of imagecodecs' `jpeg8_encode`, which tifffile calls without a level: its
//!   files and ours have the same quantization tables): uint8 grayscale, RGB or YCbCr; and,
//!   with the `turbo` feature, uint16 grayscale or RGB with `bitspersample=12` (12-bit JPEG, see
//!   [below](#the-turbo-feature-12-bit-jpeg)).
//!   Contiguous RGB is stored as YCbCr with `subsampling` (default (2, 2); (1, 1), (2, 1),
//!   (4, 1)), the YCbCrSubSampling and ReferenceBlackWhite tags and rows per strip rounded to the
//!   MCU height, like tifffile; each strip/tile is a complete JPEG stream (jpeg-encoder, with
//!   libjpeg's box-filter chroma downsampling: tifffile/libjpeg decode our files with the same
//!   PSNR as tifffile's own JPEG TIFFs). `jpegtables` is written verbatim to the JPEGTables tag,
//!   as tifffile does. A predictor with JPEG is refused, as in tifffile.
//! * **`photometric="ycbcr"`** (data that are YCbCr samples already), as tifffile writes it:
//!   with JPEG, contiguous YCbCr is encoded **without a colour transform** (jpeg-encoder's
//!   `ColorType::Ycbcr`, tifffile's `colorspace=YCBCR`) with `subsampling` and the
//!   YCbCrSubSampling/ReferenceBlackWhite tags; separate planes are one grayscale JPEG per
//!   plane. Without JPEG the samples are stored as they are with YCbCrSubSampling (1, 1) and
//!   ReferenceBlackWhite (unless `extratags` has tag 532), like tifffile. tifffile decodes our
//!   files to the same pixels as its own (JPEG: the same PSNR). The JPEG `outcolorspace`
//!   compression argument accepts only `ycbcr` (tifffile's default): jpeg-encoder always writes
//!   a JFIF (YCbCr) stream with luma/chroma quantization tables and has no way to store
//!   untransformed RGB components, so `outcolorspace="rgb"` is refused with an error rather
//!   than written as a file that decodes differently.
//! * **12-bit JPEG needs the opt-in `turbo` feature** (facade feature `tiff-turbo`); without
//!   it, writing uint16 data with `compression="jpeg", bitspersample=12` and reading a 12-bit
//!   JPEG page are errors that name the feature. The pure-Rust codecs cannot do it: jpeg-encoder
//!   writes 8-bit samples only, zune-jpeg refuses any precision but 8, and the one pure-Rust
//!   codec with 12-bit code (`zenjpeg`) is AGPL-licensed. (Checked in November 2026.)
//! * **`segments`** (tifffile's `data` as an iterator of bytes or of arrays): with an empty
//!   write (an image without elements plus `shape` and `dtype`), `segments` holds the data of
//!   the whole series. A list of bytes is the pre-encoded strips or tiles of every page in file
//!   order, written verbatim: they must match the write's `compression`, `predictor`, `tile`,
//!   `rowsperstrip`, `subsampling` and `jpegtables` (abbreviated JPEG streams with shared
//!   tables work like libtiff's); a wrong count, or an uncompressed segment of the wrong size,
//!   is an error. A list of arrays is one array per page, or with `tile` one array per tile
//!   of every page in tifffile's order (plane, depth, row, column), incomplete tiles
//!   zero-padded like tifffile; they are encoded by us with the write's options
//!   ([`TiffWriteOptions::segment_bytes`], [`TiffWriteOptions::segment_arrays`]). Options are
//!   values, so the list is in memory: for page-by-page streaming of large series use
//!   **`contiguous`**: N writes of a page with `contiguous=true` make one series of N pages,
//!   exactly what tifffile's iterator of pages writes (tested against it).
//! * `buffersize`: compressed segments are made in parallel batches of about that many input
//!   bytes (default 512 MiB, tifffile's) and written as each batch completes.
//! * `maxworkers`: threads for compression (a private pool; 0/absent: rayon's).
//! * Mode `r+`/`append` starts the sink as a copy of the destination
//!   ([`Sink::copy_existing`](imageio_core::Sink::copy_existing)) and appends new series after
//!   the last IFD; the destination is still replaced atomically at commit (a failed append leaves
//!   it untouched). Mode `x` fails when the destination (file or zip member) exists.
//! * BigTIFF is chosen automatically like tifffile's `imwrite` ([`auto_bigtiff`]): when the first
//!   write's uncompressed data pass 4 GB − 32 MB, never for ImageJ, truncated or compressed data
//!   (a classic file that then grows past 4 GB is an error asking for `bigtiff=true`).
//!
//! Differences from tifffile, and why:
//!
//! * The default Software tag is `imageio-rs` (not `tifffile.py`: we did not write it).
//! * The default photometric follows imageio's plugin: a last axis of 3 or 4 → RGB; else a third
//!   last axis of 3 or 4 → RGB planar (like tifffile today) unless `axes` says otherwise.
//! * zstd writing: the default build uses ruzstd (pure Rust), which implements only its
//!   fastest level (about libzstd's level 1): **every `level` is written at that one level**
//!   (the files are valid and tifffile reads them; they are larger than tifffile's default
//!   level-3 files, about 30 % on a 16-bit test image). The opt-in `libzstd` feature
//!   (libzstd vendored and built by the `zstd`/`zstd-sys` crates) gives imagecodecs' levels:
//!   default 3, levels 1–22 as given (above 22 clamped), 0 and negative levels mean the
//!   default 3 as in imagecodecs; file sizes equal tifffile's at each level (±1 byte).
//! * Deflate is written at tifffile's default level 6 with zlib-rs (levels 0–9), or, with the
//!   opt-in `libdeflate` feature (facade feature `tiff-libdeflate`), with libdeflate like
//!   tifffile (levels 0–12): the same file size as tifffile's and about half zlib-rs' encode
//!   time. libdeflate is a C library vendored and built by the `libdeflater` crate, so the
//!   default build (pure Rust, like every default backend) leaves it out; it adds no unsafe
//!   code to this crate.
//! * A batch write (`is_batch`) writes one series per item and reports the last item's
//!   `returnoffset`.
//!
//! Data are written like tifffile lays them out: all pages of a series back to back (so an
//! uncompressed series is contiguous and tifffile's fast paths apply), then the IFDs;
//! OME-XML and the final shape of contiguous series are patched in at `close()`.
//!
//! # The `turbo` feature (12-bit JPEG)
//!
//! `imageio-tiff = { features = ["turbo"] }` (facade: `tiff-turbo`) links libjpeg-turbo 3.1
//! through `turbojpeg-sys` 1.2 (its vendored sources, built with cmake and nasm and linked
//! statically: a C compiler, cmake and nasm are needed at build time) and uses TurboJPEG 3's
//! `tj3Compress12`/`tj3Decompress12`, the same library tifffile uses through imagecodecs:
//!
//! - **Write**: uint16 data with `compression="jpeg"` and `bitspersample=12`, values 0..4095
//!   (a larger value is an error before anything is written, never clipped). Grayscale, or RGB
//!   stored as YCbCr with `subsampling` (default (2, 2)), quality = `level` (default 95), strips
//!   or tiles, separate planes as one grayscale JPEG each, `jpegtables` written verbatim: the
//!   same tags as tifffile (BitsPerSample 12, Photometric 6, YCbCrSubSampling, ReferenceBlackWhite,
//!   rows per strip from the uint16 item size) and, for the tested images, exactly the pixels
//!   tifffile decodes from its own file of the same call. 12-bit JPEG of YCbCr input
//!   (`photometric="ycbcr"`) is refused: TurboJPEG's 12-bit API takes RGB or gray samples only.
//! - **Read**: JPEG pages with BitsPerSample 12 (strips, tiles, JPEGTables) decode to uint16,
//!   bit for bit as tifffile decodes them. The JPEG frame must fit its strip/tile and be of
//!   12-bit precision; libjpeg-turbo's warnings (corrupt data, premature end) are errors, its
//!   scan count (500) and memory (256 MB) are limited; errors come back as decoding errors with
//!   libjpeg-turbo's message.
//! - **8-bit JPEG is decoded by libjpeg-turbo too** (`tj3Decompress8`, same limits and checks):
//!   exactly tifffile's pixels instead of zune-jpeg's rounding differences (up to 3 levels), and faster. On
//!   the bench photo (4096×3072 RGB, written by tifffile at q90, 96 strips), release build,
//!   same session: libjpeg-turbo 83–120 ms median, zune-jpeg 140–170 ms, tifffile 105 ms; the
//!   same image in 256×256 tiles 93–110 ms vs 119–244 ms, tifffile 106 ms (noisy 2-core
//!   machine; `examples/jpeg_timing.rs`). The 12-bit version of the photo decodes in 232–381 ms
//!   (tifffile 399 ms), to tifffile's pixels. 8-bit JPEG *encoding* stays on jpeg-encoder:
//!   its YCbCr-input path (`photometric="ycbcr"`, no colour transform) has no equivalent in
//!   TurboJPEG's packed-pixel API, and its files already decode with tifffile's PSNR.
//! - **Unsafe code**: the crate is `#![forbid(unsafe_code)]` in every build. The `turbo`
//!   feature's FFI calls live in the safe wrapper crate `imageio-turbojpeg` (shared with
//!   imageio-jpeg; each `unsafe` block has a `// SAFETY:` note, every buffer is checked against
//!   the frame it holds, and the TurboJPEG instance and output buffers are freed by RAII on every
//!   path). No `longjmp` crosses Rust frames: TurboJPEG catches libjpeg's errors in C.
#![forbid(unsafe_code)]

mod codecs;
mod file;
mod ifd;
mod meta;
mod page;
mod read;
#[cfg(feature = "turbo")]
mod turbo;
mod write;

use imageio_core::{OptionKind as K, OptionSpec as O, PluginDescriptor, submit_plugin};

pub use ifd::sniff;
pub use write::{FILE_OPTIONS, TiffWriteOptions, auto_bigtiff};

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
        K::Any,
        "minisblack, miniswhite, rgb, palette, separated, ycbcr (or the number)",
    ),
    O::new("planarconfig", K::Any, "contig or separate (or 1/2)"),
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
        K::Any,
        "none, lzw, zlib/deflate/adobe_deflate, zstd, packbits (or the TIFF code)",
    ),
    O::new(
        "compressionargs",
        K::Any,
        "codec arguments: a map with `level` (and for JPEG `outcolorspace`: ycbcr only), or the \
         level as a number",
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
        "write_with_options reports {offset, bytecount} of memory-mappable data (as tifffile)",
    ),
    O::new(
        "shape",
        K::List,
        "with an image without elements: write an empty (zero) series of this shape",
    ),
    O::new(
        "dtype",
        K::Str,
        "dtype of an empty series (numpy name); must match the data otherwise",
    ),
    O::new(
        "subsampling",
        K::List,
        "JPEG chroma subsampling (h, v): (1, 1), (2, 1), (2, 2) (default) or (4, 1)",
    ),
    O::new(
        "jpegtables",
        K::Bytes,
        "JPEGTables tag bytes, written verbatim (as tifffile)",
    ),
    O::new(
        "buffersize",
        K::Int,
        "approximate bytes of image data compressed per parallel batch",
    ),
    O::new(
        "segments",
        K::List,
        "per write, with shape/dtype and an image without elements: the series' data as \
         pre-encoded strips/tiles (bytes, file order, written verbatim) or as page arrays \
         (tile arrays when tiled), like tifffile's data iterators",
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
