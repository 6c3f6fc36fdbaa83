//! `imageio`: inspect and convert images, volumes and video from the command line.
//!
//! ```text
//! imageio info URI [--index N | --all] [--plugin P] [--extension .ext] [--json] [--hash]
//! imageio convert IN OUT [--index N | --all] [--plugin P] [--option key=value]... [--read-option key=value]...
//! imageio formats [--json]
//! ```
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use imageio::{Index, NdArray, Options};
use serde_json::{Value as Json, json};

#[derive(Parser)]
#[command(
    name = "imageio",
    version,
    about = "Read, inspect and convert images, volumes and video"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Select {
    /// Image index (default: the plugin's default).
    #[arg(long, conflicts_with = "all")]
    index: Option<usize>,
    /// All images (stacked for properties; one by one for hashes and conversion).
    #[arg(long)]
    all: bool,
    /// Use this plugin instead of selecting one.
    #[arg(long)]
    plugin: Option<String>,
    /// Treat the input as having this extension (e.g. `.png`).
    #[arg(long)]
    extension: Option<String>,
    /// A read option `key=value` for the plugin (repeatable).
    #[arg(long = "read-option", value_name = "KEY=VALUE")]
    read_options: Vec<String>,
}

impl Select {
    fn index(&self) -> Index {
        match (self.index, self.all) {
            (Some(n), _) => Index::At(n),
            (None, true) => Index::All,
            (None, false) => Index::Default,
        }
    }

