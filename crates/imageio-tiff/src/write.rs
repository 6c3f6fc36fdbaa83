//! The writing plugin: tifffile's `TiffWriter` and `TiffWriter.write` parameters.

use std::io::{Read, Seek, SeekFrom, Write};

use imageio_core::{
    DType, Error, Metadata, NdArray, NdView, Options, Plugin, Request, Result, SinkWriter, Value,
};
use rayon::prelude::*;

use crate::codecs;
use crate::ifd::{self, Format};

/// Typed builder for the write options (see [`WRITE_OPTIONS`](crate::WRITE_OPTIONS)).
///
/// ```
/// use imageio_tiff::TiffWriteOptions;
/// let opts: imageio_core::Options = TiffWriteOptions::new().compression("zlib").predictor(true).tile(32, 32).into();
/// assert_eq!(opts.get_str("compression"), Some("zlib"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct TiffWriteOptions(Options);

impl TiffWriteOptions {
    /// No options (tifffile's defaults: shaped, uncompressed, one strip per page).
    pub fn new() -> Self {
        Self::default()
    }
    /// Any option by key.
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.set(key, value);
        self
    }
    /// `compression` (none, lzw, zlib, zstd, packbits).
    pub fn compression(self, c: &str) -> Self {
        self.set("compression", c)
    }
    /// Compression level.
    pub fn level(self, l: i64) -> Self {
        self.set("level", l)
    }
    /// `predictor`: true picks horizontal for integers and floating point for floats.
    pub fn predictor(self, p: bool) -> Self {
        self.set("predictor", p)
    }
    /// Tile shape.
    pub fn tile(self, length: i64, width: i64) -> Self {
        self.set("tile", vec![length, width])
    }
    /// BigTIFF.
    pub fn bigtiff(self, b: bool) -> Self {
        self.set("bigtiff", b)
    }
    /// ImageJ hyperstack.
    pub fn imagej(self, b: bool) -> Self {
        self.set("imagej", b)
    }
    /// OME-TIFF.
    pub fn ome(self, b: bool) -> Self {
        self.set("ome", b)
    }
    /// ImageDescription.
    pub fn description(self, d: &str) -> Self {
        self.set("description", d)
    }
    /// PhotometricInterpretation (`minisblack`, `rgb`, `ycbcr`, …).
    pub fn photometric(self, p: &str) -> Self {
        self.set("photometric", p)
    }
    /// An empty series: with an image without elements, write zeros of this shape and dtype
    /// (tifffile's `write(None, shape=..., dtype=...)`).
    pub fn empty(self, shape: &[usize], dtype: DType) -> Self {
        let shape: Vec<i64> = shape.iter().map(|&n| n as i64).collect();
        self.set("shape", shape).set("dtype", dtype.numpy_name())
    }
    /// JPEG chroma subsampling factors (horizontal, vertical).
    pub fn subsampling(self, h: i64, v: i64) -> Self {
        self.set("subsampling", vec![h, v])
    }
    /// Report `offset` and `bytecount` of memory-mappable data from
    /// [`ImageFile::write_with_options`](imageio_core::ImageFile::write_with_options).
    pub fn returnoffset(self, b: bool) -> Self {
        self.set("returnoffset", b)
    }
    /// Pre-encoded strips or tiles of the whole series in file order (tifffile's iterator of
    /// bytes), written verbatim: use with [`empty`](Self::empty) (the series' shape and dtype),
    /// an image without elements, and the `compression`/`predictor`/`tile`/`jpegtables` the
    /// segments were encoded with.
    ///
    /// ```
    /// use imageio_core::{Mode, NdArray, OpenArgs, Resource};
    /// use imageio_tiff::TiffWriteOptions;
    ///
    /// let strips = vec![vec![1u8; 8], vec![2u8; 8]]; // two uncompressed strips of 2 rows
    /// let opts = TiffWriteOptions::new().empty(&[4, 4], imageio_core::DType::U8).rowsperstrip(2);
    /// let args = OpenArgs { plugin: Some("tiff".into()), ..Default::default() };
    /// let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args)?;
    /// let nothing = NdArray::zeros(imageio_core::DType::U8, &[0]);
    /// w.write_with_options(&nothing, None, opts.segment_bytes(strips))?;
    /// let bytes = w.close()?.unwrap();
    /// let mut r = imageio_core::open(bytes.as_slice().into(), Mode::Read, &args)?;
    /// let a = r.read(imageio_core::Index::Default)?;
    /// assert_eq!(a.to_le_bytes(), [[1u8; 8], [2u8; 8]].concat());
    /// # Ok::<(), imageio_core::Error>(())
    /// ```
    pub fn segment_bytes(self, segments: Vec<Vec<u8>>) -> Self {
        self.set(
            "segments",
            Value::List(segments.into_iter().map(Value::Bytes).collect()),
        )
    }
    /// The series' data as arrays (tifffile's iterator of arrays): one per page, or with
    /// [`tile`](Self::tile) one per tile of every page (incomplete tiles are zero-padded); use
    /// with [`empty`](Self::empty) and an image without elements. The arrays are encoded with
    /// the write's compression.
    pub fn segment_arrays(self, arrays: Vec<NdArray>) -> Self {
        self.set(
            "segments",
            Value::List(arrays.into_iter().map(Value::Array).collect()),
        )
    }
    /// Rows per strip.
    pub fn rowsperstrip(self, n: i64) -> Self {
        self.set("rowsperstrip", n)
    }
    /// Append this write's pages to the previous series (page-by-page streaming).
    pub fn contiguous(self, b: bool) -> Self {
        self.set("contiguous", b)
    }
    /// JPEGTables bytes, written verbatim.
    pub fn jpegtables(self, tables: Vec<u8>) -> Self {
        self.set("jpegtables", Value::Bytes(tables))
    }
    /// Approximate bytes of image data compressed per parallel batch.
    pub fn buffersize(self, n: i64) -> Self {
        self.set("buffersize", n)
    }
}

