//! The facade's public API, item by item with signatures, against the checked-in
//! `public-api.txt`: every change of the surface shows in review as a diff of that file.
//!
//! Re-bless after a deliberate change: `TRACKPLAN_BLESS=1 cargo test -p trackplan --test
//! public_api`, then review the diff of `crates/trackplan/public-api.txt`.
//!
//! How: rustdoc's JSON (stable rustc 1.95 with `RUSTC_BOOTSTRAP=1`, format 57, offline) for
//! the facade and for `trackplan-core`, listed by the `public-api` crate. Rustdoc's JSON does not
//! inline items re-exported from another crate (a `pub use trackplan_core::Client` is only a
//! name), so each re-export is expanded here into the core items it brings (the item, its
//! fields, variants, methods and impls), with every core path the facade re-exports rewritten
//! to the facade's name for it. A `trackplan_core::` path left in the listing is a type users
//! reach through the facade but cannot name from it. `#[doc(hidden)]` items (`__private01`)
//! are not in rustdoc's JSON, so not listed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use public_api::{PublicApi, PublicItem};
use serde_json::Value;

const CORE: &str = "trackplan_core";

#[test]
fn public_api_matches_the_snapshot() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let facade_json = rustdoc_json("trackplan");
    let core_json = rustdoc_json("trackplan-core");
    let listing = facade_listing(&facade_json, &core_json);

    let snapshot = manifest.join("public-api.txt");
    if std::env::var_os("TRACKPLAN_BLESS").is_some() {
        std::fs::write(&snapshot, &listing).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if current != listing {
        panic!(
            "the public API of `trackplan` changed (rerun with TRACKPLAN_BLESS=1 and review the \
             diff of {}):\n{}",
            snapshot.display(),
            line_diff(&current, &listing)
        );
    }
}

/// Build `package`'s rustdoc JSON in the workspace's target directory (cargo has released it
/// once tests run; the dependencies' metadata is shared with ordinary builds), and return its
/// path. Every feature is on, so optional API (the date-time impls, `coverage`) is listed too.
fn rustdoc_json(package: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "rustdoc",
            "--quiet",
            "--lib",
            "--all-features",
            "-p",
            package,
            "--target-dir",
        ])
        .arg(target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // rustdoc's JSON output is unstable; the toolchain is pinned (rust-toolchain.toml) and
        // `public-api` pinned to its format.
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("RUSTDOCFLAGS")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo rustdoc -p {package} failed");
    target
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")))
}

fn list(json: &Path) -> PublicApi {
    public_api::Builder::from_rustdoc_json(json)
        .omit_blanket_impls(true)
        .build()
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()))
}

/// The facade's own items, plus the core items each `pub use trackplan_core::...` brings,
/// sorted, one per line.
fn facade_listing(facade_json: &Path, core_json: &Path) -> String {
    let reexports = core_reexports(&read_json(facade_json));
    let core_doc = read_json(core_json);
    let core_api: Vec<PublicItem> = list(core_json).into_items().collect();
    let parents: HashMap<u32, u32> = core_api
        .iter()
        .filter_map(|item| Some((item.id().0, item.parent_id()?.0)))
        .collect();

    let mut renames: Vec<(String, String)> = Vec::new();
    let mut brought: Vec<(u32, &str)> = Vec::new();
    for (facade_path, source) in &reexports {
        let id = resolve(&core_doc, source)
            .unwrap_or_else(|| panic!("`{source}` (re-exported as `{facade_path}`) not in core"));
        // Core lists an item once per public path (`event::Event` and `Event`): rename each.
        let core_paths: BTreeSet<String> = core_api
            .iter()
            .filter(|item| item.id().0 == id)
            .filter_map(|item| first_core_path(&item.to_string()).map(str::to_owned))
            .collect();
        assert!(!core_paths.is_empty(), "`{source}` is not public in core");
        renames.extend(
            core_paths
                .into_iter()
                .map(|path| (path, facade_path.clone())),
        );
        brought.push((id, facade_path));
    }
    // Longest first, so `trackplan_core::ClientBuilder` is not read as `...::Client` + `Builder`.
    renames.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));

    let reexported: BTreeSet<String> = reexports
        .iter()
        .map(|(path, _)| format!("pub use {path}"))
        .collect();
    let mut lines: BTreeSet<String> = list(facade_json)
        .into_items()
        .map(|item| item.to_string())
        .filter(|line| !reexported.contains(line))
        .collect();
    for item in &core_api {
        if brought
            .iter()
            .any(|(id, _)| descends_from(item.id().0, *id, &parents))
        {
            lines.insert(rename(&item.to_string(), &renames));
        }
    }
    lines.into_iter().map(|line| line + "\n").collect()
}

