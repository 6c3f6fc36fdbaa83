//! The reading plugin.

use imageio_core::{
    DType, Error, ImageProperties, Index, Limits, Metadata, NdArray, Plugin, Request, Result, Value,
};

use crate::file::{Series, TiffFile};
use crate::meta;
use crate::page::tag;

pub(crate) struct TiffReader<'a> {
    file: TiffFile<'a>,
    limits: Limits,
    page: Option<usize>,
    key: Option<usize>,
    series: Option<usize>,
    level: usize,
    apply_colormap: bool,
    discard_watermark: bool,
    /// `maxworkers`: a private pool of that many threads (else rayon's global pool).
    pool: Option<rayon::ThreadPool>,
}

/// What one read resolves to.
enum Target<'s> {
    Series(&'s Series),
    Page(usize),
}

fn opt_usize(req: &Request<'_>, key: &str) -> Result<Option<usize>> {
    match req.options.get_int(key) {
        None => Ok(None),
        Some(v) if v >= 0 => Ok(Some(v as usize)),
        Some(v) => Err(Error::invalid_argument(format!(
            "option `{key}` must not be negative, got {v}"
        ))),
    }
}

pub(crate) fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    let src = req.source()?;
    let first = req.first_bytes();
    if !crate::ifd::sniff(first) {
        return Err(Error::unsupported("not a TIFF file (no II*/MM* header)"));
    }
    let file = TiffFile::open(src, first, &req.limits)?;
    let page = opt_usize(&req, "page")?;
    let key = opt_usize(&req, "key")?;
    if page.is_some() && key.is_some() {
        return Err(Error::invalid_argument(
            "can't use `page` and `key` at the same time",
        ));
    }
    if let Some(w) = req.options.get_int("maxworkers") {
        if w < 0 {
            return Err(Error::invalid_argument("`maxworkers` must not be negative"));
        }
    }
    Ok(Box::new(TiffReader {
        file,
        limits: req.limits,
        page,
        key,
        series: opt_usize(&req, "series")?,
        level: opt_usize(&req, "level")?.unwrap_or(0),
        apply_colormap: req.options.get_bool("apply_colormap").unwrap_or(false),
        discard_watermark: req.options.get_bool("discard_watermark").unwrap_or(false),
        pool: match req.options.get_int("maxworkers") {
            Some(n) if n > 0 => rayon::ThreadPoolBuilder::new()
                .num_threads(n as usize)
                .build()
                .ok(),
            _ => None,
        },
    }))
}

impl<'a> TiffReader<'a> {
    fn series_index(&self, index: Index) -> Result<Option<usize>> {
        match (index, self.series) {
            (Index::Default, None) => Ok(Some(0)),
            (Index::Default, Some(s)) => Ok(Some(s)),
            (_, Some(_)) => Err(Error::invalid_argument(
                "can't use `series` and `index` at the same time",
            )),
            (Index::At(k), None) => Ok(Some(k)),
            (Index::All, None) => Ok(None),
        }
    }

    fn get_series(&self, k: usize) -> Result<&Series> {
        let s = self
            .file
            .series
            .get(k)
            .ok_or_else(|| Error::index_out_of_range(k, Some(self.file.series.len())))?;
        if self.level == 0 {
            return Ok(s);
        }
        s.levels.get(self.level - 1).ok_or_else(|| {
            Error::invalid_argument(format!(
                "level {} does not exist (the series has {} levels)",
                self.level,
                s.levels.len() + 1
            ))
        })
    }