impl From<TiffWriteOptions> for Options {
    fn from(o: TiffWriteOptions) -> Options {
        o.0
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flavour {
    Shaped,
    ImageJ,
    Ome,
    None,
}

/// A tag to write: code, type, count, raw value bytes in file order.
struct OutTag {
    code: u16,
    dtype: u16,
    count: u64,
    bytes: Vec<u8>,
}

/// Positions recorded after writing an IFD.
struct IfdPos {
    offset: u64,
    /// For each tag (same order as given): position of its value (inline or out of line).
    value_pos: Vec<u64>,
    /// For each tag: position of its IFD entry.
    entry_pos: Vec<u64>,
    next_pos: u64,
}

struct OmeImage {
    name: String,
    order: String,
    sizes: [usize; 5], // X Y C Z T
    spp: usize,
    dtype: DType,
    first_ifd: usize,
    planes: usize,
    physical: Vec<(String, f64)>,
}

/// A description to rewrite at close (OME-XML; shaped JSON of a contiguous series).
struct DescPatch {
    entry_pos: u64,
    json: Option<serde_json::Map<String, serde_json::Value>>,
}

struct SubifdSlots {
    /// For each main page of the parent series: the position of its SubIFDs value array.
    slots: Vec<u64>,
    levels_left: usize,
    level: usize,
}

struct Contig {
    page_shape: Vec<usize>,
    dtype: DType,
    count: usize,
    end: u64,
}

pub(crate) struct TiffWriter {
    out: SinkWriter,
    opts: Options,
    fmt: Option<Format>,
    /// End of the file.
    pos: u64,
    /// Where the next IFD's offset goes (0 when the chain is empty... header pointer).
    next_ptr: u64,
    flavour: Flavour,
    npages: usize,
    nseries: usize,
    ome: Vec<OmeImage>,
    ome_desc: Option<u64>,
    desc_patch: Option<DescPatch>,
    subifds: Option<SubifdSlots>,
    contig: Option<Contig>,
    /// `returnoffset`: (offset, bytes) of the last write's data when contiguous and uncompressed.
    pub last_offset: Option<(u64, u64)>,
    closed: bool,
    pool: Option<rayon::ThreadPool>,
}

fn get_str_ci(o: &Options, k: &str) -> Option<String> {
    o.get(k).map(|v| match v {
        Value::Str(s) => s.to_ascii_lowercase(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

pub(crate) fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    let opts = req.options.clone();
    let mode = match (opts.get_str("mode"), opts.get_bool("append")) {
        (Some(m), _) => m.to_owned(),
        (None, Some(true)) => "r+".to_owned(),
        _ => "w".to_owned(),
    };
    let sink = req.sink()?;
    // r+: the sink starts as a copy of the destination (file or zip member) and still replaces
    // it atomically on commit, so a failed append leaves the original untouched. The copy is
    // made before taking the writer (a zip member's copy becomes the sink's memory buffer).
    let existing = if matches!(mode.as_str(), "r+" | "a") {
        sink.copy_existing()?
    } else {
        None
    };
    let mut out = sink.writer()?;
    let mut w = TiffWriter {
        out: SinkWriter::Memory(Default::default()),
        opts: opts.clone(),
        fmt: None,
        pos: 0,
        next_ptr: 0,
        flavour: Flavour::Shaped,
        npages: 0,
        nseries: 0,
        ome: Vec::new(),
        ome_desc: None,
        desc_patch: None,
        subifds: None,
        contig: None,
        last_offset: None,
        closed: false,
        pool: None,
    };
    match mode.as_str() {
        "w" => {}
        "x" => {
            if sink.destination_exists() {
                return Err(Error::invalid_argument(format!(
                    "mode `x`: `{}` already exists",
                    req.name()
                )));
            }
        }
        "r+" | "a" => {
            if let Some(len) = existing {
                append_to_existing(&mut w, &mut out, len, &opts)?;
            }
        }
        m => {
            return Err(Error::invalid_argument(format!(
                "mode must be w, x or r+, not `{m}`"
            )));
        }
    }
    w.out = out;
    let imagej = opts.get_bool("imagej").unwrap_or(false);
    let ome = opts.get_bool("ome").unwrap_or_else(|| {
        !imagej && req.extension().is_some_and(|e| e.contains(".ome"))
            || req.name().to_ascii_lowercase().contains(".ome.")
    });
    if imagej && opts.get_bool("ome") == Some(true) {
        return Err(Error::invalid_argument(
            "`imagej` and `ome` cannot be used together",
        ));
    }
    if imagej && opts.get_bool("bigtiff") == Some(true) {
        return Err(Error::invalid_argument(
            "ImageJ hyperstacks do not support BigTIFF",
        ));
    }
    w.flavour = if imagej {
        Flavour::ImageJ
    } else if ome {
        Flavour::Ome
    } else if opts.get_bool("shaped") == Some(false)
        || matches!(opts.get("metadata"), Some(Value::Str(s)) if s.eq_ignore_ascii_case("none"))
    {
        Flavour::None
    } else {
        Flavour::Shaped
    };
    if let Some(b) = opts.get_str("byteorder") {
        if !matches!(b, "<" | ">" | "=" | "|") {
            return Err(Error::invalid_argument(format!(
                "byteorder must be <, >, = or |, not `{b}`"
            )));
        }
    }
    if let Some(n) = opts.get_int("maxworkers") {
        if n < 0 {
            return Err(Error::invalid_argument("maxworkers must not be negative"));
        }
        if n > 0 {
            w.pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n as usize)
                .build()
                .ok();
        }
    }
    if opts.contains("segments") {
        return Err(Error::invalid_argument(
            "`segments` describe one write: give them to write_with_options",
        ));
    }
    // validate per-write options once, early, with a dummy check of the combinations
    validate_combinations(&opts, w.flavour)?;
    Ok(Box::new(w))
}

/// Mode `r+`: positions the writer after the existing file's last IFD (`out` holds a copy of
/// the destination, `len` bytes).
fn append_to_existing(
    w: &mut TiffWriter,
    out: &mut SinkWriter,
    len: u64,
    opts: &Options,
) -> Result<()> {
    let mut head = [0u8; 16];
    let n = (len as usize).min(16);
    out.seek(SeekFrom::Start(0))?;
    out.read_exact(&mut head[..n])?;
    let (fmt, first) = ifd::parse_header(&head[..n]).ok_or_else(|| {
        Error::invalid_argument("mode `r+`: the existing file is not a TIFF file")
    })?;
    if let Some(b) = opts.get_bool("bigtiff") {
        if b != fmt.bigtiff {
            return Err(Error::invalid_argument(
                "mode `r+`: bigtiff must match the existing file",
            ));
        }
    }
    if let Some(b) = opts.get_str("byteorder") {
        if (b == ">" && !fmt.big_endian) || (b == "<" && fmt.big_endian) {
            return Err(Error::invalid_argument(
                "mode `r+`: byteorder must match the existing file",
            ));
        }
    }
    // parse the chain through a second handle on the same output (only the IFDs are read)
    let src = imageio_core::Request::new(
        imageio_core::Resource::reader(match out {
            SinkWriter::File(f) => SinkWriter::File(f.try_clone()?),
            SinkWriter::Memory(m) => SinkWriter::Memory(m.clone()),
        }),
        imageio_core::Mode::Read,
        None,
        Default::default(),
    )?;
    let data = ifd::Data::new(src.source()?)?;
    let mut budget = ifd::TagBudget::new(&imageio_core::Limits::default());
    let chain = ifd::read_chain(&data, &fmt, first, &mut Default::default(), &mut budget)?;
    let last = chain
        .last()
        .ok_or_else(|| Error::invalid_argument("mode `r+`: the file has no IFD"))?;
    let n = last.tags.len() as u64;
    w.next_ptr = if fmt.bigtiff {
        last.offset + 8 + n * 20
    } else {
        last.offset + 2 + n * 12
    };
    w.pos = len;
    w.npages = chain.len();
    w.nseries = 1;
    w.fmt = Some(fmt);
    if !opts.contains("byteorder") {
        w.opts
            .set("byteorder", if fmt.big_endian { ">" } else { "<" });
    }
    Ok(())
}

/// tifffile's default `buffersize` (`TIFF.BUFFERSIZE * 2`, 512 MiB).
const DEFAULT_BUFFERSIZE: usize = 512 << 20;

/// Options that describe the whole file: given per write they are an error (tifffile takes them
/// in `TiffWriter(...)`, not in `write(...)`).
pub const FILE_OPTIONS: &[&str] = &[
    "mode",
    "append",
    "bigtiff",
    "byteorder",
    "imagej",
    "ome",
    "shaped",
];

/// The automatic BigTIFF decision of tifffile's `imwrite`: a classic TIFF is written unless the
/// first write's data pass 4 GB − 32 MB, and never for ImageJ, truncated or compressed data
/// (whose size is unknown before encoding; a classic file that then grows past 4 GB is an error
/// asking for `bigtiff=true`).
pub fn auto_bigtiff(data_bytes: u64, uncompressed: bool, imagej: bool, truncate: bool) -> bool {
    data_bytes > (1u64 << 32) - (1 << 25) && uncompressed && !imagej && !truncate
}

/// dtype, shape and whether the write is empty (`shape`/`dtype` options with an image without
/// elements: tifffile's `write(None, shape=..., dtype=...)`).
fn data_shape(image: &NdView<'_>, o: &Options) -> Result<(DType, Vec<usize>, bool)> {
    let dtype_opt = match o.get("dtype") {
        None => None,
        Some(Value::Str(s)) => Some(
            DType::parse(s)
                .ok_or_else(|| Error::invalid_argument(format!("unknown dtype `{s}`")))?,
        ),
        Some(v) => {
            return Err(Error::invalid_argument(format!(
                "dtype must be a numpy name like \"uint16\", not {v:?}"
            )));
        }
    };
    let shape_opt = match o.get_list("shape") {
        None => None,
        Some(l) => Some(
            l.iter()
                .map(|v| {
                    v.as_int()
                        .filter(|&n| (0..1 << 32).contains(&n))
                        .map(|n| n as usize)
                })
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| Error::invalid_argument("shape must be a list of sizes"))?,
        ),
    };
    let no_data = image.shape().contains(&0);
    match shape_opt {
        Some(shape) if no_data && shape.iter().product::<usize>() > 0 => {
            Ok((dtype_opt.unwrap_or(image.dtype()), shape, true))
        }
        Some(shape) if shape != image.shape() => Err(Error::invalid_argument(format!(
            "shape argument {shape:?} does not match the data's shape {:?} (give an image \
             without elements to write an empty series of that shape)",
            image.shape()
        ))),
        _ => {
            if let Some(d) = dtype_opt.filter(|&d| d != image.dtype()) {
                return Err(Error::invalid_argument(format!(
                    "dtype argument {d} does not match the data's dtype {}",
                    image.dtype()
                )));
            }
            Ok((image.dtype(), image.shape().to_vec(), false))
        }
    }
}

fn validate_combinations(o: &Options, flavour: Flavour) -> Result<()> {
    let comp = compression_code(o)?;
    let has = |k| o.contains(k) && !matches!(o.get(k), Some(Value::Bool(false)));
    let ij = flavour == Flavour::ImageJ;
    let ome = flavour == Flavour::Ome;
    if (ij || ome) && o.contains("description") {
        return Err(Error::invalid_argument(
            "`description` cannot be used with the ImageJ or OME formats",
        ));
    }
    if has("contiguous") && (ij || ome) {
        return Err(Error::invalid_argument(
            "`contiguous` cannot be used with the ImageJ or OME formats",
        ));
    }
    if has("contiguous") && (comp != 1 || o.contains("tile")) {
        return Err(Error::invalid_argument(
            "`contiguous` series cannot be compressed or tiled",
        ));
    }
    if has("truncate") && (ij || ome || comp != 1 || o.contains("tile")) {
        return Err(Error::invalid_argument(
            "`truncate` needs uncompressed, untiled, non-ImageJ, non-OME data",
        ));
    }
    if has("subifds") && (ij || has("truncate")) {
        return Err(Error::invalid_argument(
            "`subifds` cannot be used with ImageJ or truncated files",
        ));
    }
    if has("volumetric") && (ij || ome) {
        return Err(Error::invalid_argument(
            "`volumetric` cannot be used with the ImageJ or OME formats",
        ));
    }
    // JPEG takes bitspersample (8, or 12 for 12-bit JPEG of uint16 data: checked with the dtype)
    if o.contains("bitspersample") && comp != 1 && comp != 7 {
        return Err(Error::invalid_argument(
            "`bitspersample` cannot be used with compression",
        ));
    }
    if comp == 7 && predictor_value(o)?.is_some_and(|p| p != 1) {
        return Err(Error::invalid_argument("cannot use a predictor with JPEG"));
    }
    if predictor_value(o)?.is_some_and(|p| p > 1) && comp == 1 {
        return Err(Error::invalid_argument("a predictor needs compression"));
    }
    if o.contains("compressionargs") || o.contains("level") {
        level(o)?;
    }
    Ok(())
}

fn compression_code(o: &Options) -> Result<u16> {
    let Some(c) = get_str_ci(o, "compression") else {
        return Ok(1);
    };
    Ok(match c.as_str() {
        "none" | "1" | "false" | "" => 1,
        "lzw" | "5" => 5,
        "zlib" | "deflate" | "adobe_deflate" | "8" | "true" => 8,
        "32946" => 32946,
        "zstd" | "50000" => 50000,
        "packbits" | "32773" => 32773,
        "jpeg" | "7" => 7,
        other => {
            return Err(Error::invalid_argument(format!(
                "unknown or unsupported compression `{other}`"
            )));
        }
    })
}

fn level(o: &Options) -> Result<Option<i64>> {
    if let Some(l) = o.get_int("level") {
        return Ok(Some(l));
    }
    match o.get("compressionargs") {
        None => Ok(None),
        Some(Value::Map(m)) => match m.get("level") {
            Some(v) => v
                .as_int()
                .map(Some)
                .ok_or_else(|| Error::invalid_argument("compressionargs level must be an integer")),
            None => Ok(None),
        },
        Some(v) => v
            .as_int()
            .map(Some)
            .ok_or_else(|| Error::invalid_argument("compressionargs must be a map with `level`")),
    }
}

/// `compressionargs={"outcolorspace": ...}` as a photometric code.
fn outcolorspace(o: &Options) -> Result<Option<u16>> {
    match o.get("compressionargs") {
        Some(Value::Map(m)) => match m.get("outcolorspace") {
            None => Ok(None),
            Some(Value::Str(s)) => photometric_code(&s.to_ascii_lowercase()).map(Some),
            Some(Value::Int(i)) => photometric_code(&i.to_string()).map(Some),
            Some(v) => Err(Error::invalid_argument(format!(
                "outcolorspace must be a photometric name or code, not {v:?}"
            ))),
        },
        _ => Ok(None),
    }
}

/// Some(1|2|3) or Some(0) for "true" (resolved per dtype later).
fn predictor_value(o: &Options) -> Result<Option<u16>> {
    Ok(match o.get("predictor") {
        None => None,
        Some(Value::Bool(false)) => Some(1),
        Some(Value::Bool(true)) => Some(0),
        Some(v) => match get_str_ci(o, "predictor").unwrap_or_default().as_str() {
            "none" | "1" => Some(1),
            "horizontal" | "2" => Some(2),
            "floatingpoint" | "3" => Some(3),
            _ => return Err(Error::invalid_argument(format!("unknown predictor {v:?}"))),
        },
    })
}

fn photometric_code(s: &str) -> Result<u16> {
    Ok(match s {
        "miniswhite" | "0" => 0,
        "minisblack" | "1" => 1,
        "rgb" | "2" => 2,
        "palette" | "3" => 3,
        "mask" | "4" => 4,
        "separated" | "cmyk" | "5" => 5,
        "ycbcr" | "6" => 6,
        "cfa" | "32803" => 32803,
        other => {
            return Err(Error::invalid_argument(format!(
                "unknown photometric `{other}`"
            )));
        }
    })
}

fn sample_format(d: DType) -> (u16, u16) {
    match d {
        DType::Bool => (1, 1),
        DType::U8 => (1, 8),
        DType::U16 => (1, 16),
        DType::U32 => (1, 32),
        DType::U64 => (1, 64),
        DType::I8 => (2, 8),
        DType::I16 => (2, 16),
        DType::I32 => (2, 32),
        DType::I64 => (2, 64),
        DType::F32 => (3, 32),
        _ => (3, 64),
    }
}

/// A rational close to `v` (numerator, denominator) as u32.
fn rational(v: f64) -> (u32, u32) {
    if !v.is_finite() || v <= 0.0 {
        return (0, 1);
    }
    if v.fract() == 0.0 && v < u32::MAX as f64 {
        return (v as u32, 1);
    }
    // continued fractions
    let (mut h0, mut h1, mut k0, mut k1) = (0u64, 1u64, 1u64, 0u64);
    let mut x = v;
    for _ in 0..40 {
        let a = x.floor() as u64;
        let h2 = a.saturating_mul(h1).saturating_add(h0);
        let k2 = a.saturating_mul(k1).saturating_add(k0);
        if h2 > u32::MAX as u64 || k2 > u32::MAX as u64 {
            break;
        }
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        let f = x - a as f64;
        if f.abs() < 1e-12 || (h1 as f64 / k1 as f64 - v).abs() < 1e-12 * v {
            break;
        }
        x = 1.0 / f;
    }
    (h1 as u32, k1.max(1) as u32)
}

fn now_datetime() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // civil from days (Howard Hinnant)
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}:{m:02}:{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Array(a) => {
            let vals: Vec<serde_json::Value> = a
                .to_le_bytes()
                .iter()
                .map(|&b| serde_json::Value::from(b))
                .collect();
            serde_json::Value::Array(vals)
        }
        other => other.to_json(),
    }
}

impl TiffWriter {
    /// The file format, chosen by the first write: `auto` is [`auto_bigtiff`]'s decision for
    /// that write's data.
    fn format(&mut self, auto: bool) -> Result<Format> {
        if let Some(f) = self.fmt {
            return Ok(f);
        }
        let big_endian = match self.opts.get_str("byteorder") {
            Some(">") => true,
            Some("<") => false,
            _ => cfg!(target_endian = "big"),
        };
        let bigtiff = self.opts.get_bool("bigtiff").unwrap_or(auto);
        if bigtiff && self.flavour == Flavour::ImageJ {
            return Err(Error::invalid_argument(
                "ImageJ hyperstacks do not support BigTIFF (the data pass 4 GB)",
            ));
        }
        let f = Format {
            big_endian,
            bigtiff,
        };
        let mut h = Vec::new();
        h.extend_from_slice(if big_endian { b"MM" } else { b"II" });
        if bigtiff {
            h.extend_from_slice(&self.u16b(&f, 43));
            h.extend_from_slice(&self.u16b(&f, 8));
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&self.u64b(&f, 0));
            self.next_ptr = 8;
        } else {
            h.extend_from_slice(&self.u16b(&f, 42));
            h.extend_from_slice(&self.u32b(&f, 0));
            self.next_ptr = 4;
        }
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&h)?;
        self.pos = h.len() as u64;
        self.fmt = Some(f);
        Ok(f)
    }

    fn u16b(&self, f: &Format, v: u16) -> [u8; 2] {
        if f.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32b(&self, f: &Format, v: u32) -> [u8; 4] {
        if f.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u64b(&self, f: &Format, v: u64) -> [u8; 8] {
        if f.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn write_at(&mut self, pos: u64, b: &[u8]) -> Result<()> {
        self.out.seek(SeekFrom::Start(pos))?;
        self.out.write_all(b)?;
        Ok(())
    }

    fn append(&mut self, b: &[u8], align: u64) -> Result<u64> {
        let pad = (align - self.pos % align) % align;
        let start = self.pos + pad;
        if !self.fmt.is_some_and(|f| f.bigtiff) && start + b.len() as u64 > u32::MAX as u64 {
            return Err(Error::encoding(
                "the file would pass 4 GB: write it with bigtiff=true",
            ));
        }
        self.out.seek(SeekFrom::Start(self.pos))?;
        if pad > 0 {
            self.out.write_all(&vec![0u8; pad as usize])?;
        }
        self.out.write_all(b)?;
        self.pos = start + b.len() as u64;
        Ok(start)
    }

    fn offset_bytes(&self, f: &Format, v: u64) -> Vec<u8> {
        if f.bigtiff {
            self.u64b(f, v).to_vec()
        } else {
            self.u32b(f, v as u32).to_vec()
        }
    }

    fn tag_u(&self, f: &Format, code: u16, dtype: u16, vals: &[u64]) -> OutTag {
        let mut bytes = Vec::new();
        for &v in vals {
            match dtype {
                1 | 7 => bytes.push(v as u8),
                3 => bytes.extend_from_slice(&self.u16b(f, v as u16)),
                4 | 13 => bytes.extend_from_slice(&self.u32b(f, v as u32)),
                _ => bytes.extend_from_slice(&self.u64b(f, v)),
            }
        }
        OutTag {
            code,
            dtype,
            count: vals.len() as u64,
            bytes,
        }
    }

    fn tag_ascii(&self, code: u16, s: &str) -> OutTag {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        OutTag {
            code,
            dtype: 2,
            count: b.len() as u64,
            bytes: b,
        }
    }

    fn tag_rational(&self, f: &Format, code: u16, v: f64) -> OutTag {
        let (n, d) = rational(v);
        let mut b = self.u32b(f, n).to_vec();
        b.extend_from_slice(&self.u32b(f, d));
        OutTag {
            code,
            dtype: 5,
            count: 1,
            bytes: b,
        }
    }

    /// Writes an IFD (tags sorted by code, stable) and links it into the chain when `link`.
    fn write_ifd(&mut self, f: &Format, mut tags: Vec<OutTag>, link: bool) -> Result<IfdPos> {
        let order: Vec<usize> = {
            let mut idx: Vec<usize> = (0..tags.len()).collect();
            idx.sort_by_key(|&i| tags[i].code);
            idx
        };
        let (nsize, esize, osize) = if f.bigtiff {
            (8u64, 20u64, 8u64)
        } else {
            (2, 12, 4)
        };
        let n = tags.len() as u64;
        if self.pos % 2 == 1 {
            self.append(&[0], 1)?;
        }
        let start = self.pos;
        let mut values_at = start + nsize + n * esize + osize;
        let mut buf = Vec::new();
        buf.extend_from_slice(&if f.bigtiff {
            self.u64b(f, n).to_vec()
        } else {
            self.u16b(f, n as u16).to_vec()
        });
        let mut extra = Vec::new();
        let mut value_pos = vec![0u64; tags.len()];
        let mut entry_pos = vec![0u64; tags.len()];
        for (k, &i) in order.iter().enumerate() {
            let t = &mut tags[i];
            entry_pos[i] = start + nsize + k as u64 * esize;
            buf.extend_from_slice(&self.u16b(f, t.code));
            buf.extend_from_slice(&self.u16b(f, t.dtype));
            buf.extend_from_slice(&self.offset_bytes(f, t.count));
            if t.bytes.len() as u64 <= osize {
                value_pos[i] = entry_pos[i] + 4 + osize;
                let mut v = t.bytes.clone();
                v.resize(osize as usize, 0);
                buf.extend_from_slice(&v);
            } else {
                if values_at % 2 == 1 {
                    extra.push(0);
                    values_at += 1;
                }
                value_pos[i] = values_at;
                buf.extend_from_slice(&self.offset_bytes(f, values_at));
                extra.extend_from_slice(&t.bytes);
                values_at += t.bytes.len() as u64;
            }
        }
        let next_pos = start + nsize + n * esize;
        buf.extend_from_slice(&self.offset_bytes(f, 0));
        buf.extend_from_slice(&extra);
        let at = self.append(&buf, 1)?;
        debug_assert_eq!(at, start);
        if link {
            let ob = self.offset_bytes(f, start);
            self.write_at(self.next_ptr, &ob)?;
            self.next_ptr = next_pos;
        }
        Ok(IfdPos {
            offset: start,
            value_pos,
            entry_pos,
            next_pos,
        })
    }

    fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    fn write_series(&mut self, image: NdView<'_>, per_write: &Options) -> Result<Metadata> {
        // the open-time options, overridden by this write's
        let mut o = self.opts.clone();
        o.extend(per_write.clone());
        validate_combinations(&o, self.flavour)?;
        let (dtype, mut shape, empty) = data_shape(&image, &o)?;
        if shape.is_empty() {
            return Err(Error::invalid_argument("cannot write a 0-d array"));
        }
        if shape.len() == 1 {
            shape.insert(0, 1);
        }
        // tifffile: zero-size data are written as one (0, 0) page (its description keeps the
        // data's shape)
        let described_shape = shape.clone();
        let zero_size = shape.contains(&0);
        if zero_size {
            shape = vec![0, 0];
        }
        let comp = compression_code(&o)?;
        let lvl = level(&o)?;
        let ij = self.flavour == Flavour::ImageJ;
        let ndim = shape.len();
        let flag = |k: &str| o.get_bool(k).unwrap_or(false);
        let colormap = match o.get("colormap") {
            None => None,
            Some(Value::Array(a)) => Some(
                a.to_le_bytes()
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect::<Vec<u16>>(),
            )
            .filter(|_| a.dtype() == DType::U16),
            Some(Value::List(l)) => {
                Some(l.iter().map(|v| v.as_int().unwrap_or(0) as u16).collect())
            }
            Some(_) => {
                return Err(Error::invalid_argument(
                    "colormap must be a uint16 array or a list",
                ));
            }
        };
        let axes_hint: Option<String> =
            o.get_str("axes")
                .map(str::to_ascii_uppercase)
                .or_else(|| match o.get("metadata") {
                    Some(Value::Map(m)) => m
                        .get("axes")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_uppercase),
                    _ => None,
                });
        // photometric and planar configuration (imageio's and tifffile's defaults)
        let mut photometric = match get_str_ci(&o, "photometric") {
            Some(p) => photometric_code(&p)?,
            None if colormap.is_some() => 3,
            None if ndim >= 3
                && matches!(shape[ndim - 1], 3 | 4)
                && axes_hint.as_ref().is_none_or(|a| a.ends_with('S')) =>
            {
                2
            }
            None if ndim >= 3
                && matches!(shape[ndim - 3], 3 | 4)
                && !flag("volumetric")
                && !ij
                && axes_hint.is_none() =>
            {
                2
            }
            None => 1,
        };
        let mut planar = match get_str_ci(&o, "planarconfig").as_deref() {
            None => None,
            Some("contig" | "1") => Some(1),
            Some("separate" | "2") => Some(2),
            Some(p) => {
                return Err(Error::invalid_argument(format!(
                    "unknown planarconfig `{p}`"
                )));
            }
        };
        if photometric == 2 && planar.is_none() {
            planar = Some(if matches!(shape[ndim - 1], 3 | 4) {
                1
            } else {
                2
            });
        }
        if photometric == 5 && planar.is_none() {
            planar = Some(1);
        }
        // One-sample photometrics (gray, palette) with `extrasamples`: like tifffile, the last
        // axis holds the contiguous samples (e.g. gray + alpha (H, W, 2)).
        let extras_given = o.get_list("extrasamples").is_some_and(|l| !l.is_empty());
        if matches!(photometric, 0 | 1 | 3) && planar.is_none() && extras_given && ndim >= 3 {
            planar = Some(1);
        }
        // YCbCr: three samples, contiguous or separate like tifffile decides
        if photometric == 6 && planar.is_none() && ndim >= 3 {
            let sep = if flag("volumetric") && ndim >= 4 {
                ndim - 4
            } else {
                ndim - 3
            };
            planar = Some(if shape[ndim - 1] == 3 {
                1
            } else if shape[sep] == 3 || shape[ndim - 1] > shape[sep] {
                2
            } else {
                1
            });
        }
        let volumetric = flag("volumetric");
        let mut spp = 1usize;
        let need = if planar == Some(2) && volumetric {
            4
        } else if planar.is_some() {
            3
        } else {
            2
        };
        if ndim < need {
            if photometric == 2 {
                return Err(Error::invalid_argument(format!(
                    "photometric rgb needs 3 or more samples, the data have shape {shape:?}"
                )));
            }
            return Err(Error::invalid_argument(format!(
                "data of shape {shape:?} are too small for the requested layout"
            )));
        }
        if let Some(pl) = planar {
            spp = if pl == 1 {
                shape[ndim - 1]
            } else {
                shape[ndim - if volumetric { 4 } else { 3 }]
            };
        }
        if matches!(photometric, 2 | 6) && spp < 3 {
            let name = if photometric == 2 { "rgb" } else { "ycbcr" };
            return Err(Error::invalid_argument(format!(
                "photometric {name} needs 3 or more samples, the data have {spp}"
            )));
        }
        if matches!(photometric, 3) && colormap.is_none() {
            return Err(Error::invalid_argument(
                "photometric palette needs a colormap",
            ));
        }
        if let Some(cm) = &colormap {
            if !(matches!(dtype, DType::U8 | DType::U16) || ij && dtype == DType::F32) {
                return Err(Error::invalid_argument(
                    "a colormap needs uint8 or uint16 data",
                ));
            }
            let bits = if dtype == DType::U8 { 8 } else { 16 };
            if cm.len() != 3 << bits && !(ij && cm.len() == 768) {
                return Err(Error::invalid_argument(format!(
                    "the colormap must have shape (3, {})",
                    1 << bits
                )));
            }
            photometric = 3;
        }
        // page geometry
        let sdims = if planar.is_some() { 3 } else { 2 } + usize::from(volumetric);
        if ndim < sdims {
            return Err(Error::invalid_argument(format!(
                "data of shape {shape:?} are too small for the requested layout"
            )));
        }
        let page_shape = shape[ndim - sdims..].to_vec();
        let npages: usize = shape[..ndim - sdims].iter().product();
        let (depth, height, width) = {
            let yx = match planar {
                Some(1) => &page_shape[..page_shape.len() - 1],
                Some(_) => &page_shape[1..],
                None => &page_shape[..],
            };
            if volumetric {
                (yx[0], yx[1], yx[2])
            } else {
                (1, yx[0], yx[1])
            }
        };
        let (sf, mut bps) = sample_format(dtype);
        if let Some(b) = o.get_int("bitspersample") {
            let ok = match dtype {
                DType::U8 => (1..=8).contains(&b),
                DType::U16 => (9..=16).contains(&b),
                DType::U32 => (17..=32).contains(&b),
                DType::Bool => b == 1,
                _ => false,
            };
            if !ok {
                return Err(Error::invalid_argument(format!(
                    "bitspersample {b} is not valid for {dtype} data"
                )));
            }
            bps = b as u16;
        }
        let mut predictor = predictor_value(&o)?.unwrap_or(1);
        if predictor == 0 {
            predictor = if dtype.is_float() { 3 } else { 2 };
        }
        if predictor == 3 && !dtype.is_float() {
            return Err(Error::invalid_argument(
                "the floating point predictor needs float data",
            ));
        }
        if predictor == 2 && (dtype.is_float() || dtype == DType::Bool) {
            return Err(Error::invalid_argument(
                "the horizontal predictor needs integer data",
            ));
        }
        if predictor > 1 && comp == 1 {
            return Err(Error::invalid_argument("a predictor needs compression"));
        }
        let tile: Option<(usize, usize, usize)> = match o.get_list("tile") {
            None => None,
            Some(t) => {
                let t: Vec<i64> = t.iter().map(|v| v.as_int().unwrap_or(0)).collect();
                let (d, l, w) = match t.as_slice() {
                    [l, w] => (1, *l, *w),
                    [d, l, w] => (*d, *l, *w),
                    _ => {
                        return Err(Error::invalid_argument(
                            "tile must be (length, width) or (depth, length, width)",
                        ));
                    }
                };
                if l <= 0 || w <= 0 || d <= 0 || l % 16 != 0 || w % 16 != 0 {
                    return Err(Error::invalid_argument(format!(
                        "tile length and width must be positive multiples of 16, not {t:?}"
                    )));
                }
                if d > 1 && !volumetric {
                    return Err(Error::invalid_argument(
                        "a tile depth needs volumetric=true",
                    ));
                }
                Some((d as usize, l as usize, w as usize))
            }
        };
        if dtype == DType::Bool {
            bps = 1;
            if comp != 1 && predictor > 1 {
                return Err(Error::invalid_argument(
                    "bilevel images cannot use a predictor",
                ));
            }
        }
        if ij {
            if !matches!(dtype, DType::U8 | DType::U16 | DType::F32) {
                return Err(Error::invalid_argument(format!(
                    "ImageJ hyperstacks hold uint8, uint16 or float32 data, not {dtype}"
                )));
            }
            if photometric == 2 && dtype != DType::U8 {
                return Err(Error::invalid_argument("ImageJ RGB images must be uint8"));
            }
            if planar == Some(2) {
                return Err(Error::invalid_argument(
                    "ImageJ RGB images must be contiguous",
                ));
            }
            if ndim > 6 || ndim - sdims > 3 {
                return Err(Error::invalid_argument(format!(
                    "ImageJ hyperstacks have at most TZC leading axes; the data have shape {shape:?}"
                )));
            }
        }
        let seg_spp = if planar == Some(1) { spp } else { 1 };
        let planes = if planar == Some(2) { spp } else { 1 };
        // 12-bit JPEG: uint16 samples stored with BitsPerSample 12 (tifffile/imagecodecs)
        let jpeg12 = comp == 7 && dtype == DType::U16 && bps == 12;
        // tifffile sizes JPEG strips by the input item size (uint16 for 12-bit), not the bits
        let row_bytes = if jpeg12 {
            width * seg_spp * 2
        } else {
            (width * seg_spp * bps as usize).div_ceil(8)
        };
        let rows_total = depth * height;
        let rps = match o.get_int("rowsperstrip") {
            Some(r) if r > 0 => (r as usize).min(rows_total.max(1)),
            Some(r) => {
                return Err(Error::invalid_argument(format!(
                    "rowsperstrip must be positive, not {r}"
                )));
            }
            None if comp != 1 => ((256 * 1024) / row_bytes.max(1)).clamp(1, rows_total.max(1)),
            None => rows_total.max(1),
        };
        // JPEG: u8 grayscale or RGB; contiguous RGB is stored as subsampled YCbCr (tifffile)
        let mut jpeg_params = JpegParams {
            quality: 75,
            subsampling: (1, 1),
            ycbcr_input: false,
        };
        let mut jpeg_ycbcr = false;
        let mut rps = rps;
        if comp == 7 {
            if dtype != DType::U8 && !jpeg12 {
                return Err(Error::invalid_argument(format!(
                    "JPEG compression needs uint8 data, or uint16 data with bitspersample=12 \
                     (12-bit JPEG), not {dtype} with {bps} bits per sample"
                )));
            }
            if dtype == DType::U8 && bps != 8 {
                return Err(Error::invalid_argument(format!(
                    "JPEG compression of uint8 data needs 8 bits per sample, not {bps}"
                )));
            }
            #[cfg(not(feature = "turbo"))]
            if jpeg12 {
                return Err(Error::invalid_argument(codecs::NO_TURBO_12BIT));
            }
            if jpeg12 && photometric == 6 {
                return Err(Error::invalid_argument(
                    "12-bit JPEG of YCbCr samples (photometric ycbcr) is not supported: \
                     libjpeg-turbo's 12-bit API takes RGB or gray samples only",
                ));
            }
            if volumetric || tile.is_some_and(|t| t.0 > 1) {
                return Err(Error::invalid_argument(
                    "JPEG compression cannot be used with volumetric data",
                ));
            }
            if !matches!(seg_spp, 1 | 3) {
                return Err(Error::invalid_argument(format!(
                    "JPEG compression needs grayscale or RGB data, not {seg_spp} samples per pixel"
                )));
            }
            // imagecodecs' jpeg8_encode default (tifffile passes no level): quality 95
            let q = lvl.unwrap_or(95);
            if !(1..=100).contains(&q) {
                return Err(Error::invalid_argument(format!(
                    "JPEG quality (level) must be 1..100, not {q}"
                )));
            }
            let ss = match o.get_list("subsampling") {
                None => None,
                Some(l) => match l.iter().map(Value::as_int).collect::<Option<Vec<i64>>>() {
                    Some(v) if matches!(v.as_slice(), [1, 1] | [2, 1] | [2, 2] | [4, 1]) => {
                        Some((v[0] as u8, v[1] as u8))
                    }
                    _ => {
                        return Err(Error::invalid_argument(format!(
                            "invalid subsampling factors {l:?}: (1, 1), (2, 1), (2, 2) or (4, 1)"
                        )));
                    }
                },
            };
            // contiguous RGB is converted to YCbCr; YCbCr input (photometric ycbcr) is encoded
            // as it is, without a colour transform (tifffile's colorspace=YCBCR)
            jpeg_ycbcr = matches!(photometric, 2 | 6) && seg_spp == 3;
            match outcolorspace(&o)? {
                None | Some(6) if jpeg_ycbcr => {}
                None => {}
                Some(c) if jpeg_ycbcr => {
                    return Err(Error::invalid_argument(format!(
                        "JPEG outcolorspace {c} is not supported: only ycbcr (6, tifffile's \
                         default); jpeg-encoder always writes a JFIF (YCbCr) stream with \
                         luma/chroma quantization tables and cannot store untransformed RGB"
                    )));
                }
                Some(_) => {
                    return Err(Error::invalid_argument(
                        "JPEG outcolorspace applies to contiguous RGB or YCbCr data only",
                    ));
                }
            }
            // subsampling applies to contiguous RGB only (tifffile ignores it otherwise)
            let ss = if jpeg_ycbcr {
                ss.unwrap_or((2, 2))
            } else {
                (1, 1)
            };
            let ms = ss.0.max(ss.1) as usize * 8;
            if jpeg_ycbcr {
                if let Some((_, tl, tw)) = tile {
                    if tl % ms != 0 || tw % ms != 0 {
                        return Err(Error::invalid_argument(format!(
                            "tile shape not a multiple of {ms} (JPEG subsampling {ss:?})"
                        )));
                    }
                }
                if rps < rows_total && rps % ms != 0 {
                    rps = (rps.div_ceil(ms) * ms).min(rows_total);
                }
            }
            jpeg_params = JpegParams {
                quality: q as u8,
                subsampling: ss,
                ycbcr_input: photometric == 6,
            };
        } else if o.contains("subsampling") {
            return Err(Error::invalid_argument(
                "subsampling applies to JPEG compression only",
            ));
        } else if outcolorspace(&o)?.is_some() {
            return Err(Error::invalid_argument(
                "compressionargs `outcolorspace` applies to JPEG compression only",
            ));
        }
        // contiguous / truncate
        let contiguous = flag("contiguous");
        let truncate = flag("truncate");
        let data_bytes = (npages * planes * rows_total * row_bytes) as u64;
        let packed = dtype == DType::Bool || bps as usize != dtype.size() * 8;
        // tifffile's "contiguous" (memory-mappable) data: uncompressed, not packed, not tiled
        // unless one tile holds the whole page
        let mappable = comp == 1
            && !packed
            && tile.is_none_or(|(td, tl, tw)| {
                tl == height && tw == width && (!volumetric || td == depth)
            });
        // `segments`: the data of this (shape/dtype) write come from a list of pre-encoded
        // strips/tiles or of page/tile arrays (tifffile's `data` iterator)
        let seg_list = o.get_list("segments");
        if seg_list.is_some() {
            if !empty {
                return Err(Error::invalid_argument(
                    "`segments` need an image without elements and the `shape` and `dtype` \
                     options (the series' shape and dtype)",
                ));
            }
            if truncate || zero_size {
                return Err(Error::invalid_argument(
                    "`segments` cannot be used with `truncate` or zero-size data",
                ));
            }
        }
        let empty_fill = empty && seg_list.is_none();
        if empty_fill && !mappable {
            return Err(Error::invalid_argument(
                "cannot write an empty (shape/dtype only) series that is compressed, packed, \
                 bilevel or tiled (tifffile: cannot write non-contiguous empty file)",
            ));
        }
        let f = self.format(auto_bigtiff(data_bytes, comp == 1, ij, flag("truncate")))?;
        let swap = f.big_endian != cfg!(target_endian = "big");
        let align = o.get_int("align").unwrap_or(16).max(1) as u64;

        // the pixel bytes in native order, C order
        // the pixel bytes in native order, C order (borrowed when the array is contiguous)
        let raw = view_bytes(&image);
        let page_in = raw.len() / npages.max(1);
        if jpeg12 {
            // 12-bit JPEG holds 0..=4095: a larger value is an error, never clipped (checked
            // before anything is written)
            if let Some(v) = raw
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]))
                .find(|&v| v > 4095)
            {
                return Err(Error::invalid_argument(format!(
                    "12-bit JPEG (bitspersample=12) holds values 0..4095, the data have {v}"
                )));
            }
        }

        // continue a contiguous series?
        let continuing = contiguous
            && self.contig.as_ref().is_some_and(|c| {
                c.page_shape == page_shape && c.dtype == dtype && c.end == self.pos
            });

        // descriptions and metadata
        let metadata_map = match o.get("metadata") {
            Some(Value::Map(m)) => Some(m.clone()),
            _ => None,
        };
        let axes_opt = o.get_str("axes").map(str::to_owned).or_else(|| {
            metadata_map
                .as_ref()
                .and_then(|m| m.get("axes"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if let Some(a) = &axes_opt {
            if a.len() != shape.len() {
                return Err(Error::invalid_argument(format!(
                    "axes `{a}` do not match the data's {} dimensions",
                    shape.len()
                )));
            }
        }
        let mut first_tags_extra: Vec<OutTag> = Vec::new();
        let mut desc_entry_index: Option<usize> = None;
        let mut shaped_json: Option<serde_json::Map<String, serde_json::Value>> = None;
        if let Some(d) = o.get_str("description") {
            if !d.is_ascii() {
                return Err(Error::invalid_argument("description must be 7-bit ASCII"));
            }
            first_tags_extra.push(self.tag_ascii(270, d));
        }
        match self.flavour {
            Flavour::Shaped if !continuing && !matches!(o.get("metadata"), Some(Value::Str(_))) => {
                let mut j = serde_json::Map::new();
                j.insert(
                    "shape".into(),
                    serde_json::Value::from(described_shape.clone()),
                );
                if truncate {
                    j.insert("truncated".into(), true.into());
                }
                if let Some(m) = &metadata_map {
                    for (k, v) in m {
                        j.insert(k.clone(), value_to_json(v));
                    }
                } else if let Some(a) = &axes_opt {
                    j.insert("axes".into(), a.clone().into());
                }
                desc_entry_index = Some(first_tags_extra.len());
                first_tags_extra
                    .push(self.tag_ascii(270, &serde_json::Value::Object(j.clone()).to_string()));
                shaped_json = Some(j);
            }
            Flavour::ImageJ => {
                if self.nseries > 0 {
                    return Err(Error::invalid_argument(
                        "an ImageJ hyperstack holds one series: write it in one call",
                    ));
                }
                let (desc, ijtags) = self.imagej_desc(
                    &f,
                    &shape,
                    photometric == 2,
                    axes_opt.as_deref(),
                    metadata_map.as_ref(),
                )?;
                first_tags_extra.push(self.tag_ascii(270, &desc));
                first_tags_extra.extend(ijtags);
            }
            Flavour::Ome => {
                let ome_axes = ome_axes(
                    &shape,
                    axes_opt.as_deref(),
                    photometric == 2 || planar.is_some(),
                    planar,
                    volumetric,
                )?;
                let img = self.ome_image(&shape, &ome_axes, spp, dtype, metadata_map.as_ref())?;
                self.ome.push(img);
                if self.ome_desc.is_none() && self.npages == 0 {
                    desc_entry_index = Some(first_tags_extra.len());
                    first_tags_extra.push(self.tag_ascii(270, "OME-XML placeholder"));
                }
            }
            _ => {}
        }

        // common tags
        let dt_off = if f.bigtiff { 16 } else { 4 };
        let mut base = vec![
            self.tag_u(&f, 256, 4, &[width as u64]),
            self.tag_u(&f, 257, 4, &[height as u64]),
            self.tag_u(&f, 258, 3, &vec![bps as u64; spp]),
            self.tag_u(&f, 259, 3, &[comp as u64]),
            self.tag_u(
                &f,
                262,
                3,
                &[if jpeg_ycbcr { 6 } else { photometric as u64 }],
            ),
            self.tag_u(&f, 277, 3, &[spp as u64]),
        ];
        if let Some(sub) = o.get_int("subfiletype") {
            base.push(self.tag_u(&f, 254, 4, &[sub as u64]));
        } else if self.subifds.is_some() {
            base.push(self.tag_u(&f, 254, 4, &[1]));
        }
        if spp > 1 {
            base.push(self.tag_u(&f, 284, 3, &[planar.unwrap_or(1) as u64]));
        }
        if sf != 1 {
            base.push(self.tag_u(&f, 339, 3, &vec![sf as u64; spp]));
        }
        if predictor > 1 {
            base.push(self.tag_u(&f, 317, 3, &[predictor as u64]));
        }
        let extra_count = match photometric {
            2 | 6 => spp.saturating_sub(3),
            5 => spp.saturating_sub(4),
            _ => spp.saturating_sub(1),
        };
        if extra_count > 0 {
            let mut ex: Vec<u64> = match o.get_list("extrasamples") {
                Some(l) => l
                    .iter()
                    .map(|v| match v {
                        Value::Int(i) => Ok(*i as u64),
                        Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                            "unspecified" => Ok(0),
                            "assocalpha" => Ok(1),
                            "unassalpha" => Ok(2),
                            o => Err(Error::invalid_argument(format!(
                                "unknown extrasample `{o}`"
                            ))),
                        },
                        _ => Err(Error::invalid_argument(
                            "extrasamples must be names or numbers",
                        )),
                    })
                    .collect::<Result<_>>()?,
                // tifffile's default: RGB + one extra sample is unassociated alpha (what Pillow
                // and viewers take as RGBA), anything else unspecified
                None if photometric == 2 && extra_count == 1 => vec![2],
                None => vec![0],
            };
            if ex.len() > extra_count {
                return Err(Error::invalid_argument(format!(
                    "{} extrasamples given for {extra_count} extra samples",
                    ex.len()
                )));
            }
            ex.resize(extra_count, *ex.last().unwrap_or(&0));
            base.push(self.tag_u(&f, 338, 3, &ex));
        } else if o.get_list("extrasamples").is_some_and(|l| !l.is_empty()) {
            return Err(Error::invalid_argument(
                "extrasamples given but the data have no extra samples",
            ));
        }
        // YCbCrSubSampling and ReferenceBlackWhite (required for YCbCr) like tifffile: the JPEG
        // subsampling for JPEG-compressed contiguous RGB/YCbCr, else (1, 1) for YCbCr data
        let ycbcr_tags = if jpeg_ycbcr {
            Some(jpeg_params.subsampling)
        } else if photometric == 6 {
            Some((1, 1))
        } else {
            None
        };
        let extratag_532 = o.get_list("extratags").is_some_and(|l| {
            l.iter()
                .any(|t| t.as_list().and_then(|t| t.first()).and_then(Value::as_int) == Some(532))
        });
        if let Some((h, v)) = ycbcr_tags {
            base.push(self.tag_u(&f, 530, 3, &[h as u64, v as u64]));
        }
        if ycbcr_tags.is_some() && !extratag_532 {
            let bytes: Vec<u8> = [0u32, 1, 255, 1, 128, 1, 255, 1, 128, 1, 255, 1]
                .iter()
                .flat_map(|&x| self.u32b(&f, x))
                .collect();
            base.push(OutTag {
                code: 532,
                dtype: 5,
                count: 6,
                bytes,
            });
        }
        if let Some(jt) = o.get("jpegtables") {
            let jt = jt
                .as_bytes()
                .ok_or_else(|| Error::invalid_argument("jpegtables must be bytes"))?;
            base.push(OutTag {
                code: 347,
                dtype: 7,
                count: jt.len() as u64,
                bytes: jt.to_vec(),
            });
        }
        if let Some(cm) = &colormap {
            let v: Vec<u64> = cm.iter().map(|&x| x as u64).collect();
            base.push(self.tag_u(&f, 320, 3, &v));
        }
        if volumetric {
            base.push(self.tag_u(&f, 32997, 4, &[depth as u64]));
        }
        if let Some((td, tl, tw)) = tile {
            base.push(self.tag_u(&f, 322, 4, &[tw as u64]));
            base.push(self.tag_u(&f, 323, 4, &[tl as u64]));
            if volumetric {
                base.push(self.tag_u(&f, 32998, 4, &[td as u64]));
            }
        } else {
            base.push(self.tag_u(&f, 278, 4, &[rps as u64]));
        }
        if let Some(icc) = o.get("iccprofile").and_then(Value::as_bytes) {
            base.push(OutTag {
                code: 34675,
                dtype: 7,
                count: icc.len() as u64,
                bytes: icc.to_vec(),
            });
        }
        // resolution
        let res = match o.get_list("resolution") {
            Some(l) => {
                let v: Vec<f64> = l.iter().map(|x| x.as_float().unwrap_or(0.0)).collect();
                match v.as_slice() {
                    [x, y] => Some((*x, *y)),
                    [x] => Some((*x, *x)),
                    _ => return Err(Error::invalid_argument("resolution must be (x, y)")),
                }
            }
            None => None,
        };
        let unit = match get_str_ci(&o, "resolutionunit").as_deref() {
            None => {
                if res.is_some() && !ij {
                    2
                } else {
                    1
                }
            }
            Some("none" | "1") => 1,
            Some("inch" | "2") => 2,
            Some("centimeter" | "cm" | "3") => 3,
            Some("millimeter" | "mm" | "4") => 4,
            Some("micrometer" | "um" | "5") => 5,
            Some(u) => {
                return Err(Error::invalid_argument(format!(
                    "unknown resolutionunit `{u}`"
                )));
            }
        };
        let (rx, ry) = res.unwrap_or((1.0, 1.0));
        base.push(self.tag_rational(&f, 282, rx));
        base.push(self.tag_rational(&f, 283, ry));
        base.push(self.tag_u(&f, 296, 3, &[unit]));
        // first-page-only tags
        let software = match o.get("software") {
            None => Some("imageio-rs".to_owned()),
            Some(Value::Bool(false)) => None,
            Some(Value::Str(s)) => Some(s.clone()),
            Some(Value::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            Some(v) => {
                return Err(Error::invalid_argument(format!(
                    "software must be text or false, not {v:?}"
                )));
            }
        };
        if let Some(s) = &software {
            first_tags_extra.push(self.tag_ascii(305, s));
        }
        match o.get("datetime") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => first_tags_extra.push(self.tag_ascii(306, &now_datetime())),
            Some(Value::Str(s)) => {
                if crate::meta::parse_datetime(s).is_none() {
                    return Err(Error::invalid_argument(format!(
                        "datetime `{s}` is not in \"%Y:%m:%d %H:%M:%S\" format"
                    )));
                }
                first_tags_extra.push(self.tag_ascii(306, s));
            }
            Some(v) => {
                return Err(Error::invalid_argument(format!(
                    "datetime must be text or a bool, not {v:?}"
                )));
            }
        }
        let mut every_page_extra = Vec::new();
        if let Some(l) = o.get_list("extratags") {
            for t in l {
                let (tag, once) = self.extratag(&f, t)?;
                if once {
                    first_tags_extra.push(tag)
                } else {
                    every_page_extra.push(tag)
                }
            }
        }
        let _ = dt_off;

        // subifds of this series
        let is_sublevel = self.subifds.is_some();
        // every main series written with `subifds=n` is followed by its n levels
        let nsub = if is_sublevel {
            0
        } else {
            o.get_int("subifds").unwrap_or(0).max(0) as usize
        };
        if is_sublevel {
            let s = self.subifds.as_ref().map(|s| s.slots.len()).unwrap_or(0);
            if s != npages {
                return Err(Error::invalid_argument(format!(
                    "a SubIFD level must have as many pages ({s}) as its parent series, not {npages}"
                )));
            }
        }

        let data_start = self.pos;
        let mut new_slots = Vec::new();
        let mut level_offsets = Vec::new();
        let mut first_offset: Option<(u64, u64)> = None;
        let pages_to_write = if truncate { 1 } else { npages };
        // all data first, pages back to back (tifffile's layout: uncompressed series stay
        // contiguous, which tifffile relies on), then the IFDs
        let mut page_segs: Vec<(Vec<u64>, Vec<u64>)> = Vec::with_capacity(npages);
        if empty_fill {
            // tifffile's `write(None, shape=, dtype=)`: the pages exist, their (uncompressed,
            // contiguous) data are zeros, left as a hole in the file where the sink allows it
            let a = if continuing { 1 } else { align };
            let start = self.append_zeros(data_bytes, a)?;
            let seg_bytes: Vec<u64> = match tile {
                Some(_) => vec![(rows_total * row_bytes) as u64; planes],
                None => (0..planes)
                    .flat_map(|_| (0..rows_total).step_by(rps))
                    .map(|r0| ((rps.min(rows_total - r0)) * row_bytes) as u64)
                    .collect(),
            };
            let mut at = start;
            for _ in 0..npages {
                let mut offs = Vec::with_capacity(seg_bytes.len());
                for &n in &seg_bytes {
                    offs.push(at);
                    at += n;
                }
                page_segs.push((offs, seg_bytes.clone()));
            }
            first_offset = Some((start, 0));
        }
        let enc = Enc {
            dtype,
            width,
            rows_total,
            height,
            depth,
            planes,
            seg_spp,
            bps,
            rps,
            tile,
            comp,
            lvl,
            predictor,
            swap,
            jpeg: jpeg_params,
            volumetric,
        };
        let jobs = enc.jobs();
        let source = match seg_list {
            None => Source::Data,
            Some(l) => Source::parse(l, &enc, &jobs, npages, &page_shape, dtype)?,
        };
        // compressed segments are made in parallel, `buffersize` input bytes per batch, and
        // written as each batch completes (bounded memory for large series)
        let buffersize = match o.get_int("buffersize") {
            Some(b) if b > 0 => b as usize,
            Some(b) => {
                return Err(Error::invalid_argument(format!(
                    "buffersize must be positive, not {b}"
                )));
            }
            None => DEFAULT_BUFFERSIZE,
        };
        let parallel = comp != 1 && jobs.len() > 1;
        for pi in (0..npages).filter(|_| !empty_fill) {
            let (page_view, page_bytes);
            let page: &[u8] = match &source {
                Source::Pages(list) => {
                    page_view = list[pi].view();
                    page_bytes = view_bytes(&page_view);
                    &page_bytes
                }
                _ => &raw[pi * page_in..(pi + 1) * page_in],
            };
            let nj = jobs.len();
            let make = |k: usize| -> Result<std::borrow::Cow<'_, [u8]>> {
                match &source {
                    Source::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b[pi * nj + k])),
                    Source::Tiles(t) => enc.encode_tile_array(t[pi * nj + k], pi * nj + k),
                    _ => enc.encode(page, &jobs[k]),
                }
            };
            let mut offs = Vec::with_capacity(jobs.len().max(1));
            let mut counts = Vec::with_capacity(jobs.len().max(1));
            if jobs.is_empty() {
                // a zero-size page: one empty strip (like tifffile)
                offs.push(self.append(&[], align)?);
                counts.push(0);
            }
            let batch_list = if parallel {
                batches(&enc, &jobs, buffersize)
            } else {
                std::iter::once(0..jobs.len()).collect()
            };
            for batch in batch_list {
                let segs: Vec<std::borrow::Cow<'_, [u8]>> = if parallel && batch.len() > 1 {
                    self.run(|| batch.into_par_iter().map(make).collect::<Result<_>>())?
                } else {
                    batch.map(make).collect::<Result<_>>()?
                };
                for s in &segs {
                    let k = offs.len();
                    let a = if k == 0 && pi == 0 && !continuing {
                        align
                    } else if k == 0 && comp != 1 {
                        2
                    } else {
                        1
                    };
                    offs.push(self.append(s, a)?);
                    counts.push(s.len() as u64);
                }
            }
            if pi == 0 {
                first_offset = Some((offs[0], 0));
            }
            page_segs.push((offs, counts));
        }
        let page_counts: Vec<Vec<u64>> = page_segs.iter().map(|(_, c)| c.clone()).collect();
        for (pi, (offs, counts)) in page_segs.into_iter().enumerate() {
            if truncate && pi > 0 {
                continue;
            }
            if continuing {
                if let Some(c) = self.contig.as_mut() {
                    c.count += 1;
                }
                // contiguous pages are still written as IFDs (like tifffile)
            }
            let _ = pages_to_write;
            let mut tags: Vec<OutTag> = base
                .iter()
                .map(|t| OutTag {
                    code: t.code,
                    dtype: t.dtype,
                    count: t.count,
                    bytes: t.bytes.clone(),
                })
                .collect();
            let (ot, ct) = if tile.is_some() {
                (324, 325)
            } else {
                (273, 279)
            };
            let wide = f.bigtiff;
            let offs_w = if truncate {
                vec![offs[0]]
            } else {
                offs.clone()
            };
            let counts_w = if truncate {
                vec![counts[0]]
            } else {
                counts.clone()
            };
            tags.push(self.tag_u(&f, ot, if wide { 16 } else { 4 }, &offs_w));
            tags.push(self.tag_u(&f, ct, if wide { 16 } else { 4 }, &counts_w));
            for t in &every_page_extra {
                tags.push(OutTag {
                    code: t.code,
                    dtype: t.dtype,
                    count: t.count,
                    bytes: t.bytes.clone(),
                });
            }
            let mut sub_idx = None;
            if nsub > 0 {
                sub_idx = Some(tags.len());
                tags.push(self.tag_u(&f, 330, if wide { 18 } else { 13 }, &vec![0; nsub]));
            }
            let mut desc_idx = None;
            if pi == 0 && !continuing {
                let n0 = tags.len();
                for t in &first_tags_extra {
                    tags.push(OutTag {
                        code: t.code,
                        dtype: t.dtype,
                        count: t.count,
                        bytes: t.bytes.clone(),
                    });
                }
                desc_idx = desc_entry_index.map(|i| n0 + i);
            }
            let pos = self.write_ifd(&f, tags, !is_sublevel)?;
            if let Some(i) = sub_idx {
                new_slots.push(pos.value_pos[i]);
            }
            if let Some(i) = desc_idx {
                if self.flavour == Flavour::Ome {
                    self.ome_desc = Some(pos.entry_pos[i]);
                } else {
                    self.desc_patch = Some(DescPatch {
                        entry_pos: pos.entry_pos[i],
                        json: shaped_json.clone(),
                    });
                }
            }
            if is_sublevel {
                level_offsets.push(pos.offset);
            } else {
                self.npages += 1;
            }
            let _ = pos.next_pos;
        }
        if truncate {
            // the first page's strip covers the whole series (tifffile does the same)
        }
        // patch parent SubIFDs
        if let Some(s) = self.subifds.as_mut() {
            let lv = s.level;
            let slots = s.slots.clone();
            let osz = if f.bigtiff { 8 } else { 4 };
            for (slot, off) in slots.iter().zip(&level_offsets) {
                let b = self.offset_bytes(&f, *off);
                self.write_at(slot + lv as u64 * osz, &b)?;
            }
            let s = self.subifds.as_mut().unwrap();
            s.level += 1;
            s.levels_left -= 1;
            if s.levels_left == 0 {
                self.subifds = None;
            }
        } else {
            self.nseries += usize::from(!continuing);
        }
        if nsub > 0 {
            self.subifds = Some(SubifdSlots {
                slots: new_slots,
                levels_left: nsub,
                level: 0,
            });
        }
        // contiguous bookkeeping
        if continuing {
            // the next write continues the series only when nothing was written in between
            let end = self.pos;
            let c = self.contig.as_mut().unwrap();
            c.end = end;
            let c = self.contig.as_ref().unwrap();
            let mut full = vec![c.count];
            full.extend_from_slice(&c.page_shape);
            if let Some(p) = self.desc_patch.as_mut() {
                if let Some(j) = p.json.as_mut() {
                    j.insert("shape".into(), serde_json::Value::from(full));
                }
            }
        } else if contiguous && comp == 1 && tile.is_none() {
            self.contig = Some(Contig {
                page_shape: shape[ndim - sdims..].to_vec(),
                dtype,
                count: npages,
                end: self.pos,
            });
            if npages != 1 {
                // the series shape becomes (pages, *page_shape) once more pages are appended
                if let Some(c) = self.contig.as_mut() {
                    c.page_shape = shape[ndim - sdims..].to_vec();
                }
            }
        } else {
            self.contig = None;
        }
        // returnoffset, as tifffile defines it: a continued contiguous series reports this
        // write's data; otherwise memory-mappable data report the series' data offset and the
        // byte count of one page (tifffile's `sum(databytecounts)`); anything else: nothing
        let page0_bytes: u64 = page_counts.first().map_or(0, |c| c.iter().sum());
        let write_bytes: u64 = page_counts.iter().flatten().sum();
        self.last_offset = match first_offset {
            Some((off, _)) if continuing => Some((off, write_bytes)),
            Some((off, _)) if mappable => Some((off, page0_bytes)),
            _ => None,
        };
        let _ = data_start;
        let mut report = Metadata::new();
        if o.get_bool("returnoffset") == Some(true) {
            if let Some((off, n)) = self.last_offset {
                report.insert("offset".into(), Value::Int(off as i64));
                report.insert("bytecount".into(), Value::Int(n as i64));
            }
        }
        Ok(report)
    }

    /// Appends `n` zero bytes (aligned): a hole in a file, zeros in memory.
    fn append_zeros(&mut self, n: u64, align: u64) -> Result<u64> {
        let pad = (align - self.pos % align) % align;
        let start = self.pos + pad;
        let end = start
            .checked_add(n)
            .ok_or_else(|| Error::invalid_argument("the empty series is too large"))?;
        if !self.fmt.is_some_and(|f| f.bigtiff) && end > u32::MAX as u64 {
            return Err(Error::encoding(
                "the file would pass 4 GB: write it with bigtiff=true",
            ));
        }
        self.out.set_len(end)?;
        self.pos = end;
        Ok(start)
    }

    fn extratag(&self, f: &Format, t: &Value) -> Result<(OutTag, bool)> {
        let l = t.as_list().ok_or_else(|| {
            Error::invalid_argument("each extratag must be [code, dtype, count, value, writeonce]")
        })?;
        if l.len() < 4 {
            return Err(Error::invalid_argument(
                "each extratag must be [code, dtype, count, value, writeonce]",
            ));
        }
        let code = l[0]
            .as_int()
            .filter(|c| (1..65536).contains(c))
            .ok_or_else(|| Error::invalid_argument("extratag code must be 1..65535"))?
            as u16;
        if matches!(
            code,
            273 | 279 | 324 | 325 | 330 | 256 | 257 | 258 | 259 | 277
        ) {
            return Err(Error::invalid_argument(format!(
                "extratag {code} would conflict with the image structure"
            )));
        }
        let dtype: u16 = match &l[1] {
            Value::Int(i) => *i as u16,
            Value::Str(s) => match s.as_str() {
                "B" | "BYTE" => 1,
                "s" | "ASCII" => 2,
                "H" | "SHORT" => 3,
                "I" | "LONG" => 4,
                "2I" | "RATIONAL" => 5,
                "b" | "SBYTE" => 6,
                "UNDEFINED" => 7,
                "h" | "SSHORT" => 8,
                "i" | "SLONG" => 9,
                "f" | "FLOAT" => 11,
                "d" | "DOUBLE" => 12,
                "Q" | "LONG8" => 16,
                "q" | "SLONG8" => 17,
                s => {
                    return Err(Error::invalid_argument(format!(
                        "unknown extratag dtype `{s}`"
                    )));
                }
            },
            _ => {
                return Err(Error::invalid_argument(
                    "extratag dtype must be a TIFF type number or name",
                ));
            }
        };
        if matches!(dtype, 13 | 18) {
            return Err(Error::invalid_argument(
                "extratags cannot write IFD type tags",
            ));
        }
        let once = l.get(4).and_then(Value::as_bool).unwrap_or(false);
        let vals: Vec<Value> = match &l[3] {
            Value::List(v) => v.clone(),
            v => vec![v.clone()],
        };
        let mut bytes = Vec::new();
        let count;
        match dtype {
            2 => {
                let s = vals
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid_argument("ASCII extratag needs text"))?;
                bytes.extend_from_slice(s.as_bytes());
                bytes.push(0);
                count = bytes.len() as u64;
            }
            1 | 7 if matches!(vals.first(), Some(Value::Bytes(_))) => {
                bytes = vals[0].as_bytes().unwrap_or_default().to_vec();
                count = bytes.len() as u64;
            }
            _ => {
                for v in &vals {
                    match dtype {
                        1 | 6 | 7 => bytes.push(v.as_int().unwrap_or(0) as u8),
                        3 | 8 => {
                            bytes.extend_from_slice(&self.u16b(f, v.as_int().unwrap_or(0) as u16))
                        }
                        4 | 9 => {
                            bytes.extend_from_slice(&self.u32b(f, v.as_int().unwrap_or(0) as u32))
                        }
                        5 | 10 => {
                            bytes.extend_from_slice(&self.u32b(f, v.as_int().unwrap_or(0) as u32))
                        }
                        11 => bytes.extend_from_slice(
                            &self.u32b(f, (v.as_float().unwrap_or(0.0) as f32).to_bits()),
                        ),
                        12 => bytes.extend_from_slice(
                            &self.u64b(f, v.as_float().unwrap_or(0.0).to_bits()),
                        ),
                        16 | 17 => {
                            bytes.extend_from_slice(&self.u64b(f, v.as_int().unwrap_or(0) as u64))
                        }
                        d => {
                            return Err(Error::invalid_argument(format!(
                                "extratag dtype {d} is not supported"
                            )));
                        }
                    }
                }
                count = if matches!(dtype, 5 | 10) {
                    vals.len() as u64 / 2
                } else {
                    vals.len() as u64
                };
            }
        }
        Ok((
            OutTag {
                code,
                dtype,
                count,
                bytes,
            },
            once,
        ))
    }

    fn imagej_desc(
        &self,
        f: &Format,
        shape: &[usize],
        rgb: bool,
        axes: Option<&str>,
        meta: Option<&imageio_core::Metadata>,
    ) -> Result<(String, Vec<OutTag>)> {
        // normalise to TZCYXS
        let nd = shape.len();
        let mut tzc = [1usize; 3];
        let lead = nd - if rgb { 3 } else { 2 };
        match axes {
            Some(a) => {
                let a = a.to_ascii_uppercase();
                let exp_tail = if rgb { "YXS" } else { "YX" };
                if !a.ends_with(exp_tail) {
                    return Err(Error::invalid_argument(format!(
                        "ImageJ axes must end with {exp_tail}, not `{a}`"
                    )));
                }
                let mut last = -1i32;
                for (i, c) in a[..lead].chars().enumerate() {
                    let k = "TZC".find(c).ok_or_else(|| {
                        Error::invalid_argument(format!(
                            "ImageJ axes may only be TZC before YX, not `{c}`"
                        ))
                    })? as i32;
                    if k <= last {
                        return Err(Error::invalid_argument(format!(
                            "ImageJ axes must be in TZCYXS order, not `{a}`"
                        )));
                    }
                    last = k;
                    tzc[k as usize] = shape[i];
                }
            }
            None => {
                if lead > 3 {
                    return Err(Error::invalid_argument(
                        "ImageJ hyperstacks have at most 6 dimensions",
                    ));
                }
                for i in 0..lead {
                    tzc[3 - lead + i] = shape[i];
                }
            }
        }
        let [t, z, c] = tzc;
        let mut lines = vec!["ImageJ=1.11a".to_owned(), format!("images={}", t * z * c)];
        let mut append = vec!["hyperstack=true".to_owned()];
        if c > 1 {
            lines.push(format!("channels={c}"));
        }
        let mode = meta
            .and_then(|m| m.get("mode"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or((!rgb).then(|| "grayscale".to_owned()));
        if let Some(m) = mode {
            append.push(format!("mode={m}"));
        }
        if z > 1 {
            lines.push(format!("slices={z}"));
        }
        if t > 1 {
            lines.push(format!("frames={t}"));
            append.push("loop=false".into());
        }
        let mut tags = Vec::new();
        if let Some(m) = meta {
            for (k, v) in m {
                let lk = k.to_ascii_lowercase();
                if matches!(
                    lk.as_str(),
                    "axes"
                        | "mode"
                        | "images"
                        | "channels"
                        | "slices"
                        | "frames"
                        | "hyperstack"
                        | "loop"
                ) || matches!(
                    k.as_str(),
                    "Labels" | "Ranges" | "LUTs" | "Info" | "Properties"
                ) {
                    continue;
                }
                let s = match v {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Float(x) => format!("{x:?}"),
                    Value::Bool(b) => {
                        if *b {
                            "true".into()
                        } else {
                            "false".into()
                        }
                    }
                    _ => continue,
                };
                append.push(format!("{lk}={s}"));
            }
            if let Some(t) = ijmetadata_tags(self, f, m)? {
                tags = t;
            }
        }
        lines.extend(append);
        lines.push(String::new());
        Ok((lines.join("\n"), tags))
    }

    fn ome_image(
        &self,
        shape: &[usize],
        axes: &str,
        spp: usize,
        dtype: DType,
        meta: Option<&imageio_core::Metadata>,
    ) -> Result<OmeImage> {
        let mut sizes = [1usize; 5];
        let mut order = String::from("XY");
        for (a, &n) in axes
            .chars()
            .collect::<Vec<_>>()
            .into_iter()
            .zip(shape)
            .rev()
        {
            match a {
                'X' => sizes[0] = n,
                'Y' => sizes[1] = n,
                'S' => {}
                'C' | 'Z' | 'T' => {
                    let k = "XYCZT".find(a).unwrap_or(0);
                    sizes[k] = n;
                    if !order.contains(a) {
                        order.push(a);
                    }
                }
                o => {
                    return Err(Error::invalid_argument(format!(
                        "OME axes may be TZCYXS, not `{o}`"
                    )));
                }
            }
        }
        for a in ['C', 'Z', 'T'] {
            if !order.contains(a) {
                order.push(a);
            }
        }
        let planes = sizes[2] * sizes[3] * sizes[4];
        sizes[2] *= spp;
        let mut physical = Vec::new();
        let mut name = String::new();
        if let Some(m) = meta {
            for (k, v) in m {
                if k.starts_with("PhysicalSize") || k == "TimeIncrement" {
                    if let Some(x) = v.as_float() {
                        physical.push((k.clone(), x));
                    }
                } else if k == "Name" {
                    name = v.as_str().unwrap_or("").to_owned();
                }
            }
        }
        if dtype == DType::Bool || dtype == DType::U64 || dtype == DType::I64 {
            return Err(Error::invalid_argument(format!(
                "OME-TIFF cannot hold {dtype} data"
            )));
        }
        Ok(OmeImage {
            name,
            order,
            sizes,
            spp,
            dtype,
            first_ifd: self.npages,
            planes,
            physical,
        })
    }

    fn ome_xml(&self) -> String {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OME xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:schemaLocation=\"http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd\" \
             Creator=\"imageio-rs\">",
        );
        let be = self.fmt.is_some_and(|f| f.big_endian);
        for (i, im) in self.ome.iter().enumerate() {
            let ty = match im.dtype {
                DType::U8 => "uint8",
                DType::U16 => "uint16",
                DType::U32 => "uint32",
                DType::I8 => "int8",
                DType::I16 => "int16",
                DType::I32 => "int32",
                DType::F32 => "float",
                _ => "double",
            };
            let name = if im.name.is_empty() {
                format!("Image{i}")
            } else {
                xml_escape(&im.name)
            };
            s.push_str(&format!("<Image ID=\"Image:{i}\" Name=\"{name}\"><Pixels ID=\"Pixels:{i}\" DimensionOrder=\"{}\" Type=\"{ty}\" SizeX=\"{}\" SizeY=\"{}\" SizeC=\"{}\" SizeZ=\"{}\" SizeT=\"{}\"",
                im.order, im.sizes[0], im.sizes[1], im.sizes[2], im.sizes[3], im.sizes[4]));
            for (k, v) in &im.physical {
                s.push_str(&format!(" {k}=\"{v}\""));
            }
            s.push_str(&format!(
                " Interleaved=\"{}\" BigEndian=\"{be}\">",
                im.spp > 1
            ));
            for c in 0..im.sizes[2] / im.spp {
                s.push_str(&format!(
                    "<Channel ID=\"Channel:{i}:{c}\" SamplesPerPixel=\"{}\"/>",
                    im.spp
                ));
            }
            s.push_str(&format!(
                "<TiffData IFD=\"{}\" PlaneCount=\"{}\"/>",
                im.first_ifd, im.planes
            ));
            s.push_str("</Pixels></Image>");
        }
        s.push_str("</OME>");
        s
    }

    /// Rewrites a description entry to point at `text` appended at the end.
    fn patch_description(&mut self, entry_pos: u64, text: &str) -> Result<()> {
        let f = self.fmt.ok_or_else(|| Error::encoding("no format"))?;
        let mut b = text.as_bytes().to_vec();
        b.push(0);
        let off = self.append(&b, 2)?;
        let osz = if f.bigtiff { 8 } else { 4 };
        let mut entry = Vec::new();
        entry.extend_from_slice(&self.offset_bytes(&f, b.len() as u64));
        entry.extend_from_slice(&self.offset_bytes(&f, off));
        debug_assert_eq!(entry.len(), 2 * osz);
        self.write_at(entry_pos + 4, &entry)
    }
}