/// `(facade path, core path)` of every `pub use trackplan_core::...` in the facade.
fn core_reexports(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_reexports(doc, &doc["root"], "trackplan", &mut found);
    found.sort();
    found
}

fn collect_reexports(doc: &Value, module: &Value, at: &str, found: &mut Vec<(String, String)>) {
    let item = &doc["index"][id_key(module)];
    for child in item["inner"]["module"]["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let child_item = &doc["index"][id_key(child)];
        let inner = &child_item["inner"];
        if let Some(reexport) = inner.get("use") {
            let source = reexport["source"].as_str().unwrap_or_default();
            if source.starts_with(&format!("{CORE}::")) {
                let name = reexport["name"].as_str().unwrap_or_default();
                found.push((format!("{at}::{name}"), source.to_owned()));
            }
        } else if inner.get("module").is_some() {
            let name = child_item["name"].as_str().unwrap_or_default();
            collect_reexports(doc, child, &format!("{at}::{name}"), found);
        }
    }
}

/// The id, in core's JSON, of the item at the public path `path` (through modules and
/// re-exports).
fn resolve(doc: &Value, path: &str) -> Option<u32> {
    let mut current = doc["root"].as_u64()? as u32;
    for segment in path.split("::").skip(1) {
        let module = &doc["index"][current.to_string()]["inner"]["module"]["items"];
        current = module.as_array()?.iter().find_map(|child| {
            let item = &doc["index"][id_key(child)];
            let name = item["inner"]["use"]["name"]
                .as_str()
                .or(item["name"].as_str())?;
            if name != segment {
                return None;
            }
            match item["inner"].get("use") {
                Some(reexport) => reexport["id"].as_u64().map(|id| id as u32),
                None => Some(item["id"].as_u64()? as u32),
            }
        })?;
    }
    Some(current)
}

fn id_key(id: &Value) -> String {
    id.as_u64().map(|id| id.to_string()).unwrap_or_default()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `id` is `ancestor` or hangs below it (a field, variant, impl, or an impl's item).
fn descends_from(mut id: u32, ancestor: u32, parents: &HashMap<u32, u32>) -> bool {
    for _ in 0..8 {
        if id == ancestor {
            return true;
        }
        match parents.get(&id) {
            Some(&parent) => id = parent,
            None => return false,
        }
    }
    false
}

/// The first `trackplan_core::a::b` path in `line`.
fn first_core_path(line: &str) -> Option<&str> {
    let start = line.find(CORE)?;
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut end = start + CORE.len();
    while let Some(segment) = line[end..].strip_prefix("::") {
        let len = segment.find(|c| !is_ident(c)).unwrap_or(segment.len());
        if len == 0 {
            break;
        }
        end += 2 + len;
    }
    Some(&line[start..end])
}

/// `line` with every core path the facade re-exports replaced by the facade's path.
fn rename(line: &str, renames: &[(String, String)]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    'scan: while !rest.is_empty() {
        for (from, to) in renames {
            if let Some(after) = rest.strip_prefix(from.as_str()) {
                if !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                    out.push_str(to);
                    rest = after;
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().expect("rest is not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The lines only in `old` (`-`) and only in `new` (`+`): the listing is sorted, so this is
/// the change.
fn line_diff(old: &str, new: &str) -> String {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    let removed = old.difference(&new).map(|line| format!("- {line}"));
    let added = new.difference(&old).map(|line| format!("+ {line}"));
    removed.chain(added).collect::<Vec<_>>().join("\n")
}
