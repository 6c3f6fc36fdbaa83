//! Plugin selection, errors and atomic writes, with toy plugins registered through inventory.

use std::io::{Read, Write};

use imageio_core::{
    DType, Error, ImageProperties, Index, Metadata, Mode, NdArray, NdView, OpenArgs, OptionKind,
    OptionSpec, Options, Plugin, PluginDescriptor, Request, Resource, Result, open, registry,
    submit_plugin,
};

/// "AAA" + one byte per image; writes "AAA" + the bytes of a u8 array.
struct Toy<'a> {
    data: Vec<u8>,
    sink: Option<imageio_core::SinkWriter>,
    fail_on_close: bool,
    _req: Request<'a>,
}

impl Plugin for Toy<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match index.or(Index::At(0)) {
            Index::At(n) if n < self.data.len() => {
                NdArray::from_shape_vec(&[1, 1], vec![self.data[n]])
            }
            Index::At(n) => Err(Error::index_out_of_range(n, Some(self.data.len()))),
            _ => NdArray::from_shape_vec(&[self.data.len(), 1, 1], self.data.clone()),
        }
    }
    fn properties(&mut self, _index: Index) -> Result<ImageProperties> {
        Ok(ImageProperties::single(vec![1, 1], DType::U8))
    }
    fn metadata(&mut self, _index: Index, _ex: bool) -> Result<Metadata> {
        Ok(Metadata::new())
    }
    fn write(&mut self, image: NdView<'_>, _is_batch: Option<bool>) -> Result<()> {
        if image.dtype() != DType::U8 {
            return Err(Error::unsupported(format!(
                "toy writes u8, not {}",
                image.dtype()
            )));
        }
        let w = self.sink.as_mut().expect("writer");
        w.write_all(b"AAA")?;
        w.write_all(&image.to_le_bytes())?;
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        if self.fail_on_close {
            return Err(Error::encoding("trailer failed"));
        }
        Ok(())
    }
}

fn open_a<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        Mode::Read => {
            let mut d = Vec::new();
            req.source()?.reader()?.read_to_end(&mut d)?;
            if !d.starts_with(b"AAA") {
                return Err(Error::unsupported("no AAA header"));
            }
            Ok(Box::new(Toy {
                data: d[3..].to_vec(),
                sink: None,
                fail_on_close: false,
                _req: req,
            }))
        }
        Mode::Write => {
            let fail = req.options.get_bool("fail_on_close").unwrap_or(false);
            let sink = Some(req.sink()?.writer()?);
            Ok(Box::new(Toy {
                data: vec![],
                sink,
                fail_on_close: fail,
                _req: req,
            }))
        }
    }
}

/// Claims ".aaa" with a better priority but declines everything at open.
fn open_decliner<'a>(_req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    Err(Error::unsupported("decliner declines"))
}

submit_plugin!(PluginDescriptor {
    name: "toy-a",
    description: "toy",
    extensions: &[".aaa"],
    priority: 50,
    can_read: true,
    can_write: true,
    sniff: Some(|b| b.starts_with(b"AAA")),
    read_options: &[],
    write_options: &[OptionSpec::new(
        "fail_on_close",
        OptionKind::Bool,
        "fail in close()"
    )],
    open: open_a,
});

submit_plugin!(PluginDescriptor {
    name: "decliner",
    description: "declines",
    extensions: &[".aaa"],
    priority: 5,
    can_read: true,
    can_write: false,
    sniff: None,
    read_options: &[],
    write_options: &[],
    open: open_decliner,
});

fn args() -> OpenArgs {
    OpenArgs::default()
}

/// A toy-a writer to `<bytes>`.
fn open_aaa_bytes() -> Result<imageio_core::ImageFile<'static>> {
    open(
        Resource::ReturnBytes,
        Mode::Write,
        &OpenArgs {
            extension: Some(".aaa".into()),
            ..args()
        },
    )
}

#[test]
fn registry_is_sorted_and_consistent() {
    registry::check().unwrap();
    let names: Vec<_> = registry::plugins().iter().map(|d| d.name).collect();
    assert_eq!(names, ["decliner", "toy-a"]);
}