/// How the segments (strips or tiles) of one page are made.
#[derive(Clone, Copy)]
struct Enc {
    dtype: DType,
    width: usize,
    rows_total: usize,
    height: usize,
    depth: usize,
    planes: usize,
    seg_spp: usize,
    bps: u16,
    rps: usize,
    tile: Option<(usize, usize, usize)>,
    comp: u16,
    lvl: Option<i64>,
    predictor: u16,
    swap: bool,
    jpeg: JpegParams,
    volumetric: bool,
}

/// JPEG encoding parameters of a series.
#[derive(Clone, Copy)]
struct JpegParams {
    /// 1..=100
    quality: u8,
    /// (h, v) chroma subsampling ((1, 1) for grayscale and separate planes)
    subsampling: (u8, u8),
    /// the 3 samples are YCbCr already (photometric ycbcr): no colour transform
    ycbcr_input: bool,
}

/// One segment: (plane, first row, rows or tile depth, x0, width, tile rows).
type Job = (usize, usize, usize, usize, usize, usize);

impl Enc {
    fn packed(&self) -> bool {
        self.dtype == DType::Bool || self.bps as usize != self.dtype.size() * 8
    }

    fn jobs(&self) -> Vec<Job> {
        let mut jobs = Vec::new();
        match self.tile {
            None => {
                for p in 0..self.planes {
                    for r0 in (0..self.rows_total).step_by(self.rps) {
                        let n = self.rps.min(self.rows_total - r0);
                        jobs.push((p, r0, n, 0, self.width, n));
                    }
                }
            }
            Some((td, tl, tw)) => {
                for p in 0..self.planes {
                    for z in (0..self.depth).step_by(td) {
                        for y in (0..self.height).step_by(tl) {
                            for x in (0..self.width).step_by(tw) {
                                jobs.push((p, z * self.height + y, td, x, tw, tl));
                            }
                        }
                    }
                }
            }
        }
        jobs
    }

