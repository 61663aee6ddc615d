//! `--config FILE`: a crawl's flags in a TOML file, so a crawl can be versioned and run
//! again. Every flag of `trawler crawl` is a key, spelled as the flag without its dashes
//! (`max-depth = 3`, `no-robots = true`, `header = ["Accept-Language: en"]`), and the
//! start URLs are `urls`. A flag given on the command line wins over the file's key (the
//! file's values of a repeatable flag are then dropped, not added to).
//!
//! The file is turned into flags before the command line is parsed, so every value goes
//! through the same checks as a flag's. An unknown key, or a value of the wrong type, is
//! refused with the key's name. `trawler config --print [--config FILE] [flags]` shows
//! the effective settings: those set, then every other one with its default.

use crate::args::Cli;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory};
use std::ffi::OsString;

/// The subcommands whose flags a file may hold.
const WITH_FILE: [&str; 2] = ["crawl", "config"];

/// The command line with the `--config` file's keys added as flags (before the command
/// line's own), or why the file cannot be used.
pub(crate) fn expand(argv: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(sub_at) = argv.iter().position(|a| WITH_FILE.iter().any(|s| a == s)) else {
        return Ok(argv);
    };
    let Some(path) = config_path(&argv[sub_at + 1..]) else {
        return Ok(argv);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("--config {path}: cannot read it: {e}"))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let message = e.message().to_string();
        let line = e.span().map(|s| text[..s.start].lines().count().max(1));
        match line {
            Some(n) => format!("--config {path}: line {n}: {message}"),
            None => format!("--config {path}: {message}"),
        }
    })?;
    // Which flags the command line gives (parsed alone, the file's keys not yet in).
    let given = Cli::command().try_get_matches_from(&argv).ok();
    let given = given
        .as_ref()
        .and_then(|m| m.subcommand())
        .map(|(_, m)| m.clone());
    let crawl = crawl_command();
    let mut flags: Vec<OsString> = Vec::new();
    let mut urls: Vec<OsString> = Vec::new();
    for (key, value) in &table {
        let bad = |what: &str| format!("--config {path}: key {key:?} {what}");
        let arg = (crawl.get_arguments())
            .find(|a| {
                a.get_long() == Some(key.as_str()) || (a.is_positional() && a.get_id() == key)
            })
            .filter(|a| key != "config" && !a.is_hide_set())
            .ok_or_else(|| {
                bad(&format!(
                    "is not a setting of trawler crawl{}",
                    suggest(&crawl, key)
                ))
            })?;
        if given.as_ref().is_some_and(|m| on_command_line(m, arg)) {
            continue;
        }
        let values = match value {
            toml::Value::Array(items) if takes_many(arg) => items.iter().collect(),
            toml::Value::Array(_) => return Err(bad("takes one value, not a list")),
            one => vec![one],
        };
        for v in values {
            let text = match (v, is_switch(arg)) {
                (toml::Value::Boolean(on), true) => {
                    if *on {
                        flags.push(format!("--{key}").into());
                    }
                    continue;
                }
                (_, true) => return Err(bad("is a switch: true or false")),
                (toml::Value::String(s), false) => s.clone(),
                (toml::Value::Integer(n), false) => n.to_string(),
                (toml::Value::Float(x), false) => x.to_string(),
                (toml::Value::Boolean(_), false) => {
                    return Err(bad("takes a value, not true or false"));
                }
                (_, false) => return Err(bad("takes a string or a number")),
            };
            match arg.is_positional() {
                true => urls.push(text.into()),
                false => flags.push(format!("--{key}={text}").into()),
            }
        }
    }
    let mut out = argv[..=sub_at].to_vec();
    out.extend(flags);
    out.extend(argv[sub_at + 1..].iter().cloned());
    if !urls.is_empty() && !given.as_ref().is_some_and(has_urls) {
        out.extend(urls);
    }
    Ok(out)
}

/// `trawler crawl`'s command, as clap knows it.
fn crawl_command() -> clap::Command {
    Cli::command()
        .find_subcommand("crawl")
        .cloned()
        .unwrap_or_else(|| clap::Command::new("crawl"))
}

/// The value of `--config FILE` or `--config=FILE` among `args`.
fn config_path(args: &[OsString]) -> Option<String> {
    let mut it = args.iter().map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            return None;
        }
        if a == "--config" {
            return it.next().map(|p| p.into_owned());
        }
        if let Some(p) = a.strip_prefix("--config=") {
            return Some(p.to_string());
        }
    }
    None
}

fn is_switch(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse)
}

fn takes_many(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append) || arg.is_positional()
}

fn on_command_line(m: &ArgMatches, arg: &Arg) -> bool {
    m.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
}

fn has_urls(m: &ArgMatches) -> bool {
    m.value_source("urls") == Some(ValueSource::CommandLine)
}

/// ` (did you mean ...?)` for a key one or two letters off a flag's name.
fn suggest(crawl: &clap::Command, key: &str) -> String {
    let close = (crawl.get_arguments())
        .filter_map(Arg::get_long)
        .min_by_key(|name| distance(name, key))
        .filter(|name| distance(name, key) <= 2);
    close.map_or(String::new(), |name| format!(" (did you mean {name}?)"))
}