#[test]
fn extension_then_sniffing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.aaa");
    std::fs::write(&p, b"AAA\x01\x02").unwrap();
    // By extension: the decliner is tried first (priority 5), then toy-a.
    let mut f = open(Resource::from(&p), Mode::Read, &args()).unwrap();
    assert_eq!(f.plugin_name(), "toy-a");
    assert_eq!(f.read(Index::Default).unwrap().shape(), &[1, 1]);
    // Without extension: sniffing.
    let f = open(Resource::from(b"AAA\x05".as_slice()), Mode::Read, &args()).unwrap();
    assert_eq!(f.plugin_name(), "toy-a");
}

#[test]
fn nothing_could_open_it_names_resource_and_attempts() {
    let e = open(Resource::from(b"garbage".as_slice()), Mode::Read, &args()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::NoPlugin { .. }));
    assert!(msg.contains("`<bytes>`"), "{msg}");
    assert!(msg.contains("toy-a (signature not recognised)"), "{msg}");
    assert!(!msg.contains("garbage"), "never print the data: {msg}");

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.aaa");
    std::fs::write(&p, b"BBB").unwrap();
    let msg = open(Resource::from(&p), Mode::Read, &args())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("decliner (decliner declines)"), "{msg}");
}

#[test]
fn compiled_out_backends_name_their_feature() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.heic");
    std::fs::write(&p, b"\0\0\0\x18ftypheic").unwrap();
    let msg = open(Resource::from(&p), Mode::Read, &args())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("enable the Cargo feature `heif`"), "{msg}");
    let e = open(
        Resource::from("x.png"),
        Mode::Read,
        &OpenArgs {
            plugin: Some("png".into()),
            ..args()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::UnknownPlugin { .. }));
    assert!(e.to_string().contains("feature `png`"), "{e}");
    let e = open(
        Resource::from("x.png"),
        Mode::Read,
        &OpenArgs {
            plugin: Some("nope".into()),
            ..args()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("`nope` is not a registered plugin name (registered: decliner, toy-a)"),
        "{e}"
    );
}

