//! A small command-line front end a program wires into its own binary:
//! its models are compiled in, so `generate` can compare them with the
//! database. Migration files live in one directory, one file a migration.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::conn::Executor;
use crate::error::{Error, Result};
use crate::schema::Schema;

use super::apply::Migrator;
use super::diff::DiffOptions;
use super::migration::Migration;
use super::parse::parse;
use super::revert_loss::RevertOptions;

/// The commands' usage, printed by `help` and with argument errors.
pub const USAGE: &str = "\
usage: <program> <command>
  status                       which migrations are applied, pending or stopped part-way
  apply                        apply every pending migration (and finish a stopped one)
  revert [--allow-data-loss]   revert the latest migration (or undo a stopped one's steps);
                               refused when it would lose data, unless the flag is given
  resolve <version> ran|not-run
                               say whether the step an interrupted migration had under way
                               ran (check the database first); status shows it INTERRUPTED
  generate <name> [options]    write a migration from the models' differences with the database
      --rename <table>.<old>=<new>   a column renamed (never guessed); repeatable
      --ignore-table <table>         leave a table of another program alone; repeatable
      --allow-data-loss              include drops and narrowing changes (marked `lossy`)";

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Migration {
        version: None,
        message: format!("{}: {e}", path.display()),
    }
}

/// Reads every `*.migration` file of `dir`, in version order.
///
/// # Failure
/// [`Error::Migration`] naming the file: it cannot be read, it is not a
/// valid migration, its name does not start with its version, or two files
/// share a version. A missing directory holds no migrations.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "migration"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let in_file = |e: Error| match e {
            Error::Migration { version, message } => Error::Migration {
                version,
                message: format!("{}: {message}", path.display()),
            },
            e => e,
        };
        let m = parse(&text).map_err(in_file)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let prefix: String = name.chars().take_while(char::is_ascii_digit).collect();
        if prefix.parse::<i64>().ok() != Some(m.version) {
            return Err(in_file(Error::Migration {
                version: Some(m.version),
                message: format!(
                    "the file's name does not start with its version ({}); expected {}",
                    m.version,
                    m.file_name()
                ),
            }));
        }
        out.push(m);
    }
    Ok(out)
}

