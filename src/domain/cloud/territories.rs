//! libphonenumber's metadata, loaded a territory at a time. The `phonenumber` crate's own
//! database checks the syntax of every pattern of every territory when first used (about 150 ms,
//! the first Cloud number of a process waiting for it); the same metadata
//! (`assets/libphonenumber/PhoneNumberMetadata.xml`) read through the crate's
//! [`Database::parse`] one calling code's main territory at a time costs a few milliseconds, and
//! every territory of a calling code only when an answer needs them (a number's country, a length
//! the main territory does not have).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use phonenumber::metadata::Database;
use regex::{Regex, RegexBuilder};

/// Google's metadata, as the `phonenumber` crate in use ships it.
static XML: &str = include_str!("../../../assets/libphonenumber/PhoneNumberMetadata.xml");

/// Where each territory's `<territory …>…</territory>` lies in [`XML`], by calling code, the
/// main territory of each code first (as the crate's database orders them).
struct Index {
    by_code: HashMap<u16, Vec<Range<usize>>>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    const OPEN: &str = "<territory ";
    const CLOSE: &str = "</territory>";
    let mut by_code: HashMap<u16, Vec<Range<usize>>> = HashMap::new();
    let mut at = 0;
    while let Some(start) = XML[at..].find(OPEN).map(|i| at + i) {
        let Some(end) = XML[start..].find(CLOSE).map(|i| start + i + CLOSE.len()) else {
            break;
        };
        let head = &XML[start..XML[start..].find('>').map_or(end, |i| start + i)];
        let code = attribute(head, "countryCode").and_then(|c| c.parse().ok());
        if let Some(code) = code {
            let list = by_code.entry(code).or_default();
            if attribute(head, "mainCountryForCode") == Some("true") {
                list.insert(0, start..end);
            } else {
                list.push(start..end);
            }
        }
        at = end;
    }
    Index { by_code }
});

/// The value of `name="…"` in a territory's opening tag.
fn attribute<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = head.find(&key)? + key.len();
    let len = head[from..].find('"')?;
    Some(&head[from..from + len])
}

/// Databases made so far, by calling code: of its main territory, of all of them.
static MAIN: LazyLock<Mutex<HashMap<u16, Arc<Database>>>> = LazyLock::new(Default::default);
static EVERY: LazyLock<Mutex<HashMap<u16, Arc<Database>>>> = LazyLock::new(Default::default);

/// A database of `ranges` of [`XML`].
fn database(ranges: &[Range<usize>]) -> Option<Database> {
    let mut text = String::from("<phoneNumberMetadata><territories>");
    for range in ranges {
        text.push_str(&XML[range.clone()]);
    }
    text.push_str("</territories></phoneNumberMetadata>");
    Database::parse(&text).ok()
}

fn cached(
    cache: &Mutex<HashMap<u16, Arc<Database>>>,
    code: u16,
    ranges: impl FnOnce(&[Range<usize>]) -> &[Range<usize>],
) -> Option<Arc<Database>> {
    let mut made = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(database) = made.get(&code) {
        return Some(database.clone());
    }
    let all = INDEX.by_code.get(&code)?;
    let database = Arc::new(database(ranges(all))?);
    made.insert(code, database.clone());
    Some(database)
}

/// The metadata of calling code `code`'s main territory (the United States for 1): enough to
/// read and format any number of the code, as libphonenumber formats with the main territory's
/// rules.
pub fn main_territory(code: u16) -> Option<Arc<Database>> {
    cached(&MAIN, code, |all| &all[..1])
}

/// The metadata of every territory of calling code `code` (Canada and the Caribbean with the
/// United States for 1): for a number's country, and the lengths numbers of the code can have.
pub fn every_territory(code: u16) -> Option<Arc<Database>> {
    cached(&EVERY, code, |all| all)
}

/// Makes the index of the territories on a thread of its own, so that the first number read
/// does not wait for it.
pub fn index_territories() {
    let _ = std::thread::Builder::new()
        .name("phone-metadata".into())
        .spawn(|| LazyLock::force(&INDEX));
}

/// Whether the metadata has calling code `code`.
pub fn has_code(code: u16) -> bool {
    INDEX.by_code.contains_key(&code)
}

/// The calling code an international number's digits begin with (`16315551000` → 1,
/// `447700900123` → 44): calling codes are prefix-free, so at most one of the first three
/// prefixes is one.
pub fn code_of(digits: &str) -> Option<u16> {
    (1..=3)
        .filter_map(|len| digits.get(..len)?.parse().ok())
        .find(|code| has_code(*code))
}

/// How the numbers of a calling code are written internationally: its main territory's formats,
/// in their order, each pattern compiled the first time a number reaches it (as the `phonenumber`
/// crate's formatter chooses a format, without its regex cache's lock on every use).
pub struct Formats(Vec<Format>);

struct Format {
    leading: Option<Pattern>,
    pattern: Pattern,
    format: String,
}

/// A pattern of the metadata (written with whitespace, read ignoring it, as the crate reads it),
/// compiled on first use.
struct Pattern {
    source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn new(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        }
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                // ASCII classes: the patterns are of ASCII digits, as are national numbers, and
                // `\d` without Unicode's digits is a smaller automaton to run on every code sent.
                RegexBuilder::new(&self.source)
                    .ignore_whitespace(true)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

impl Formats {
    /// `national` in the first format whose last leading digits begin it and whose pattern
    /// matches all of it (or the first without leading digits); `None` when none does. One
    /// search with captures per format tried, as the answer needs the groups anyway.
    pub fn show(&self, national: &str) -> Option<String> {
        for format in &self.0 {
            let Some(leading) = &format.leading else {
                return Some(
                    format
                        .apply(national)?
                        .unwrap_or_else(|| national.to_owned()),
                );
            };
            let begins = leading
                .regex()
                .and_then(|r| r.find(national))
                .is_some_and(|m| m.start() == 0);
            if let Some(shown) = begins.then(|| format.apply(national)).flatten().flatten() {
                return Some(shown);
            }
        }
        None
    }
}

impl Format {
    /// `national` written in this format when the pattern matches all of it (`Some(None)` when
    /// not; `None` for a pattern that does not compile).
    fn apply(&self, national: &str) -> Option<Option<String>> {
        let captures = self.pattern.regex()?.captures(national);
        Some(
            captures
                .filter(|c| {
                    c.get(0)
                        .is_some_and(|m| m.start() == 0 && m.end() == national.len())
                })
                .map(|c| {
                    let mut shown = String::new();
                    c.expand(&self.format, &mut shown);
                    shown
                }),
        )
    }
}

/// The international formats of calling code `code` (its main territory's; the national ones
/// when it has none), made once.
pub fn formats(code: u16) -> Option<&'static Formats> {
    static MADE: LazyLock<Vec<OnceLock<Option<Formats>>>> =
        LazyLock::new(|| (0..1000).map(|_| OnceLock::new()).collect());
    MADE.get(usize::from(code))?
        .get_or_init(|| {
            let database = main_territory(code)?;
            let meta = database.by_code(&code)?.into_iter().next()?;
            let formats = match meta.international_formats() {
                [] => meta.formats(),
                some => some,
            };
            Some(Formats(
                formats
                    .iter()
                    .map(|f| Format {
                        leading: f.leading_digits().last().map(|l| Pattern::new(l.as_str())),
                        pattern: Pattern::new(f.pattern().as_str()),
                        format: f.format().to_owned(),
                    })
                    .collect(),
            ))
        })
        .as_ref()
}