    /// Resolves `index` and the page/key options; `None` means "stack all series".
    fn target(&self, index: Index) -> Result<Option<Target<'_>>> {
        let s = self.series_index(index)?;
        let page = self.page.or(self.key);
        match (s, page) {
            (None, None) => Ok(None),
            (None, Some(p)) => {
                if p >= self.file.nmain {
                    return Err(Error::index_out_of_range(p, Some(self.file.nmain)));
                }
                Ok(Some(Target::Page(p)))
            }
            (Some(k), None) => Ok(Some(Target::Series(self.get_series(k)?))),
            (Some(k), Some(p)) => {
                let s = self.get_series(k)?;
                if s.contiguous.is_some() && p > 0 {
                    return Err(Error::invalid_argument(
                        "this series is stored contiguously after its first page: read the whole series",
                    ));
                }
                let n = s.pages.len();
                match s.pages.get(p) {
                    Some(&i) if i == crate::file::MISSING => Err(Error::decoding(format!(
                        "page {p} of the series is missing (its OME companion file was not found)"
                    ))),
                    Some(&i) => Ok(Some(Target::Page(i))),
                    None => Err(Error::index_out_of_range(p, Some(n))),
                }
            }
        }
    }

    fn first_page(&self, t: &Target<'_>) -> usize {
        match t {
            Target::Series(s) => s.key_page(),
            Target::Page(p) => *p,
        }
    }

    /// Shape and dtype after the optional colormap / watermark steps.
    fn out_props(&self, t: &Target<'_>) -> (Vec<usize>, DType) {
        let (mut shape, mut dtype) = match t {
            Target::Series(s) => (s.shape.clone(), s.dtype),
            Target::Page(p) => (self.file.pages[*p].shape.clone(), self.file.pages[*p].dtype),
        };
        let page = &self.file.pages[self.first_page(t)];
        if self.apply_colormap && page.photometric == 3 && meta::colormap(page).is_some() {
            shape.push(3);
            dtype = DType::U16;
        }
        if let Some(rows) = self.watermark_rows(t) {
            let yi = self.y_axis(t);
            shape[yi] = rows;
        }
        (shape, dtype)
    }

    fn y_axis(&self, t: &Target<'_>) -> usize {
        let p = &self.file.pages[self.first_page(t)];
        let ndim = match t {
            Target::Series(s) => s.shape.len(),
            Target::Page(p) => self.file.pages[*p].shape.len(),
        };
        let pyi = p.axes.find('Y').unwrap_or(0);
        ndim - p.shape.len() + pyi
    }

    fn watermark_rows(&self, t: &Target<'_>) -> Option<usize> {
        if !self.discard_watermark {
            return None;
        }
        let p = &self.file.pages[self.first_page(t)];
        let fei = meta::fei_metadata(p)?;
        let rows = fei.get("Image")?.as_map()?.get("ResolutionY")?.as_int()? as usize;
        (rows < p.height).then_some(rows)
    }

    fn read_target(&self, t: &Target<'_>) -> Result<NdArray> {
        let decode = || match t {
            Target::Series(s) => self.file.read_series(s, &self.limits),
            Target::Page(p) => self.file.read_page(*p, &self.limits),
        };
        let mut a = match &self.pool {
            Some(pool) => pool.install(decode)?,
            None => decode()?,
        };
        let page = &self.file.pages[self.first_page(t)];
        if self.apply_colormap && page.photometric == 3 {
            if let Some(cm) = meta::colormap(page) {
                a = apply_colormap(&a, &cm, &self.limits)?;
            }
        }
        if let Some(rows) = self.watermark_rows(t) {
            let yi = self.y_axis(t);
            a = crop_axis(a, yi, rows)?;
        }
        Ok(a)
    }

    fn spacing(&self, t: &Target<'_>, shape: &[usize]) -> Option<Vec<f64>> {
        let (axes, known) = match t {
            Target::Series(s) => (s.axes.clone(), s.spacing.clone()),
            Target::Page(p) => (self.file.pages[*p].axes.clone(), Vec::new()),
        };
        let mut known = known;
        if known.is_empty() {
            let p = &self.file.pages[self.first_page(t)];
            if p.ifd.uint(tag::RESOLUTION_UNIT).unwrap_or(2) != 1 {
                if let Some((x, y)) = meta::resolution(p).filter(|(x, y)| *x > 0.0 && *y > 0.0) {
                    known = vec![('X', 1.0 / x), ('Y', 1.0 / y)];
                }
            }
        }
        if known.is_empty() || axes.len() != shape.len() {
            return None;
        }
        Some(
            axes.chars()
                .map(|a| known.iter().find(|(k, _)| *k == a).map_or(1.0, |(_, v)| *v))
                .collect(),
        )
    }

    fn file_metadata(&self) -> Metadata {
        let f = &self.file;
        let mut m = Metadata::new();
        m.insert(
            "byteorder".into(),
            Value::Str(if f.fmt.big_endian { ">" } else { "<" }.into()),
        );
        m.insert("is_bigtiff".into(), Value::Bool(f.fmt.bigtiff));
        m.insert("is_shaped".into(), Value::Bool(f.is_shaped()));
        m.insert("is_imagej".into(), Value::Bool(f.is_imagej()));
        m.insert("is_ome".into(), Value::Bool(f.is_ome()));
        m.insert("is_tiled".into(), Value::Bool(f.pages[0].tile.is_some()));
        m.insert(
            "is_fei".into(),
            Value::Bool(meta::fei_metadata(&f.pages[0]).is_some()),
        );
        m.insert("series_kind".into(), Value::Str(f.flavour.into()));
        m.insert("n_pages".into(), Value::Int(f.nmain as i64));
        m.insert(
            "series_shapes".into(),
            Value::List(
                f.series
                    .iter()
                    .map(|s| Value::List(s.shape.iter().map(|&x| Value::Int(x as i64)).collect()))
                    .collect(),
            ),
        );
        let desc = f.description(0).unwrap_or_default();
        if let Some(sd) = f.shaped_description(0) {
            if let Some(j) = crate::file::parse_shaped(&sd).and_then(|s| s.json) {
                let mut sm = Metadata::new();
                if let serde_json::Value::Object(o) = j {
                    for (k, v) in o {
                        sm.insert(k.clone(), json_to_value(&v));
                        m.insert(k, json_to_value(&v));
                    }
                }
                m.insert("shaped_metadata".into(), Value::Map(sm));
            }
        }
        if f.is_imagej() {
            m.insert(
                "imagej_metadata".into(),
                Value::Map(meta::imagej_metadata(&desc, &f.pages[0], f.fmt.big_endian)),
            );
        }
        if f.is_ome() {
            m.insert("ome_xml".into(), Value::Str(desc.clone()));
        }
        m
    }
}