/// Runs one command (`args` without the program's name) against the
/// database and the migration files in `dir`, writing what it did to
/// `out`. This is the whole front end: a program calls it from `main`.
///
/// # Failure
/// [`Error::Migration`] with [`USAGE`] for unknown commands or options;
/// `generate` refuses while migrations are pending (generate against an
/// up-to-date database); otherwise as [`Migrator::apply`],
/// [`Migrator::revert`] and [`generate`](super::generate).
///
/// ```
/// # use athanor_core::{migrate::cli, Schema};
/// # fn demo(conn: &mut athanor_core::Conn) -> athanor_core::Result<()> {
/// let schema = Schema::new(); // register the program's models here
/// let args: Vec<String> = std::env::args().skip(1).collect();
/// cli::run(conn, &schema, "migrations".as_ref(), &args, &mut std::io::stdout())?;
/// # Ok(())
/// # }
/// ```
pub fn run<E: Executor + ?Sized>(
    ex: &mut E,
    schema: &Schema,
    dir: &Path,
    args: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    let write = |out: &mut dyn Write, text: &str| {
        out.write_all(text.as_bytes())
            .map_err(|e| io_error(Path::new("<output>"), e))
    };
    let command = args.first().map(String::as_str).unwrap_or("help");
    match command {
        "help" | "--help" | "-h" => return write(out, &format!("{USAGE}\n")),
        "status" | "apply" | "revert" | "resolve" | "generate" => {}
        other => return Err(usage(&format!("unknown command {other:?}"))),
    }
    let migrator = Migrator::new(load_dir(dir)?)?;
    match command {
        "status" => {
            let status = migrator.status(ex)?;
            if status.entries.is_empty() && status.unknown.is_empty() {
                write(out, &format!("no migrations in {}\n", dir.display()))
            } else {
                write(out, &status.to_string())
            }
        }
        "apply" => {
            let applied = migrator.apply(ex)?;
            if applied.is_empty() {
                write(out, "nothing to apply\n")
            } else {
                let list: Vec<String> = applied.iter().map(i64::to_string).collect();
                write(out, &format!("applied {}\n", list.join(", ")))
            }
        }
        "revert" => {
            let options = match &args[1..] {
                [] => RevertOptions::new(),
                [flag] if flag == "--allow-data-loss" => RevertOptions::new().allow_data_loss(true),
                [other, ..] => {
                    return Err(usage(&format!("revert: unexpected argument {other:?}")))
                }
            };
            match migrator.revert_with(ex, &options)? {
                Some(v) => write(out, &format!("reverted {v}\n")),
                None => write(out, "nothing to revert\n"),
            }
        }
        "resolve" => {
            let (version, ran) = resolve_args(&args[1..])?;
            migrator.resolve(ex, version, ran)?;
            let said = if ran { "ran" } else { "did not run" };
            write(
                out,
                &format!("recorded that the step under way of {version} {said}\n"),
            )?;
            write(out, &migrator.status(ex)?.to_string())
        }
        "generate" => {
            let (name, options) = generate_options(&args[1..])?;
            let ops = migrator.generate(ex, schema, &options)?;
            if ops.is_empty() {
                return write(out, "no changes: the database matches the models\n");
            }
            let version = match migrator.migrations().last() {
                None => 1,
                Some(m) => m.version.checked_add(1).ok_or_else(|| Error::Migration {
                    version: Some(m.version),
                    message: "no version comes after this one".into(),
                })?,
            };
            let m = Migration::from_operations(version, name, ops);
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
            let path = dir.join(m.file_name());
            std::fs::write(&path, m.to_text()).map_err(|e| io_error(&path, e))?;
            write(
                out,
                &format!(
                    "wrote {} ({} steps): review it, then apply\n",
                    path.display(),
                    m.steps.len()
                ),
            )
        }
        _ => write(out, &format!("{USAGE}\n")),
    }
}

fn usage(what: &str) -> Error {
    Error::Migration {
        version: None,
        message: format!("{what}\n{USAGE}"),
    }
}

fn resolve_args(args: &[String]) -> Result<(i64, bool)> {
    let [version, what] = args else {
        return Err(usage("resolve needs <version> and ran or not-run"));
    };
    let version = version
        .parse::<i64>()
        .map_err(|_| usage(&format!("resolve: {version:?} is not a version")))?;
    let ran = match what.as_str() {
        "ran" => true,
        "not-run" => false,
        other => {
            return Err(usage(&format!(
                "resolve: expected ran or not-run, not {other:?}"
            )))
        }
    };
    Ok((version, ran))
}

fn generate_options(args: &[String]) -> Result<(String, DiffOptions)> {
    let mut name = None;
    let mut options = DiffOptions::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--allow-data-loss" => options = options.allow_data_loss(true),
            "--ignore-table" => {
                let table = rest
                    .next()
                    .ok_or_else(|| usage("--ignore-table needs a table's name"))?;
                options = options.ignore_table(table);
            }
            "--rename" => {
                let spec = rest
                    .next()
                    .ok_or_else(|| usage("--rename needs <table>.<old>=<new>"))?;
                let parsed = spec.split_once('=').and_then(|(left, new)| {
                    left.split_once('.').map(|(table, old)| (table, old, new))
                });
                let Some((table, old, new)) = parsed else {
                    return Err(usage(&format!(
                        "--rename {spec:?}: expected <table>.<old>=<new>"
                    )));
                };
                options = options.rename_column(table, old, new);
            }
            other if other.starts_with("--") => {
                return Err(usage(&format!("unknown option {other:?}")))
            }
            other if name.is_none() => name = Some(other.to_owned()),
            other => return Err(usage(&format!("unexpected argument {other:?}"))),
        }
    }
    let name = name.ok_or_else(|| usage("generate needs a name for the migration"))?;
    Ok((name, options))
}