#[test]
fn explicit_plugin_that_cannot_write_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let e = open(
        Resource::from(dir.path().join("x.aaa")),
        Mode::Write,
        &OpenArgs {
            plugin: Some("decliner".into()),
            ..args()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
}

#[test]
fn write_needs_a_known_extension() {
    let dir = tempfile::tempdir().unwrap();
    let e = open(
        Resource::from(dir.path().join("out.xyz")),
        Mode::Write,
        &args(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no registered plugin writes `.xyz` files"),
        "{e}"
    );
    assert!(!dir.path().join("out.xyz").exists());
    let e = open(Resource::ReturnBytes, Mode::Write, &args()).unwrap_err();
    assert!(e.to_string().contains("give an `extension`"), "{e}");
    let e = open(
        Resource::ReturnBytes,
        Mode::Write,
        &OpenArgs {
            extension: Some("aaa".into()),
            ..args()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    assert!(e.to_string().contains("starting with a `.`"), "{e}");
}

#[test]
fn options_are_validated_with_the_accepted_list() {
    let opts = Options::new().with("fail_on_clos", true);
    let e = open(
        Resource::ReturnBytes,
        Mode::Write,
        &OpenArgs {
            extension: Some(".aaa".into()),
            options: opts,
            ..args()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::UnknownOption { .. }));
    assert!(
        e.to_string()
            .contains("accepted options: fail_on_close (bool)"),
        "{e}"
    );
}

#[test]
fn bytes_out_and_foreign_extension() {
    let img = NdArray::from_shape_vec(&[1, 2], vec![7u8, 8]).unwrap();
    let mut w = open_aaa_bytes().unwrap();
    w.write(&img).unwrap();
    assert_eq!(w.close().unwrap().unwrap(), b"AAA\x07\x08");
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("test.aaa.part");
    let mut w = open(
        Resource::from(&part),
        Mode::Write,
        &OpenArgs {
            extension: Some(".aaa".into()),
            ..args()
        },
    )
    .unwrap();
    w.write(&img).unwrap();
    w.close().unwrap();
    let mut r = open(
        Resource::from(&part),
        Mode::Read,
        &OpenArgs {
            extension: Some(".aaa".into()),
            ..args()
        },
    )
    .unwrap();
    assert_eq!(r.read(Index::All).unwrap().shape(), &[2, 1, 1]);
    let e = r.read(Index::At(2)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                index: 2,
                len: Some(2),
                ..
            }
        ),
        "{e}"
    );
    assert!(r.iter().count() == 2);
}

#[test]
fn failed_writes_leave_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("keep.aaa");
    std::fs::write(&p, b"precious").unwrap();
    // Error in write(): f64 is refused; the writer is dropped.
    let img = NdArray::from_shape_vec(&[1], vec![1.0f64]).unwrap();
    {
        let mut w = open(Resource::from(&p), Mode::Write, &args()).unwrap();
        assert!(w.write(&img).is_err());
        let ok = NdArray::from_shape_vec(&[1], vec![1u8]).unwrap();
        let _ = ok;
    }
    // Error in close(): nothing is committed.
    let opts = Options::new().with("fail_on_close", true);
    let mut w = open(
        Resource::from(&p),
        Mode::Write,
        &OpenArgs {
            options: opts,
            ..args()
        },
    )
    .unwrap();
    w.write(&NdArray::from_shape_vec(&[1], vec![1u8]).unwrap())
        .unwrap();
    let e = w.close().unwrap_err();
    assert!(e.to_string().contains("[toy-a]"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), b"precious");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn format_hint_applies_only_without_an_extension() {
    let img = NdArray::from_shape_vec(&[1, 1], vec![3u8]).unwrap();
    let hinted = OpenArgs {
        format_hint: Some(".aaa".into()),
        ..args()
    };
    let mut w = open(Resource::ReturnBytes, Mode::Write, &hinted).unwrap();
    w.write(&img).unwrap();
    assert_eq!(w.close().unwrap().unwrap(), b"AAA\x03");
    // A name with its own extension wins over the hint.
    let dir = tempfile::tempdir().unwrap();
    let e = open(
        Resource::from(dir.path().join("x.xyz")),
        Mode::Write,
        &hinted,
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoPlugin { .. }), "{e}");
    let bad = OpenArgs {
        format_hint: Some("PNG".into()),
        ..args()
    };
    let e = open(Resource::ReturnBytes, Mode::Write, &bad).unwrap_err();
    assert!(
        e.to_string()
            .contains("`format_hint` should be a file extension"),
        "{e}"
    );
    // Unknown hints are not an error by themselves (upstream: KeyError).
    let unknown = OpenArgs {
        format_hint: Some(".cap".into()),
        ..args()
    };
    let f = open(Resource::from(b"AAA\x01".as_slice()), Mode::Read, &unknown).unwrap();
    assert_eq!(f.plugin_name(), "toy-a");
}

#[test]
fn per_write_options_are_validated_and_refused_by_plugins_without_them() {
    let img = NdArray::from_shape_vec(&[1, 1], vec![7u8]).unwrap();
    let mut f = open_aaa_bytes().unwrap();
    // no options: same as write(); the report is empty
    let report = f.write_with_options(&img, None, Options::new()).unwrap();
    assert!(report.is_empty());
    // an unknown key is rejected by the core, listing the accepted ones
    let e = f
        .write_with_options(&img, None, Options::new().with("nope", 1))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown option `nope`") && e.contains("fail_on_close"),
        "{e}"
    );
    let mut f = open_aaa_bytes().unwrap();
    // a known key: this plugin takes options only at open and says so instead of ignoring it
    let e = f
        .write_with_options(&img, None, Options::new().with("fail_on_close", false))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not per write") && e.contains("fail_on_close"),
        "{e}"
    );
    // the failed write poisons the writer: nothing is returned
    assert!(f.close().is_err());
}