    /// Stored (uncompressed, packed) bytes of one segment.
    fn stored_bytes(&self, j: &Job) -> usize {
        let row = (j.4 * self.seg_spp * self.bps as usize).div_ceil(8);
        match self.tile {
            None => j.2 * row,
            Some(_) => j.2 * j.5 * row,
        }
    }

    /// Encodes one tile given as an array (tifffile's iterator of tiles): shape
    /// ([depth,] length, width[, samples]) at most the tile shape, zero-padded to it.
    fn encode_tile_array(&self, a: &NdArray, k: usize) -> Result<std::borrow::Cow<'static, [u8]>> {
        let (td, tl, tw) = self.tile.unwrap_or((1, 1, 1));
        let spp = self.seg_spp;
        let mut target = vec![tl, tw, spp];
        if self.volumetric {
            target.insert(0, td);
        }
        let mut s = a.shape().to_vec();
        if s.len() + 1 == target.len() && spp == 1 {
            s.push(1);
        }
        if s.len() != target.len()
            || s.iter().zip(&target).any(|(a, b)| a > b)
            || s[s.len() - 1] != spp
        {
            return Err(Error::invalid_argument(format!(
                "`segments`: tile {k} of shape {:?} does not fit the tile shape {target:?}",
                a.shape()
            )));
        }
        if !self.volumetric {
            s.insert(0, 1);
        }
        let isz = self.dtype.size();
        let view = a.view();
        let src = view_bytes(&view);
        let (sd, sl, sw) = (s[0], s[1], s[2]);
        let mut buf = vec![0u8; td * tl * tw * spp * isz];
        let (srow, drow) = (sw * spp * isz, tw * spp * isz);
        for z in 0..sd {
            for y in 0..sl {
                buf[(z * tl + y) * drow..][..srow]
                    .copy_from_slice(&src[(z * sl + y) * srow..][..srow]);
            }
        }
        let one = Enc {
            width: tw,
            height: tl,
            depth: td,
            rows_total: td * tl,
            planes: 1,
            ..*self
        };
        Ok(std::borrow::Cow::Owned(
            one.encode(&buf, &(0, 0, td, 0, tw, tl))?.into_owned(),
        ))
    }

    /// Input bytes of one segment (for batching).
    fn job_bytes(&self, j: &Job) -> usize {
        j.2 * j.5 * j.4 * self.seg_spp * self.dtype.size()
    }

    fn encode<'p>(&self, page: &'p [u8], job: &Job) -> Result<std::borrow::Cow<'p, [u8]>> {
        use std::borrow::Cow;
        let &(p, r0, nr, x0, w, tl) = job;
        let (isz, seg_spp) = (self.dtype.size(), self.seg_spp);
        let in_row = self.width * seg_spp * isz;
        let plane_in = self.rows_total * in_row;
        let packed = self.packed();
        let plane = &page[p * plane_in..(p + 1) * plane_in];
        if self.tile.is_none()
            && self.comp == 1
            && self.predictor == 1
            && !packed
            && !(self.swap && isz > 1)
        {
            // uncompressed, native order: write straight from the caller's array
            return Ok(Cow::Borrowed(&plane[r0 * in_row..(r0 + nr) * in_row]));
        }
        let seg_row = w * seg_spp * isz;
        let mut buf: Vec<u8>;
        if self.tile.is_none() {
            buf = plane[r0 * in_row..(r0 + nr) * in_row].to_vec();
        } else {
            // nr = tile depth, tl = tile length
            buf = vec![0u8; nr * tl * seg_row];
            let z0 = r0 / self.height;
            let y0 = r0 % self.height;
            let wb = (w.min(self.width - x0)) * seg_spp * isz;
            for dz in 0..nr.min(self.depth - z0) {
                for r in 0..tl.min(self.height - y0) {
                    let src = &plane
                        [((z0 + dz) * self.height + y0 + r) * in_row + x0 * seg_spp * isz..][..wb];
                    buf[(dz * tl + r) * seg_row..][..wb].copy_from_slice(src);
                }
            }
        }
        if self.comp == 7 && self.bps == 12 {
            #[cfg(feature = "turbo")]
            {
                let rows = buf.len() / seg_row.max(1);
                let j = self.jpeg;
                return crate::turbo::encode12(&buf, w, rows, seg_spp, j.quality, j.subsampling)
                    .map(Cow::Owned);
            }
            #[cfg(not(feature = "turbo"))]
            return Err(Error::invalid_argument(codecs::NO_TURBO_12BIT));
        }
        if self.comp == 7 {
            let rows = buf.len() / seg_row.max(1);
            let j = self.jpeg;
            return codecs::jpeg_encode(
                &buf,
                w,
                rows,
                seg_spp,
                j.quality,
                j.subsampling,
                j.ycbcr_input,
            )
            .map(Cow::Owned);
        }
        if self.predictor == 2 {
            for row in buf.chunks_exact_mut(seg_row) {
                codecs::predict_horizontal(row, isz, seg_spp);
            }
        }
        if self.predictor == 3 {
            for row in buf.chunks_exact_mut(seg_row) {
                codecs::predict_float(row, isz, seg_spp);
            }
        } else if self.swap && isz > 1 {
            codecs::swap(&mut buf, isz);
        }
        if packed {
            buf = pack_rows(&buf, seg_row / isz, isz, self.bps as usize, self.swap);
        }
        if self.comp == 1 {
            Ok(Cow::Owned(buf))
        } else {
            codecs::compress(self.comp, &buf, self.lvl).map(Cow::Owned)
        }
    }
}