/// Levenshtein distance, for [`suggest`].
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `trawler config --print`: the effective settings as TOML, those set first, then every
/// other one commented out with its default.
pub(crate) fn print(matches: &ArgMatches) -> String {
    let crawl = crawl_command();
    let mut set = Vec::new();
    let mut defaults = Vec::new();
    for arg in crawl.get_arguments() {
        let id = arg.get_id().as_str();
        let key = match (arg.get_long(), arg.is_positional()) {
            (Some(long), _) => long.to_string(),
            (None, true) => id.to_string(),
            (None, false) => continue,
        };
        if key == "config" || key == "help" || arg.is_hide_set() {
            continue;
        }
        let source = matches.value_source(id);
        let raw: Vec<String> = (matches.get_raw(id).into_iter().flatten())
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if source == Some(ValueSource::CommandLine) {
            let value = match (is_switch(arg), takes_many(arg)) {
                (true, _) => "true".to_string(),
                (false, true) => format!(
                    "[{}]",
                    raw.iter()
                        .map(|v| toml_value(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                (false, false) => raw.first().map_or(String::new(), |v| toml_value(v)),
            };
            set.push(format!("{key} = {value}"));
        } else {
            let default = match (is_switch(arg), raw.first(), help_default(arg)) {
                (true, _, _) => "false".to_string(),
                (false, Some(v), _) => toml_value(v),
                (false, None, Some(d)) => toml_value(&d),
                (false, None, None) if takes_many(arg) => "[]".to_string(),
                (false, None, None) => "(none)".to_string(),
            };
            defaults.push(format!("# {key} = {default}"));
        }
    }
    let mut out = String::from("# trawler crawl: the settings given\n");
    for l in &set {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str("\n# every other setting, at its default\n");
    for l in &defaults {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// A flag's default as its help says it (`[default: 64]`).
fn help_default(arg: &Arg) -> Option<String> {
    let help = arg.get_help()?.to_string();
    let at = help.find("[default: ")?;
    let rest = &help[at + "[default: ".len()..];
    Some(rest[..rest.find(']')?].to_string())
}

/// A value as TOML: a number or a boolean as it is, anything else a string.
fn toml_value(v: &str) -> String {
    if v.parse::<i64>().is_ok()
        || v.parse::<f64>().is_ok_and(f64::is_finite)
        || v == "true"
        || v == "false"
    {
        return v.to_string();
    }
    toml::Value::String(v.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn with_file(text: &str, args: &[&str]) -> Result<Vec<String>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crawl.toml");
        std::fs::write(&path, text).unwrap();
        let mut all = vec!["trawler", "crawl", "--config", path.to_str().unwrap()];
        all.extend_from_slice(args);
        expand(argv(&all)).map(|v| v.iter().map(|a| a.to_string_lossy().into_owned()).collect())
    }

    #[test]
    fn keys_become_flags_and_the_command_line_wins() {
        let file = "urls = [\"http://a.test/\"]\nmax-depth = 3\nrate = 0.5\nno-robots = true\n\
                    sitemaps = false\nheader = [\"A: 1\", \"B: 2\"]\n";
        let out = with_file(file, &[]).unwrap();
        for flag in [
            "--max-depth=3",
            "--rate=0.5",
            "--no-robots",
            "--header=A: 1",
            "--header=B: 2",
            "http://a.test/",
        ] {
            assert!(out.contains(&flag.to_string()), "{flag} in {out:?}");
        }
        assert!(!out.iter().any(|a| a.contains("sitemaps")));
        let out = with_file(
            file,
            &["--max-depth", "5", "--header", "C: 3", "http://b.test/"],
        )
        .unwrap();
        assert!(
            !out.iter()
                .any(|a| a == "--max-depth=3" || a == "--header=A: 1" || a == "http://a.test/"),
            "{out:?}"
        );
        assert!(out.contains(&"5".to_string()) && out.contains(&"http://b.test/".to_string()));
    }

    #[test]
    fn bad_files_are_named_with_the_key() {
        let e = with_file("max-dept = 3\n", &[]).unwrap_err();
        assert!(
            e.contains("\"max-dept\"") && e.contains("did you mean max-depth"),
            "{e}"
        );
        let e = with_file("max-depth = [1, 2]\n", &[]).unwrap_err();
        assert!(e.contains("\"max-depth\" takes one value"), "{e}");
        let e = with_file("no-robots = \"yes\"\n", &[]).unwrap_err();
        assert!(e.contains("\"no-robots\" is a switch"), "{e}");
        let e = with_file("pin-workers = \"yes\"\n", &[]).unwrap_err();
        assert!(e.contains("\"pin-workers\" is a switch"), "{e}");
        let e = with_file("max-depth = true\n", &[]).unwrap_err();
        assert!(e.contains("takes a value"), "{e}");
        let e = with_file("max-depth = { a = 1 }\n", &[]).unwrap_err();
        assert!(e.contains("string or a number"), "{e}");
        let e = with_file("max-depth = \n", &[]).unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        let e = with_file("config = \"x.toml\"\n", &[]).unwrap_err();
        assert!(e.contains("\"config\""), "{e}");
        let e = expand(argv(&["trawler", "crawl", "--config", "/nonexistent.toml"])).unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
        // No --config: the command line as it is.
        let plain = argv(&["trawler", "crawl", "http://a.test/"]);
        assert_eq!(expand(plain.clone()).unwrap(), plain);
    }

    #[test]
    fn names_close_to_a_flag_are_suggested() {
        assert_eq!(distance("max-dept", "max-depth"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert!(suggest(&crawl_command(), "nothing-like-it").is_empty());
    }
}