pub(crate) fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Str("None".into()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        ),
    }
}

fn apply_colormap(a: &NdArray, cm: &NdArray, limits: &Limits) -> Result<NdArray> {
    let cm = cm
        .as_array::<u16>()
        .ok_or_else(|| Error::decoding("colormap is not uint16"))?;
    let n = cm.shape()[1];
    let idx: Vec<usize> = match a {
        NdArray::U8(x) => x.iter().map(|&v| v as usize).collect(),
        NdArray::U16(x) => x.iter().map(|&v| v as usize).collect(),
        _ => return Err(Error::decoding("palette images must be uint8 or uint16")),
    };
    let mut shape = a.shape().to_vec();
    shape.push(3);
    limits.check_alloc(&shape, DType::U16)?;
    let mut out = Vec::with_capacity(idx.len() * 3);
    for i in idx {
        let i = i.min(n - 1);
        out.extend_from_slice(&[cm[[0, i]], cm[[1, i]], cm[[2, i]]]);
    }
    NdArray::from_shape_vec(&shape, out)
}

impl Plugin for TiffReader<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match self.target(index)? {
            Some(t) => self.read_target(&t),
            None => {
                let n = self.file.series.len();
                let mut all = Vec::with_capacity(n);
                let mut bytes = 0u64;
                for k in 0..n {
                    let s = self.get_series(k)?;
                    let (shape, dt) = self.out_props(&Target::Series(s));
                    bytes = bytes.saturating_add(self.limits.check_alloc(&shape, dt)?);
                    self.limits.check_bytes(bytes)?;
                    all.push(self.read_target(&Target::Series(s))?);
                }
                NdArray::stack(all)
            }
        }
    }

    fn iter_next(&mut self, position: usize) -> Result<Option<NdArray>> {
        if position >= self.file.series.len() {
            return Ok(None);
        }
        self.read(Index::At(position)).map(Some)
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        match self.target(index)? {
            Some(t) => {
                let (shape, dtype) = self.out_props(&t);
                let spacing = self.spacing(&t, &shape);
                let mut p = ImageProperties::single(shape, dtype);
                p.spacing = spacing;
                Ok(p)
            }
            None => {
                let n = self.file.series.len();
                let s0 = self.get_series(0)?;
                let (shape, dtype) = self.out_props(&Target::Series(s0));
                for k in 1..n {
                    let (sk, dk) = self.out_props(&Target::Series(self.get_series(k)?));
                    if sk != shape || dk != dtype {
                        return Err(Error::invalid_argument(format!(
                            "cannot stack the series: series 0 is {dtype} {shape:?} but series {k} is {dk} {sk:?}"
                        )));
                    }
                }
                Ok(ImageProperties::batch(n, &shape, dtype))
            }
        }
    }

    fn metadata(&mut self, index: Index, _exclude_applied: bool) -> Result<Metadata> {
        let explicit = !matches!(index, Index::Default | Index::All)
            || self.page.is_some()
            || self.key.is_some()
            || self.series.is_some();
        let mut m = if explicit {
            Metadata::new()
        } else {
            self.file_metadata()
        };
        let t = match self.target(index)? {
            Some(t) => t,
            None => Target::Series(self.get_series(0)?),
        };
        let p = self.first_page(&t);
        meta::page_metadata(&self.file.pages[p], &mut m);
        if let Target::Series(s) = &t {
            m.insert("axes".into(), Value::Str(s.axes.clone()));
            m.insert(
                "shape".into(),
                Value::List(s.shape.iter().map(|&x| Value::Int(x as i64)).collect()),
            );
            m.insert("series_kind".into(), Value::Str(s.kind.into()));
            m.insert("levels".into(), Value::Int(s.levels.len() as i64 + 1));
            if !s.name.is_empty() {
                m.insert("name".into(), Value::Str(s.name.clone()));
            }
            for (a, v) in &s.spacing {
                m.insert(format!("spacing_{a}"), Value::Float(*v));
            }
        }
        Ok(m)
    }
}

fn crop_axis(a: NdArray, axis: usize, n: usize) -> Result<NdArray> {
    macro_rules! crop {
        ($($v:ident),*) => {
            match a {
                $(NdArray::$v(x) => NdArray::from(x.slice_axis(ndarray::Axis(axis), ndarray::Slice::from(0..n)).to_owned()),)*
                _ => return Err(Error::decoding("unsupported dtype")),
            }
        };
    }
    Ok(crop!(Bool, U8, U16, U32, U64, I8, I16, I32, I64, F32, F64))
}