    fn reader(&self, uri: &str) -> imageio::Result<imageio::ReadBuilder<'static>> {
        let mut b = imageio::reader(uri.to_owned());
        if let Some(p) = &self.plugin {
            b = b.plugin(p);
        }
        if let Some(e) = &self.extension {
            b = b.extension(e);
        }
        Ok(b.options(parse_options(&self.read_options)?))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Print properties and metadata without decoding pixels (unless --hash).
    Info {
        /// Path or URI (`imageio:chelsea.png`, `file://…`, `https://…`).
        uri: String,
        #[command(flatten)]
        select: Select,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Decode and add the sha256 of each image's pixel bytes (numpy `tobytes()` order).
        #[arg(long)]
        hash: bool,
    },
    /// Convert between formats (the output format comes from OUT's extension).
    Convert {
        /// Input path or URI.
        input: String,
        /// Output path (`<bytes>` is not useful here).
        output: String,
        #[command(flatten)]
        select: Select,
        /// A write option `key=value` for the output plugin (repeatable).
        #[arg(long = "option", value_name = "KEY=VALUE")]
        options: Vec<String>,
        /// The output plugin.
        #[arg(long = "out-plugin")]
        out_plugin: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// List the registered plugins.
    Formats {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn parse_options(pairs: &[String]) -> imageio::Result<Options> {
    let mut o = Options::new();
    for p in pairs {
        o.parse_pair(p)?;
    }
    Ok(o)
}

fn image_json(index: Option<usize>, img: &NdArray) -> Json {
    json!({
        "index": index,
        "shape": img.shape(),
        "dtype": img.dtype().numpy_name(),
        "sha256": img.sha256_hex(),
    })
}

fn info(uri: &str, select: &Select, as_json: bool, hash: bool) -> imageio::Result<String> {
    let index = select.index();
    let mut file = select.reader(uri)?.open()?;
    let props = file.properties(index)?;
    let meta = file.metadata(index, true)?;
    let mut out = json!({
        "uri": uri,
        "plugin": file.plugin_name(),
        "properties": props,
        "metadata": meta,
    });
    if hash {
        let images: Vec<Json> = match index {
            Index::All => {
                let mut v = Vec::new();
                for (i, img) in file.iter().enumerate() {
                    v.push(image_json(Some(i), &img?));
                }
                v
            }
            Index::At(n) => vec![image_json(Some(n), &file.read(index)?)],
            Index::Default => vec![image_json(None, &file.read(index)?)],
        };
        out["images"] = Json::Array(images);
    }
    if as_json {
        return Ok(format!("{out}\n"));
    }
    let mut text = String::new();
    let _ = writeln!(text, "{uri}  [plugin: {}]", file.plugin_name());
    let _ = writeln!(
        text,
        "  shape {:?}  dtype {}  n_images {}  is_batch {}  spacing {}",
        props.shape,
        props.dtype,
        props
            .n_images
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into()),
        props.is_batch,
        props
            .spacing
            .as_ref()
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|| "-".into())
    );
    for (k, v) in &meta {
        let mut value = v.to_json().to_string();
        if value.len() > 100 {
            let mut cut = 97;
            while !value.is_char_boundary(cut) {
                cut -= 1;
            }
            value.truncate(cut);
            value.push_str("...");
        }
        let _ = writeln!(text, "  {k}: {value}");
    }
    if let Some(Json::Array(images)) = out.get("images") {
        for im in images {
            let _ = writeln!(
                text,
                "  image {}: shape {} {} sha256 {}",
                im["index"],
                im["shape"],
                im["dtype"].as_str().unwrap_or(""),
                im["sha256"].as_str().unwrap_or("")
            );
        }
    }
    Ok(text)
}

fn convert(
    input: &str,
    output: &str,
    select: &Select,
    options: &[String],
    out_plugin: Option<&str>,
    quiet: bool,
) -> imageio::Result<()> {
    let index = select.index();
    let mut src = select.reader(input)?.open()?;
    let mut w = imageio::writer(output.to_owned()).options(parse_options(options)?);
    if let Some(p) = out_plugin {
        w = w.plugin(p);
    }
    let mut dst = w.open()?;
    match index {
        Index::All => {
            let n = src.properties(Index::All)?.n_images.unwrap_or(0) as u64;
            let bar = if quiet {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new(n)
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} images {elapsed} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            for img in src.iter() {
                dst.write_with(&img?, Some(false))?;
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
        _ => dst.write(&src.read(index)?)?,
    }
    dst.close()?;
    Ok(())
}

fn formats(as_json: bool) -> String {
    let list: Vec<Json> = imageio::formats()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "description": d.description,
                "extensions": d.extensions,
                "priority": d.priority,
                "read": d.can_read,
                "write": d.can_write,
                "read_options": d.read_options.iter().map(|o| json!({"key": o.key, "type": o.kind.to_string(), "doc": o.doc})).collect::<Vec<_>>(),
                "write_options": d.write_options.iter().map(|o| json!({"key": o.key, "type": o.kind.to_string(), "doc": o.doc})).collect::<Vec<_>>(),
            })
        })
        .collect();
    if as_json {
        return format!("{}\n", Json::Array(list));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<10} {:<5} {:<40} description",
        "plugin", "modes", "extensions"
    );
    for d in imageio::formats() {
        let modes = format!(
            "{}{}",
            if d.can_read { "r" } else { "" },
            if d.can_write { "w" } else { "" }
        );
        let _ = writeln!(
            text,
            "{:<10} {:<5} {:<40} {}",
            d.name,
            modes,
            d.extensions.join(" "),
            d.description
        );
    }
    text
}

/// Writes the report to stdout. A reader that stops early (`imageio info x | head -3`) closes
/// the pipe: that is not an error, and it must not panic like `println!` does.
fn emit(text: &str) -> imageio::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(imageio::Error::io(e)),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Info {
            uri,
            select,
            json,
            hash,
        } => info(uri, select, *json, *hash).and_then(|t| emit(&t)),
        Command::Convert {
            input,
            output,
            select,
            options,
            out_plugin,
            quiet,
        } => convert(
            input,
            output,
            select,
            options,
            out_plugin.as_deref(),
            *quiet,
        ),
        Command::Formats { json } => emit(&formats(*json)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imageio: error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