/// Splits `jobs` into consecutive batches (index ranges) of about `buffersize` input bytes (at
/// least one job).
fn batches(enc: &Enc, jobs: &[Job], buffersize: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut acc) = (0, 0usize);
    for (i, j) in jobs.iter().enumerate() {
        acc += enc.job_bytes(j);
        if acc >= buffersize {
            out.push(start..i + 1);
            start = i + 1;
            acc = 0;
        }
    }
    if start < jobs.len() {
        out.push(start..jobs.len());
    }
    out
}

/// Where the data of one write come from.
enum Source<'a> {
    /// the image (or zeros for an empty write)
    Data,
    /// pre-encoded strips/tiles of all pages, in file order, written verbatim
    Bytes(Vec<&'a [u8]>),
    /// one array per page
    Pages(Vec<&'a NdArray>),
    /// one array per tile of every page (tifffile's tile order), zero-padded when incomplete
    Tiles(Vec<&'a NdArray>),
}

impl<'a> Source<'a> {
    /// The `segments` option of a shape/dtype write: a list of bytes (pre-encoded segments) or
    /// of arrays (pages, or tiles when the series is tiled), checked against the series.
    fn parse(
        list: &'a [Value],
        enc: &Enc,
        jobs: &[Job],
        npages: usize,
        page_shape: &[usize],
        dtype: DType,
    ) -> Result<Source<'a>> {
        let kind = if enc.tile.is_some() {
            "tiles"
        } else {
            "strips"
        };
        if list.iter().all(|v| matches!(v, Value::Bytes(_))) && !list.is_empty() {
            let b: Vec<&[u8]> = list.iter().filter_map(Value::as_bytes).collect();
            let want = npages * jobs.len();
            if b.len() != want {
                return Err(Error::invalid_argument(format!(
                    "`segments`: {} pre-encoded segments given, the series has {want} \
                     ({npages} page(s) x {} {kind})",
                    b.len(),
                    jobs.len()
                )));
            }
            if enc.comp == 1 {
                // uncompressed segments must have exactly their size (tifffile checks the total)
                for (k, s) in b.iter().enumerate() {
                    let n = enc.stored_bytes(&jobs[k % jobs.len()]);
                    if s.len() != n {
                        return Err(Error::invalid_argument(format!(
                            "`segments`: uncompressed segment {k} has {} bytes, not {n}",
                            s.len()
                        )));
                    }
                }
            }
            return Ok(Source::Bytes(b));
        }
        let arrays: Vec<&NdArray> = list
            .iter()
            .map(|v| match v {
                Value::Array(a) => Ok(a),
                _ => Err(Error::invalid_argument(
                    "`segments` must be a list of bytes (pre-encoded strips/tiles) or a list \
                     of arrays (pages, or tiles of a tiled series)",
                )),
            })
            .collect::<Result<_>>()?;
        if let Some((k, a)) = arrays.iter().enumerate().find(|(_, a)| a.dtype() != dtype) {
            return Err(Error::invalid_argument(format!(
                "`segments`: array {k} is {}, the series is {dtype}",
                a.dtype()
            )));
        }
        if enc.tile.is_some() {
            let want = npages * jobs.len();
            if arrays.len() != want {
                return Err(Error::invalid_argument(format!(
                    "`segments`: {} tiles given, the series has {want} ({npages} page(s) x {} \
                     tiles)",
                    arrays.len(),
                    jobs.len()
                )));
            }
            return Ok(Source::Tiles(arrays));
        }
        if arrays.len() != npages {
            return Err(Error::invalid_argument(format!(
                "`segments`: {} page arrays given, the series has {npages} pages",
                arrays.len()
            )));
        }
        let n: usize = page_shape.iter().product();
        if let Some((k, a)) = arrays.iter().enumerate().find(|(_, a)| a.len() != n) {
            return Err(Error::invalid_argument(format!(
                "`segments`: page array {k} of shape {:?} does not hold a page of shape \
                 {page_shape:?}",
                a.shape()
            )));
        }
        Ok(Source::Pages(arrays))
    }
}

/// An array's elements in native byte order, C order.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The array's bytes in native order: borrowed (no copy) for C-contiguous arrays.
fn view_bytes<'v>(image: &'v NdView<'_>) -> std::borrow::Cow<'v, [u8]> {
    use std::borrow::Cow;
    macro_rules! borrow {
        ($($v:ident),*) => {
            match image {
                $(NdView::$v(a) => {
                    if let Some(s) = a.as_slice() {
                        return Cow::Borrowed(bytemuck::cast_slice(s));
                    }
                })*
                _ => {}
            }
        };
    }
    borrow!(U8, U16, U32, U64, I8, I16, I32, I64, F32, F64);
    if cfg!(target_endian = "big") {
        Cow::Owned(image_native(image))
    } else {
        Cow::Owned(image.to_le_bytes())
    }
}

fn image_native(image: &NdView<'_>) -> Vec<u8> {
    // big-endian hosts: convert the little-endian bytes to native order
    let mut b = image.to_le_bytes();
    codecs::swap(&mut b, image.dtype().size());
    b
}

/// OME axes of the data: given, or tifffile's default (TZC… YX, with S for samples).
fn ome_axes(
    shape: &[usize],
    axes: Option<&str>,
    samples: bool,
    planar: Option<u16>,
    _vol: bool,
) -> Result<String> {
    if let Some(a) = axes {
        return Ok(a.to_ascii_uppercase());
    }
    let nd = shape.len();
    let tail = match (samples, planar) {
        (true, Some(2)) => "SYX",
        (true, _) => "YXS",
        _ => "YX",
    };
    let lead = nd - tail.len();
    let pool = if samples { "TZ" } else { "TZC" };
    if lead > pool.len() {
        return Err(Error::invalid_argument(format!(
            "give `axes` for OME data of shape {shape:?}"
        )));
    }
    Ok(format!("{}{tail}", &pool[pool.len() - lead..]))
}

/// Packs rows of `n` samples of `isz` bytes (native) into `bits` bits each, MSB first.
fn pack_rows(buf: &[u8], n: usize, isz: usize, bits: usize, swapped: bool) -> Vec<u8> {
    let row_in = n * isz;
    let row_out = (n * bits).div_ceil(8);
    let rows = buf.len() / row_in.max(1);
    let mut out = vec![0u8; rows * row_out];
    for r in 0..rows {
        let src = &buf[r * row_in..][..row_in];
        let dst = &mut out[r * row_out..][..row_out];
        let mut bit = 0usize;
        for s in src.chunks_exact(isz) {
            let mut v: u64 = 0;
            let bytes: Vec<u8> = if swapped {
                s.iter().rev().copied().collect()
            } else {
                s.to_vec()
            };
            for (k, &b) in bytes.iter().enumerate() {
                let sh = if cfg!(target_endian = "big") {
                    (isz - 1 - k) * 8
                } else {
                    k * 8
                };
                v |= (b as u64) << sh;
            }
            let v = if bits == 1 { u64::from(v != 0) } else { v };
            for i in (0..bits).rev() {
                if (v >> i) & 1 == 1 {
                    dst[bit / 8] |= 0x80 >> (bit % 8);
                }
                bit += 1;
            }
        }
    }
    out
}

/// IJMetadata / IJMetadataByteCounts tags (Info, Labels, Ranges, LUTs, Properties).
fn ijmetadata_tags(
    w: &TiffWriter,
    f: &Format,
    m: &imageio_core::Metadata,
) -> Result<Option<Vec<OutTag>>> {
    let be = f.big_endian;
    let utf16 = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    };
    let mut entries: Vec<(&[u8; 4], Vec<Vec<u8>>)> = Vec::new();
    if let Some(Value::Str(s)) = m.get("Info") {
        entries.push((b"info", vec![utf16(s)]));
    }
    if let Some(Value::List(l)) = m.get("Labels") {
        entries.push((
            b"labl",
            l.iter().map(|v| utf16(v.as_str().unwrap_or(""))).collect(),
        ));
    }
    if let Some(Value::List(l)) = m.get("Ranges") {
        let b: Vec<u8> = l
            .iter()
            .flat_map(|v| {
                let x = v.as_float().unwrap_or(0.0);
                if be { x.to_be_bytes() } else { x.to_le_bytes() }
            })
            .collect();
        entries.push((b"rang", vec![b]));
    }
    if let Some(Value::List(l)) = m.get("LUTs") {
        let mut luts = Vec::new();
        for v in l {
            match v {
                Value::Array(a) if a.dtype() == DType::U8 && a.len() == 768 => {
                    luts.push(a.to_le_bytes())
                }
                _ => {
                    return Err(Error::invalid_argument(
                        "ImageJ LUTs must be (3, 256) uint8 arrays",
                    ));
                }
            }
        }
        entries.push((b"luts", luts));
    }
    if entries.is_empty() {
        return Ok(None);
    }
    let mut header = if be {
        b"IJIJ".to_vec()
    } else {
        b"JIJI".to_vec()
    };
    let mut counts = Vec::new();
    let mut body = Vec::new();
    for (ty, items) in &entries {
        if be {
            header.extend_from_slice(*ty);
            header.extend_from_slice(&(items.len() as u32).to_be_bytes());
        } else {
            header.extend(ty.iter().rev());
            header.extend_from_slice(&(items.len() as u32).to_le_bytes());
        }
        for it in items {
            counts.push(it.len() as u64);
            body.extend_from_slice(it);
        }
    }
    let mut all_counts = vec![header.len() as u64];
    all_counts.extend(counts);
    let mut data = header;
    data.extend(body);
    Ok(Some(vec![
        w.tag_u(f, 50838, 4, &all_counts),
        OutTag {
            code: 50839,
            dtype: 1,
            count: data.len() as u64,
            bytes: data,
        },
    ]))
}

impl Plugin for TiffWriter {
    fn read(&mut self, _: imageio_core::Index) -> Result<imageio_core::NdArray> {
        Err(Error::invalid_argument("the resource was opened to write"))
    }
    fn properties(&mut self, _: imageio_core::Index) -> Result<imageio_core::ImageProperties> {
        Err(Error::invalid_argument("the resource was opened to write"))
    }
    fn metadata(&mut self, _: imageio_core::Index, _: bool) -> Result<imageio_core::Metadata> {
        Err(Error::invalid_argument("the resource was opened to write"))
    }
    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        self.write_with_options(image, is_batch, &Options::new())
            .map(|_| ())
    }

    fn write_with_options(
        &mut self,
        image: NdView<'_>,
        is_batch: Option<bool>,
        options: &Options,
    ) -> Result<Metadata> {
        if self.closed {
            return Err(Error::invalid_argument("the writer is closed"));
        }
        if let Some(k) = FILE_OPTIONS.iter().find(|k| options.contains(k)) {
            return Err(Error::invalid_argument(format!(
                "`{k}` applies to the whole file: give it when the file is opened, not per write"
            )));
        }
        // a per-write `maxworkers` uses its own pool for this write
        let saved_pool = match options.get_int("maxworkers") {
            Some(n) if n < 0 => {
                return Err(Error::invalid_argument("maxworkers must not be negative"));
            }
            Some(n) => Some(std::mem::replace(
                &mut self.pool,
                (n > 0)
                    .then(|| {
                        rayon::ThreadPoolBuilder::new()
                            .num_threads(n as usize)
                            .build()
                            .ok()
                    })
                    .flatten(),
            )),
            None => None,
        };
        let res = if is_batch == Some(true) {
            if image.ndim() < 1 {
                Err(Error::invalid_argument("a batch needs at least one axis"))
            } else {
                // a batch is one series per item; the report is the last item's
                let mut last = Ok(Metadata::new());
                for i in 0..image.shape()[0] {
                    last = self.write_series(image.index_axis0(i), options);
                    if last.is_err() {
                        break;
                    }
                }
                last
            }
        } else {
            self.write_series(image, options)
        };
        if let Some(p) = saved_pool {
            self.pool = p;
        }
        res
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        if self.fmt.is_none() {
            // nothing written: an empty file is not a TIFF; write a header at least
            self.format(false)?;
        }
        if let Some(s) = &self.subifds {
            return Err(Error::invalid_argument(format!(
                "{} SubIFD level(s) announced by `subifds` were not written",
                s.levels_left
            )));
        }
        if let Some(p) = self.desc_patch.take() {
            if let Some(j) = p.json {
                let text = serde_json::Value::Object(j).to_string();
                self.patch_description(p.entry_pos, &text)?;
            }
        }
        if let Some(pos) = self.ome_desc {
            let xml = self.ome_xml();
            self.patch_description(pos, &xml)?;
        }
        self.out.flush()?;
        let _ = self
            .out
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.out.read(&mut [0u8; 1]));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::auto_bigtiff;

    #[test]
    fn automatic_bigtiff_threshold_is_tifffiles() {
        let limit = (1u64 << 32) - (1 << 25);
        assert!(!auto_bigtiff(limit, true, false, false));
        assert!(auto_bigtiff(limit + 1, true, false, false));
        assert!(auto_bigtiff(5 << 30, true, false, false));
        // never for compressed, ImageJ or truncated data (tifffile's imwrite)
        assert!(!auto_bigtiff(limit + 1, false, false, false));
        assert!(!auto_bigtiff(limit + 1, true, true, false));
        assert!(!auto_bigtiff(limit + 1, true, false, true));
        assert!(!auto_bigtiff(0, true, false, false));
    }
}
